"""Self-check questions (gdcourse/selfcheck): every lecture has a valid question file, and
the HTML a notebook shows is an accessible form. The page test, answering in a browser, is
in tests/test_explore_browser.py."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from importlib import resources
from pathlib import Path

import pytest

import gdcourse as gd
from gdcourse.selfcheck import Quiz, lectures_with_questions, load_questions


def test_every_lecture_has_four_to_six_questions():
    folder = Path(__file__).resolve().parents[1] / "lectures"
    lectures = sorted(p.stem[:2] for p in folder.glob("[0-9][0-9]_*.ipynb"))
    assert lectures and lectures_with_questions() == lectures
    for lecture in lectures:
        questions = gd.quiz(lecture).questions
        assert 4 <= len(questions) <= 6, lecture
        for q in questions:
            assert sum(c.correct for c in q.choices) == 1
            assert len({c.answer for c in q.choices}) == len(q.choices)


class _Form(HTMLParser):
    """Collects what a screen reader needs: inputs, their labels, legends, live regions."""

    def __init__(self):
        super().__init__()
        self.inputs, self.labels, self.legends, self.live, self.ids = [], [], 0, 0, []
        self.buttons = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.append(a["id"])
        if tag == "input":
            self.inputs.append(a)
        elif tag == "label":
            self.labels.append(a.get("for"))
        elif tag == "legend":
            self.legends += 1
        elif tag == "button":
            self.buttons += 1
        if a.get("role") == "status" and a.get("aria-live") == "polite":
            self.live += 1


def test_html_is_an_accessible_form():
    q = gd.quiz("02")
    page = q._repr_html_()
    form = _Form()
    form.feed(page)
    n = len(q.questions)
    assert form.legends == n and form.buttons == n and form.live == n
    assert len(form.inputs) == sum(len(x.choices) for x in q.questions)
    assert all(i["type"] == "radio" for i in form.inputs)
    assert sorted(form.labels) == sorted(i["id"] for i in form.inputs)  # each has its label
    assert len(form.ids) == len(set(form.ids))
    # Each radio carries its verdict and feedback for the script; exactly one right per group.
    groups = {}
    for i in form.inputs:
        groups.setdefault(i["name"], []).append(i["data-correct"])
        assert i["data-feedback"]
    assert all(v.count("1") == 1 for v in groups.values())
    # Fresh ids each time: two quizzes in one page do not collide.
    other = _Form()
    other.feed(q._repr_html_())
    assert not set(other.ids) & set(form.ids)


def test_the_right_answer_is_not_always_first():
    positions = set()
    for lecture in lectures_with_questions():
        page = gd.quiz(lecture).html()
        for group in re.findall(r"<fieldset>(.*?)</fieldset>", page):
            verdicts = re.findall(r'data-correct="(\d)"', group)
            positions.add(verdicts.index("1"))
    assert len(positions) >= 2


def test_text_fallback_lists_questions_not_answers():
    text = repr(gd.quiz("04"))
    assert "+=" in text and "( )" in text
    assert "feedback" not in text.lower() and "Right." not in text


def test_script_reads_the_checked_answer():
    page = gd.quiz("01").html()
    assert "input:checked" in page and "Not quite. " in page and "Right. " in page
    assert "preventDefault" in page  # a Check press must not reload the book's page
    assert "http" not in page  # nothing fetched


@pytest.mark.parametrize("change, match", [
    (lambda d: d["questions"][0]["choices"][1].update(correct=True), "2 correct choices"),
    (lambda d: d["questions"][0].update(choices=d["questions"][0]["choices"][:1]),
     "at least two"),
    (lambda d: d["questions"][0]["choices"][0].update(feedback=""), "without an answer or"),
    (lambda d: d["questions"][1].update(question=" "), "question 2 has no question"),
    (lambda d: d.update(questions=[]), "no questions"),
])
def test_broken_files_are_refused(tmp_path, change, match):
    data = json.loads((resources.files("gdcourse.selfcheck") / "questions" / "03.json")
                      .read_text())
    change(data)
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(data))
    with pytest.raises(gd.InvalidArgumentError, match=match):
        load_questions(path)


def test_unknown_lecture():
    with pytest.raises(gd.InvalidArgumentError, match="no self-check questions for lecture"):
        gd.quiz("42")
    assert isinstance(gd.quiz(2), Quiz)  # 2 -> "02"
