"""Expressions as plain trees, the form they take between the grader and a child.

    ["const", 2.0]   ["sym", "x"]   ["log", a]   [op, a, b]  with op in + - * / **

Every walk is iterative and size-capped, so a hostile or enormous tree cannot exhaust the
stack. What the grader does with trees (evaluate, simplify, print) is in ``judges/exprs.py``.
"""

from __future__ import annotations

__all__ = ["MAX_NODES", "OPS", "C", "X", "Y", "B", "walk"]

MAX_NODES = 20_000
OPS = ("+", "-", "*", "/", "**")
X, Y = ["sym", "x"], ["sym", "y"]


def C(v) -> list:
    return ["const", float(v)]


def B(op, a, b) -> list:
    return [op, a, b]


def walk(tree, fn):
    """``fn(node, results of its children)`` over a plain tree, post-order, without
    recursion (a deep tree cannot crash us)."""
    stack, out, seen = [(tree, False)], [], 0
    while stack:
        node, done = stack.pop()
        seen += 1
        if seen > 2 * MAX_NODES:
            raise ValueError(f"expression has more than {MAX_NODES} nodes")
        if not isinstance(node, list) or not node:
            raise ValueError(f"malformed expression node {str(node)[:40]}")
        kids = node[1:] if node[0] in (*OPS, "log") else []
        if done or not kids:
            args = [out.pop() for _ in kids][::-1]
            out.append(fn(node, args))
        else:
            stack.append((node, True))
            stack.extend((k, False) for k in reversed(kids))
    return out[0]
