"""Write a text file whole or not at all: a reader never sees half of it, and a failure
(a full disk) never destroys the file it was to replace."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

__all__ = ["write_whole"]


def write_whole(path: str | Path, text: str, *, private: bool = False) -> None:
    """Write ``text`` into a temporary file beside ``path``, then rename it over ``path``.

    Through a symbolic link, to the file it points to. ``private``: readable by the owner
    only (it may hold credentials); else the mode of the file it replaces, or what
    ``open()`` would give a new one. A file the user may write in a directory they may not
    is written in place, unless ``private``.
    """
    target = Path(os.path.realpath(path))
    try:
        fd, temporary = tempfile.mkstemp(
            dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"
        )
    except PermissionError:
        if private:
            raise
        target.write_text(text, encoding="utf-8", newline="")
        return
    try:
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as file:
            file.write(text)
        if not private:  # mkstemp made it the owner's only
            os.chmod(temporary, target.stat().st_mode & 0o777 if target.exists() else _new_mode())
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _new_mode() -> int:
    """0o666 less the process's umask, read without setting it (os.umask would change it
    for every thread while this may run on a worker thread)."""
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return 0o666 & ~int(line.split()[1], 8)
    return 0o644
