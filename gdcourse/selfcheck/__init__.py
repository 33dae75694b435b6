"""Self-check questions at the end of each lecture, answered inside the page.

    import gdcourse as gd
    gd.quiz("02")          # the questions of lecture 02, as the last line of a cell

The questions live in one JSON file per lecture, ``gdcourse/selfcheck/questions/NN.json``
(inside the package, so Colab and Kaggle, which open a lecture without the repository, have
them too)::

    {"lecture": "02", "questions": [
      {"question": "...", "choices": [
        {"answer": "...", "correct": false, "feedback": "why this is not it"},
        {"answer": "...", "correct": true,  "feedback": "why this is it"}]}]}

Each question shows as a group of radio buttons with a Check button; checking shows the
feedback of the chosen answer, the reasoning behind right and wrong choices alike. The
output is plain HTML with one small inline script and no widgets, so it works wherever
HTML with scripts shows: JupyterLab, Notebook 7, Colab, Kaggle and the course book, with
no kernel needed once drawn. It is built to pass WCAG 2.1 A/AA checks (axe-core): each
question is a fieldset with its legend, each radio button has its label, and the feedback
appears in a live region (``role="status"``) that screen readers announce.
"""

from __future__ import annotations

import hashlib
import html
import json
import uuid
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from ..errors import InvalidArgumentError

__all__ = ["quiz", "Quiz", "Question", "Choice", "load_questions", "lectures_with_questions"]


@dataclass(frozen=True)
class Choice:
    answer: str
    correct: bool
    feedback: str


@dataclass(frozen=True)
class Question:
    question: str
    choices: tuple[Choice, ...]


def lectures_with_questions() -> list[str]:
    """The lecture numbers that have a question file, e.g. ['01', ..., '06']."""
    folder = resources.files(__package__).joinpath("questions")
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".json"))


def load_questions(source: str | Path) -> list[Question]:
    """The questions of a lecture number ("02") or of a JSON file, checked.

    Raises:
        InvalidArgumentError: no such lecture, or a file that breaks the format: a question
            needs its text and at least two choices, exactly one of them correct, and every
            choice needs an answer and a feedback.
    """
    if isinstance(source, Path) or str(source).endswith(".json"):
        text, where = Path(source).read_text(encoding="utf-8"), str(source)
    else:
        name = f"{str(source).zfill(2)}.json"
        entry = resources.files(__package__).joinpath("questions").joinpath(name)
        if not entry.is_file():
            raise InvalidArgumentError(f"no self-check questions for lecture {source!r}; "
                                       f"there are some for {lectures_with_questions()}")
        text, where = entry.read_text(encoding="utf-8"), f"questions/{name}"
    return _parse(json.loads(text), where)


def _parse(data: dict, where: str) -> list[Question]:
    questions = []
    for i, q in enumerate(data.get("questions", []), 1):
        choices = tuple(Choice(str(c.get("answer", "")), c.get("correct") is True,
                               str(c.get("feedback", ""))) for c in q.get("choices", []))
        problem = None
        if not str(q.get("question", "")).strip():
            problem = "has no question text"
        elif len(choices) < 2:
            problem = "needs at least two choices"
        elif sum(c.correct for c in choices) != 1:
            problem = f"has {sum(c.correct for c in choices)} correct choices, not one"
        elif not all(c.answer.strip() and c.feedback.strip() for c in choices):
            problem = "has a choice without an answer or a feedback"
        if problem:
            raise InvalidArgumentError(f"{where}: question {i} {problem}")
        questions.append(Question(str(q["question"]), choices))
    if not questions:
        raise InvalidArgumentError(f"{where}: no questions")
    return questions


# Runs once per quiz in the page. Plain DOM, no library: the page may be offline.
_SCRIPT = """
(function () {
  var root = document.getElementById("%(id)s");
  if (!root || root.dataset.ready) return;
  root.dataset.ready = "1";
  root.querySelectorAll("form").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var out = form.querySelector(".gdq-feedback");
      var picked = form.querySelector("input:checked");
      if (!picked) { out.textContent = "Pick an answer first."; out.dataset.state = ""; return; }
      var right = picked.dataset.correct === "1";
      out.dataset.state = right ? "right" : "wrong";
      out.textContent = (right ? "Right. " : "Not quite. ") + picked.dataset.feedback;
    });
  });
})();
"""

# Scoped to the quiz's id; sizes set explicitly because page themes (the book's Bootstrap)
# style legend and label as headings and blocks.
_STYLE = """
#%(id)s form { margin: 0 0 1.4em 0; }
#%(id)s fieldset { border: 1px solid #8a8a8a; border-radius: 4px; margin: 0;
  padding: .4em .8em; min-width: 0; }
#%(id)s legend { font-size: 1em; font-weight: 600; line-height: 1.4; float: none;
  width: auto; margin: 0; padding: 0 .3em; }
#%(id)s .gdq-choice { display: flex; align-items: baseline; gap: .5em; margin: .3em 0; }
#%(id)s .gdq-choice input { flex: none; margin: 0; }
#%(id)s .gdq-choice label { display: inline; margin: 0; font-size: 1em; }
#%(id)s button { margin: .4em 0 0 0; padding: .15em .9em; font-size: 1em; }
#%(id)s .gdq-feedback { margin: .4em 0 0 0; min-height: 1.2em; }
#%(id)s .gdq-feedback[data-state="right"] { border-left: 4px solid #2e7d32; padding-left: .5em; }
#%(id)s .gdq-feedback[data-state="wrong"] { border-left: 4px solid #c62828; padding-left: .5em; }
"""


class Quiz:
    """The self-check questions of one lecture; displays as an interactive HTML form."""

    def __init__(self, questions: list[Question], *, lecture: str = ""):
        self.questions = questions
        self.lecture = lecture

    def _repr_html_(self) -> str:
        return self.html()

    def html(self) -> str:
        """The quiz as one self-contained HTML fragment (fresh element ids each call)."""
        uid = f"gdq-{uuid.uuid4().hex[:10]}"
        parts = [f"<style>{_STYLE % {'id': uid}}</style>",
                 f'<div class="gdq" id="{uid}">']
        for i, q in enumerate(self.questions, 1):
            qid = f"{uid}-{i}"
            parts.append(f'<form class="gdq-question">'
                         f'<fieldset><legend id="{qid}-legend">{i}. '
                         f"{html.escape(q.question)}</legend>")
            for j in _order(q):
                c, cid = q.choices[j], f"{qid}-{j}"
                parts.append(
                    f'<div class="gdq-choice"><input type="radio" name="{qid}" id="{cid}" '
                    f'value="{j}" data-correct="{int(c.correct)}" '
                    f'data-feedback="{html.escape(c.feedback)}">'
                    f'<label for="{cid}">{html.escape(c.answer)}</label></div>')
            parts.append('</fieldset><button type="submit">Check</button>'
                         '<p class="gdq-feedback" role="status" aria-live="polite"></p>'
                         "</form>")
        parts.append(f"</div><script>{_SCRIPT % {'id': uid}}</script>")
        return "".join(parts)

    def __repr__(self) -> str:
        lines = [f"Self-check, lecture {self.lecture} (run in Jupyter to check answers):"]
        for i, q in enumerate(self.questions, 1):
            lines.append(f"{i}. {q.question}")
            lines += [f"   ( ) {q.choices[j].answer}" for j in _order(q)]
        return "\n".join(lines)


def _order(q: Question) -> list[int]:
    """The choices in a fixed order that does not depend on where the data file lists the
    right answer (there it is easiest to write first), the same on every run."""
    def key(j: int) -> str:
        return hashlib.sha256(f"{q.question}|{q.choices[j].answer}".encode()).hexdigest()

    return sorted(range(len(q.choices)), key=key)


def quiz(lecture: str | Path) -> Quiz:
    """The self-check questions of a lecture ("01" .. "06") or of a question file.

    >>> q = quiz("02"); len(q.questions) >= 4
    True
    """
    return Quiz(load_questions(lecture), lecture=str(lecture))
