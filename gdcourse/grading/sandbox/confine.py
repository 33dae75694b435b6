"""Inside the child, before any student code: join the cgroups, reshape the file system the
child sees, give up every privilege.

The grader starts the child through ``unshare`` (mount + PID namespaces; a user namespace
too when the grader is not root), so the mounts made here are the child's alone and vanish
with it:

    /tmp, /var/tmp        a fresh small tmpfs each, /tmp holding the child's working
                          directory (and, each, only the way to a needed path inside it:
                          a checkout or venv cloned there)
    /dev/shm              a fresh small tmpfs (no channel between classmates)
    hidden, solutions,    an empty tmpfs each (the instructor's checks, exercises/source,
    submissions' folders, the classmates' files, the judges), mounted after every other
    judges                step, so no later bind shows them again wherever they live
    a directory the       a tmpfs of mode 0755 holding bind mounts of exactly the paths the
    child's uid cannot    interpreter needs (Python under a /root of mode 0700): honest
    traverse              imports at call time keep working, the rest of /root stays unseen
    gdcourse              read-only

Then the uid drop (``setresuid`` to a uid no account uses; root grader) or the loss of every
capability (user namespace), and ``PR_SET_NO_NEW_PRIVS``, so no setuid helper gives any back.
"""

from __future__ import annotations

import ctypes
import os
import secrets
import stat

from .libc import (
    MNT_DETACH,
    MS_BIND,
    MS_NODEV,
    MS_NOSUID,
    MS_RDONLY,
    MS_REC,
    MS_REMOUNT,
    PR_CAPBSET_DROP,
    PR_SET_NO_NEW_PRIVS,
    check,
    libc,
    mount,
    prctl,
    umount2,
)

__all__ = ["join_cgroups", "reshape", "drop_privileges", "traversable"]


def _mount(source: str, target: str, fstype: str | None, flags: int, data: str = "") -> None:
    mount(source, target, fstype, flags, data)


def join_cgroups(dirs: list[str]) -> None:
    """Move this process (and so everything it starts) into the submission's cgroups."""
    for d in dirs:
        with open(os.path.join(d, "cgroup.procs"), "w") as f:
            f.write("0")


def traversable(path: str, uid: int, gid: int, *, read: bool = False) -> bool:
    """Can ``uid``/``gid`` (no supplementary groups) enter ``path`` (and list it)?"""
    st = os.stat(path)
    shift = 6 if st.st_uid == uid else 3 if st.st_gid == gid else 0
    need = (stat.S_IXOTH | (stat.S_IROTH if read else 0)) << shift
    return uid == 0 or (st.st_mode & need) == need


def _shadow(directory: str, keep: list[str], *, mode: str, stage: str,
            size: str = "16m", owner: int = 0) -> None:
    """Replace ``directory`` by an empty tmpfs that holds bind mounts of exactly ``keep``
    (paths inside it, each mounted at the same place, on directories of mode 0755 made
    for the way there): nothing else of what was there shows."""
    keep = [k for k in sorted(set(keep)) if k != directory and not any(
        o != k and _inside(k, o) for o in keep)]
    staged = []
    for k in keep:
        mark = os.path.join(stage, secrets.token_hex(8))
        if os.path.isdir(k):
            os.mkdir(mark)
        else:
            open(mark, "w").close()
        _mount(k, mark, None, MS_BIND | MS_REC)
        staged.append((k, mark, os.path.isdir(k)))
    _mount("tmpfs", directory, "tmpfs", MS_NOSUID | MS_NODEV,
           f"mode={mode},size={size},uid={owner},gid={owner}")
    for target, mark, is_dir in staged:
        parent = os.path.dirname(target)
        way = []
        while not os.path.isdir(parent):
            way.append(parent)
            parent = os.path.dirname(parent)
        for d in reversed(way):
            os.mkdir(d)
            os.chmod(d, 0o755)
        if is_dir:
            os.mkdir(target)
        else:
            open(target, "w").close()
        _mount(mark, target, None, MS_BIND | MS_REC)
        check(umount2(mark), f"umount {mark}")


def _inside(path: str, directory: str) -> bool:
    return path == directory or path.startswith(directory.rstrip(os.sep) + os.sep)


def reshape(*, needed: list[str], workdir: str, hide: list[str], readonly: list[str],
            uid: int, gid: int) -> list[str]:
    """Apply the file system plan of the module docstring; returns what it could not do."""
    needed = sorted({os.path.realpath(p) for p in needed if os.path.exists(p)})
    # Resolved now, in the view every path was given in: the mounts below change it.
    hide = [os.path.realpath(h) for h in hide]
    shm = "/dev/shm" if os.path.isdir("/dev/shm") else "/run"
    # Staging for bind mounts, on the shared /dev/shm until the end (then made private).
    stage = _mkdir(os.path.join(shm, f"gdcourse-stage-{secrets.token_hex(8)}"))
    try:
        _mount("tmpfs", stage, "tmpfs", 0, "mode=0700")
        skipped = _reshape(needed, workdir, hide, readonly, uid, gid, stage)
    finally:
        umount2(stage, MNT_DETACH)
        os.rmdir(stage)
    # Shared scratch space would be a channel between classmates: a private one each (the
    # staging lives here, so this one comes last; a checkout under it keeps it shared).
    if os.path.isdir("/dev/shm") and not any(_inside(p, "/dev/shm") for p in needed):
        _mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777,size=64m")
    return skipped


def _reshape(needed: list[str], workdir: str, hide: list[str], readonly: list[str],
             uid: int, gid: int, stage: str) -> list[str]:
    skipped: list[str] = []
    # 1. Let the child's uid reach the interpreter: every blocking directory on the way to a
    #    needed path is replaced by a traversable tmpfs holding just the way onward.
    for path in needed:
        parts = path.strip(os.sep).split(os.sep)
        for depth in range(len(parts)):
            d = os.sep + os.sep.join(parts[:depth])
            if not traversable(d, uid, gid):
                _shadow(d, [p for p in needed if _inside(p, d) and p != d], mode="0755",
                        stage=stage)
        if not traversable(path, uid, gid, read=True):
            skipped.append(f"{path} (not readable by the child's uid)")
    # 2. /tmp: only the child's own working directory; /var/tmp: nothing of its own. Each
    #    keeps the way to a needed path inside it (a checkout or venv cloned under /tmp),
    #    and so shows that checkout's package again, judges included: step 3 comes after.
    tmp = os.path.dirname(workdir)
    fresh = [tmp, *(d for d in [os.path.realpath("/var/tmp")] if os.path.isdir(d)
                    and not _inside(d, tmp) and not _inside(tmp, d))]
    for scratch in fresh:
        _shadow(scratch, [p for p in needed if _inside(p, scratch)], mode="1777",
                stage=stage, size="256m" if scratch == tmp else "64m")
    os.mkdir(workdir, 0o700)
    os.chown(workdir, uid, gid)
    # 3. What the child must not read: empty in its view (unless it holds what it needs),
    #    done last, on the view steps 1 and 2 left, so no later mount shows it again. A
    #    path inside a fresh /tmp is gone already unless on the way to a needed one (the
    #    checkout's judges are): then it is hidden here like any other. A scratch folder
    #    itself (or above it) stays the fresh one.
    for h in hide:
        if not os.path.isdir(h) or any(_inside(s, h) for s in fresh):
            continue
        if h in needed or _inside(workdir, h):
            skipped.append(f"{h} (the child needs it)")
            continue
        _shadow(h, [p for p in needed if _inside(p, h)], mode="0555", stage=stage, size="1m")
    for r in readonly:
        if os.path.isdir(r):
            _mount(r, r, None, MS_BIND | MS_REC)
            _mount(r, r, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID)
    return skipped


def _mkdir(path: str) -> str:
    os.mkdir(path, 0o700)
    return path


def drop_privileges(uid: int) -> None:
    """Become ``uid`` (>= 0) for good, or (-1, in a user namespace) lose every capability;
    then no exec can raise privileges again."""
    if uid >= 0:
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)
        if os.getresuid() != (uid, uid, uid):
            raise SystemExit("could not give up root")
    else:
        _drop_capabilities()
    check(prctl(PR_SET_NO_NEW_PRIVS, 1), "PR_SET_NO_NEW_PRIVS")


def _drop_capabilities() -> None:
    """capset(all zero) for this process: namespace root keeps its uid but no power."""

    class Header(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

    class Data(ctypes.Structure):
        _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                    ("inheritable", ctypes.c_uint32)]

    for cap in range(64):
        if prctl(PR_CAPBSET_DROP, cap) != 0:     # past the last capability: EINVAL
            break
    header, data = Header(0x20080522, 0), (Data * 2)()
    check(libc().capset(ctypes.byref(header), data), "capset")
