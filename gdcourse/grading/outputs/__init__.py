"""What the grader writes for the instructor: reports, gradebooks, Gradescope, similarity.

    report       the text a student or instructor reads about one submission
    export       the class CSV and JSON, Gradescope's results.json, one report per file
    roster       file names to students
    gradescope   the autograder bundle, and run_autograder's grading of one upload
    similarity   which submissions look alike

Nothing here runs student code; every string from a submission passes ``safetext``.
"""
