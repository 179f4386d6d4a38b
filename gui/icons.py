"""Icons from ``resources/icons/*.svg`` (drawn for this project, no licences to track)."""

from __future__ import annotations

from functools import cache

from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap

from core import resource

__all__ = ["dot", "icon", "icon_path"]


def icon_path(name: str) -> str:
    return str(resource(f"icons/{name}.svg"))


@cache
def icon(name: str) -> QIcon:
    """The named icon; an empty icon (never an error) if the file is missing."""
    path = resource(f"icons/{name}.svg")
    return QIcon(str(path)) if path.is_file() else QIcon()


@cache
def dot(color: str) -> QIcon:
    """A small filled circle of ``color`` (a name or ``#rrggbb``), for status markers."""
    pixmap = QPixmap(12, 12)
    pixmap.fill(QColor(0, 0, 0, 0))
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(QColor(0, 0, 0, 0))
    painter.setBrush(QColor(color))
    painter.drawEllipse(1, 1, 10, 10)
    painter.end()
    return QIcon(pixmap)
