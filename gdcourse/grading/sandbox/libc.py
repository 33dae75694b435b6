"""The C library calls the sandbox needs and Python does not wrap, in one place.

``libc`` is loaded on first use (so importing the grader loads nothing), every call that
can fail goes through :func:`check` (an ``OSError`` with errno and words), and the flag
values are named once here.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import os

__all__ = ["libc", "check", "prctl", "mount", "umount2", "unshare", "CLONE_NEWNS",
           "CLONE_NEWUSER", "CLONE_NEWPID", "CLONE_NEWIPC", "CLONE_NEWNET", "MS_RDONLY",
           "MS_NOSUID", "MS_NODEV", "MS_NOEXEC", "MS_REMOUNT", "MS_BIND", "MS_REC",
           "MS_PRIVATE", "MNT_DETACH", "PR_SET_PDEATHSIG", "PR_GET_DUMPABLE",
           "PR_SET_DUMPABLE", "PR_CAPBSET_DROP", "PR_SET_NO_NEW_PRIVS"]

CLONE_NEWNS, CLONE_NEWUSER, CLONE_NEWPID = 0x00020000, 0x10000000, 0x20000000
CLONE_NEWIPC, CLONE_NEWNET = 0x08000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
MNT_DETACH = 2
PR_SET_PDEATHSIG, PR_GET_DUMPABLE, PR_SET_DUMPABLE = 1, 3, 4
PR_CAPBSET_DROP, PR_SET_NO_NEW_PRIVS = 24, 38


@functools.cache
def libc() -> ctypes.CDLL:
    return ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)


def check(result: int, what: str) -> None:
    """Raise OSError (with the C errno) when a libc call returned non-zero."""
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def prctl(option: int, value: int = 0) -> int:
    return int(libc().prctl(option, value, 0, 0, 0))


def _path(p: str | bytes | None) -> bytes | None:
    return p.encode() if isinstance(p, str) else p


def mount(source: str | bytes | None, target: str | bytes, fstype: str | bytes | None,
          flags: int, data: str = "") -> None:
    check(libc().mount(_path(source), _path(target), _path(fstype), flags,
                       data.encode() if data else None), f"mount {target!r}")


def umount2(target: str, flags: int = MNT_DETACH) -> int:
    return int(libc().umount2(target.encode(), flags))


def unshare(flags: int) -> None:
    check(libc().unshare(flags), "unshare")
