"""Hidden checks for exercise 01 (an example for instructors; keep your real ones private)."""

import torch

from gdcourse.grading import Check, call
from gdcourse.grading.judges.ex01 import judge_grad, judge_grid_best, judge_line, judge_mse

EXERCISE = "01"


def _other_grid():
    gen = torch.Generator().manual_seed(201)
    x = torch.rand(25, generator=gen, dtype=torch.float64) * 10
    return call("grid_search", x, 0.45 * x + 0.05 * torch.randn(25, generator=gen,
                                                               dtype=torch.float64),
                torch.linspace(-1.0, 1.0, 81, dtype=torch.float64))


def _mse_shapes():
    gen = torch.Generator().manual_seed(202)
    return {"calls": [call("mse", torch.randn(1, generator=gen, dtype=torch.float64),
                           torch.randn(1, generator=gen, dtype=torch.float64)),
                      call("mse", torch.randn(1000, generator=gen, dtype=torch.float64),
                           torch.zeros(1000, dtype=torch.float64))]}


def _negative_w():
    x = torch.linspace(-2, 2, 9, dtype=torch.float64)
    return {"calls": [call("grad_by_hand", w, x, 3 * x) for w in (-4.0, 0.0, 3.0)]}


def _line_far():
    x = torch.linspace(0, 100, 11, dtype=torch.float64)
    return {"calls": [call("grad_line_by_hand", torch.tensor([-5.0, 40.0], dtype=torch.float64),
                           x, 2 * x + 1)]}


CHECKS = [
    Check("mse on 1 and on 1000 values", "mse", 1, _mse_shapes, judge_mse, probe="calls"),
    Check("grid_search on another grid", "grid_search", 1, _other_grid, judge_grid_best),
    Check("grad_by_hand at negative and zero w", "grad_by_hand", 1, _negative_w, judge_grad,
          probe="calls"),
    Check("grad_line_by_hand far from the optimum", "grad_line_by_hand", 1, _line_far,
          judge_line, probe="calls"),
]
