"""How a submission is boxed in, on the grader's side and in the child.

    process     one child: start it (forked from a zygote, or fresh), ask, kill, clean up
    child       the child itself: confine, then answer questions (never imports a judge)
    zygote      pre-imported parents of children; zygote_main is the zygote's own loop
    confine     file system view, uid drop, no new privileges (inside the child)
    isolation   the plan for this machine (uid, namespaces, cgroups) and its preflight
    host        what the OS offers, killing, cleaning up; cgroup2 for unified hierarchies
    libc        the C calls the above need, in one place

The student side (``check``) imports none of these.
"""
