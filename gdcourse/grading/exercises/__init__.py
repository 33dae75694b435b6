"""The exercises, one module each (``exNN.py``, found by ``registry.exercise_ids``).

Each declares what a child process may hold: ``TITLE``, ``TASKS`` (the student's names),
``RULES`` (what tasks may not use, read by ``policy.scan``), ``SHARED`` (names every task
builds on), the input makers of its public checks (each takes a ``seed``) and its
``PROBES``. The judges, oracles and reference answers live in ``judges/exNN.py``, which
nothing here imports.
"""
