"""What the grader writes for the instructor: reports, gradebooks, Gradescope, similarity.

    report       the text a student or instructor reads about one submission
    export       the class CSV and JSON, Gradescope's results.json, one report per file
    roster       file names to students
    upload       which of a student's uploaded files to grade, and why
    bundle       the Gradescope autograder zip: setup.sh, run_autograder, limits
    gradescope   run_autograder's grading of one upload and its results.json
    progress     `gdcourse grade`'s per-submission lines on a terminal or a pipe
    environment  the modules the bundle will have, and submissions importing others
    similarity   which submissions look alike

Nothing here runs student code; every string from a submission passes ``safetext``.
"""
