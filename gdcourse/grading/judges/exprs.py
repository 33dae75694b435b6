"""What the grader does with expression trees (``exercises/trees.py``): evaluate, measure,
simplify by the exercise's rules, parse postfix from a child, print.

    ["const", 2.0]   ["sym", "x"]   ["log", a]   [op, a, b]  with op in + - * / **

The grader evaluates, measures, simplifies and prints these trees itself; every walk is
iterative and size-capped, so a hostile or enormous tree cannot exhaust the stack. From the
child a tree comes back flat, in postfix (``from_postfix``), so any depth crosses the wire.

    >>> from gdcourse.grading.exercises.trees import B, C, X
    >>> show(reference_simplify(B("+", B("*", X, C(1)), C(0))))
    'x'
"""

from __future__ import annotations

import torch

from ..exercises.trees import MAX_NODES, C, walk

__all__ = ["evaluate", "size", "reference_simplify", "from_postfix", "show"]


def evaluate(tree, env: dict) -> torch.Tensor:
    """The value of a plain tree with symbols bound to float64 tensors (or numbers)."""
    def step(node, args):
        head = node[0]
        if head == "const":
            return torch.as_tensor(float(node[1]), dtype=torch.float64)
        if head == "sym":
            return torch.as_tensor(env[node[1]], dtype=torch.float64)
        if head == "log":
            return torch.log(args[0])
        a, b = args
        return {"+": torch.add, "-": torch.sub, "*": torch.mul, "/": torch.div,
                "**": torch.pow}[head](a, b)
    return walk(tree, step)


def size(tree) -> int:
    """Number of nodes of a plain tree."""
    return walk(tree, lambda node, args: 1 + sum(args))


def reference_simplify(tree):
    """The rules the exercise asks for, applied bottom-up (the grader's yardstick)."""
    def step(node, args):
        head = node[0]
        if head in ("const", "sym"):
            return node
        if head == "log":
            (a,) = args
            return C(torch.log(torch.tensor(a[1])).item()) if a[0] == "const" else [head, a]
        a, b = args
        ca = a[1] if a[0] == "const" else None
        cb = b[1] if b[0] == "const" else None
        if ca is not None and cb is not None:
            return C(evaluate([head, a, b], {}).item())
        rules = {"+": [(ca == 0, b), (cb == 0, a)], "-": [(cb == 0, a)],
                 "*": [(ca == 0 or cb == 0, C(0)), (ca == 1, b), (cb == 1, a)],
                 "/": [(cb == 1, a), (ca == 0, C(0))],
                 "**": [(cb == 0, C(1)), (cb == 1, a)]}[head]
        return next((result for cond, result in rules if cond), [head, a, b])
    return walk(tree, step)


def from_postfix(tokens) -> list:
    """Postfix tokens (from the child) -> a nested plain tree; ValueError if malformed."""
    if not isinstance(tokens, list) or not 0 < len(tokens) <= MAX_NODES:
        raise ValueError("expected a non-empty list of expression tokens")
    stack: list = []
    for tok in tokens:
        head = tok[0] if isinstance(tok, list) and tok else None
        if head in ("const", "sym") and len(tok) == 2:
            stack.append(tok)
        elif head == "log" and stack:
            stack.append(["log", stack.pop()])
        elif head in ("+", "-", "*", "/", "**") and len(stack) >= 2:
            b, a = stack.pop(), stack.pop()
            stack.append([head, a, b])
        else:
            raise ValueError(f"malformed expression token {str(tok)[:40]}")
    if len(stack) != 1:
        raise ValueError("malformed expression: tokens do not form one tree")
    return stack[0]


def show(tree, limit: int = 70) -> str:
    """Infix text of a plain tree, for hints."""
    def step(node, args):
        if node[0] == "const":
            return f"{node[1]:g}"
        if node[0] == "sym":
            return str(node[1])
        if node[0] == "log":
            return f"log({args[0]})"
        return f"({args[0]} {node[0]} {args[1]})"
    text = walk(tree, step)
    return text if len(text) <= limit else text[: limit - 3] + "..."

