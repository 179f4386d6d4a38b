"""Where the history lives: the per-user data directory, or ``SCATTERDASH_DATA_DIR``."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import platformdirs

__all__ = [
    "DATABASE_FILE",
    "DATA_DIR_VARIABLE",
    "data_dir",
    "default_database_path",
    "legacy_paths",
]

DATA_DIR_VARIABLE = "SCATTERDASH_DATA_DIR"
DATABASE_FILE = "history.sqlite3"
LEGACY_FILE = "history.jsonl"


def data_dir(environ: Mapping[str, str] | None = None) -> Path:
    """``$SCATTERDASH_DATA_DIR`` if set, else the platform's per-user data directory
    (``~/.local/share/Scatterdash`` on Linux)."""
    environ = os.environ if environ is None else environ
    override = environ.get(DATA_DIR_VARIABLE)
    if override:
        return Path(override).expanduser()
    return Path(platformdirs.user_data_dir("Scatterdash", "Scatterdash"))


def default_database_path(environ: Mapping[str, str] | None = None) -> Path:
    return data_dir(environ) / DATABASE_FILE


def legacy_paths(directory: Path) -> tuple[Path, ...]:
    """Where earlier versions kept ``history.jsonl``: next to the database, and in the
    window's old Qt data directory (``<data>/Scatterdash/`` on Linux)."""
    return (directory / LEGACY_FILE, directory / "Scatterdash" / LEGACY_FILE)
