"""Hidden checks for exercise 04 (an example for instructors; keep your real ones private)."""

import torch

from gdcourse.grading import Check
from gdcourse.grading.judges.ex04 import oracle_composite
from gdcourse.grading.judges.ex04 import value_and_grad_judge as judge

EXERCISE = "04"

CHECKS = [
    Check("log close to 0 and far from it", "log", 1,
          lambda: {"fn": "log", "values": [1e-3, 0.9, 1e4]}, judge(torch.log), "unary"),
    Check("tanh saturates at +-20", "tanh", 1,
          lambda: {"fn": "tanh", "values": [-20.0, -1e-4, 20.0]}, judge(torch.tanh), "unary"),
    Check("exp of large negative and positive numbers", "exp", 1,
          lambda: {"fn": "exp", "values": [-50.0, 1e-8, 30.0]}, judge(torch.exp), "unary"),
    Check("composition at other points", "sigmoid", 1,
          lambda: {"values": [-3.3, -0.01, 0.8, 4.0]}, judge(oracle_composite), "composite"),
]
