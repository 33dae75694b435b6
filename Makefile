# The README's two commands. Each builds .venv on its own, with the tested torch build.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
AXE    := node_modules/axe-core/axe.min.js
# Figures render off-screen (no display in CI or over ssh).
export MPLBACKEND := Agg

.PHONY: demo test venv lint clean bench book test-python

demo: $(STAMP)
	$(PY) -m gdcourse fit --plot fit.png

# One BLAS thread per test worker: two workers on two cores, not two times two threads.
test: $(STAMP) $(AXE)
	OMP_NUM_THREADS=1 $(PY) -m pytest -n 2 --dist loadgroup --durations=25 --doctest-modules gdcourse tests

lint: $(STAMP)
	$(PY) -m ruff check gdcourse tests benchmarks book
	$(PY) -m mypy

bench: $(STAMP)
	$(PY) -m gdcourse bench

# The course book (Jupyter Book 1.x, offline): lectures executed once (cached in book/_build),
# exercises as committed. The last line printed is the path of the site's index.html.
book: $(STAMP)
	$(PY) book/build_book.py

venv: $(STAMP)

# axe-core, the accessibility engine tests/test_book.py runs in Chromium, pinned in
# package-lock.json. Without npm the book's accessibility tests skip (CI installs npm).
$(AXE): package.json package-lock.json
	@if command -v npm >/dev/null; then npm ci --no-audit --no-fund --ignore-scripts \
		--loglevel=error && touch $@; else echo "no npm: the book's axe-core checks skip"; fi

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -c constraints.txt torch==2.13.0
	$(PY) -m pip install --quiet -c constraints.txt -e ".[dev,lectures,fastai,book]"
	touch $(STAMP)

# `make test-python V=3.13`: the same suite under another interpreter, with the torch the
# students' platforms ship (Gradescope 3.10, Kaggle 3.12, Colab 3.13; torch 2.10-2.11 there).
# The interpreter comes from pyenv (or python$(V) on PATH); its venv is .venv-$(V), ignored by
# git and not part of CI. PyPI has only CUDA builds of torch for Linux, so the first build
# downloads about 3 GB (torch plus its nvidia-* libraries); the CPU-only machines just see no
# GPU. No [fastai] here: its tests must skip cleanly where fastai is absent.
# ARGS adds pytest options, e.g. ARGS="--deselect tests/test_book.py".
V            ?= 3.13
TORCH_OTHER  ?= 2.11.0
ARGS         ?=

test-python: .venv-$(V)/.installed
	OMP_NUM_THREADS=1 .venv-$(V)/bin/python -m pytest -n 2 --dist loadgroup --durations=25 \
		--doctest-modules gdcourse tests $(ARGS)

.venv-%/.installed: pyproject.toml
	@py="$$(pyenv prefix $* 2>/dev/null)/bin/python$*"; \
	[ -x "$$py" ] || py="$$(command -v python$*)" || \
		{ echo "no Python $* here: pyenv install $*" >&2; exit 1; }; \
	echo "$$py -> .venv-$*"; \
	"$$py" -m venv .venv-$*
	.venv-$*/bin/python -m pip install --quiet --upgrade pip
	.venv-$*/bin/python -m pip install --quiet "torch==$(TORCH_OTHER)"
	.venv-$*/bin/python -m pip install --quiet -e ".[dev,lectures,book]" "torch==$(TORCH_OTHER)"
	.venv-$*/bin/python -c "import sys, torch; print(sys.version.split()[0], torch.__version__)"
	touch $@

clean:
	rm -rf $(VENV) .venv-*/ .pytest_cache .ruff_cache .hypothesis book/_build
