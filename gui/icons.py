"""Icons from ``resources/icons/*.svg`` (drawn for this project, no licences to track)."""

from __future__ import annotations

from functools import cache

from PySide6.QtGui import QIcon

from core import resource

__all__ = ["icon", "icon_path"]


def icon_path(name: str) -> str:
    return str(resource(f"icons/{name}.svg"))


@cache
def icon(name: str) -> QIcon:
    """The named icon; an empty icon (never an error) if the file is missing."""
    path = resource(f"icons/{name}.svg")
    return QIcon(str(path)) if path.is_file() else QIcon()
