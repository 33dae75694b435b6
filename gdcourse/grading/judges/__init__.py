"""Judges, oracles and reference answers: one module per exercise (``exNN.py``, holding
its public ``CHECKS``), and the helpers they share (``compare``, ``exprs``).

They run in the grader (and in ``check()``, in the student's own notebook), never in the
grader's child process: no module under ``exercises/`` or ``sandbox/`` imports them, and
the child's view of this folder is empty.
"""
