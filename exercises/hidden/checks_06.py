"""Hidden checks for exercise 06 (an example for instructors; keep your real ones private)."""

from gdcourse.grading import Check
from gdcourse.grading.judges.ex06 import judge_trajectory, trajectory_inputs

EXERCISE = "06"

CHECKS = [
    Check("Momentum with beta=0.99 for 50 steps", "Momentum", 1,
          trajectory_inputs("Momentum", {"lr": 0.01, "beta": 0.99}, 601, [(7,)], steps=50),
          judge_trajectory, "trajectory"),
    Check("Adam with a large lr and three tensors", "Adam", 1,
          trajectory_inputs("Adam", {"lr": 0.5}, 602, [(2,), (3, 3), (1,)], steps=30),
          judge_trajectory, "trajectory"),
]
