"""The process's open-file limit, lifted for a scatter to many suppliers at once.

Every supplier holds a pooled connection or more (up to ``max_idle_per_origin`` kept
idle), so 1000 suppliers need well over a desktop's default soft limit of 1024 open
files; past it, connects fail with "too many open files". The soft limit is raised toward
the hard one, which any process may do. Process-wide state: applications call this (the
window, ``compare``, ``watch``, ``fleet``), the library never does.
"""

from __future__ import annotations

import contextlib
import sys

__all__ = ["CONNECTIONS_PER_SUPPLIER", "lift_file_limit"]

CONNECTIONS_PER_SUPPLIER = 16
"""what to allow each supplier: the pool keeps up to 8 idle, and calls are in flight"""

_SPARE = 256
"""for everything else: the history database, logs, Qt, the brokers' sockets"""


def lift_file_limit(suppliers: int) -> None:
    """Raise the soft open-file limit to serve ``suppliers`` at once (POSIX; a no-op
    where the limit is already enough or cannot be raised)."""
    if sys.platform == "win32":
        return
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = CONNECTIONS_PER_SUPPLIER * suppliers + _SPARE
    if soft == resource.RLIM_INFINITY or soft >= wanted:
        return
    new = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (new, hard))
