# The README's two commands. Each builds .venv on its own, with the tested torch build.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
# Figures render off-screen (no display in CI or over ssh).
export MPLBACKEND := Agg

.PHONY: demo test venv lint clean bench book

demo: $(STAMP)
	$(PY) -m gdcourse fit --plot fit.png

# One BLAS thread per test worker: two workers on two cores, not two times two threads.
test: $(STAMP)
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

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -c constraints.txt torch==2.13.0
	$(PY) -m pip install --quiet -c constraints.txt -e ".[dev,lectures,fastai,book]"
	touch $(STAMP)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis book/_build
