"""What the grader writes for the instructor: reports, gradebooks, Gradescope, similarity."""
