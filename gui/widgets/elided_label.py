"""A one-line label that cuts its text with "…" when squeezed, the whole text in its tooltip.

For the status bar, where a long comparison summary or alert would otherwise push its
neighbours off or be clipped mid-word.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QPainter, QPaintEvent
from PySide6.QtWidgets import QLabel, QWidget

__all__ = ["ElidedLabel"]

_LEAST_CHARACTERS = 12
"""squeezed to no less than about this many characters"""


class ElidedLabel(QLabel):
    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setText(text)

    def setText(self, text: str) -> None:
        super().setText(text)
        self.setToolTip(text)

    def clear(self) -> None:
        self.setText("")

    def minimumSizeHint(self) -> QSize:
        least = self.fontMetrics().averageCharWidth() * _LEAST_CHARACTERS
        return QSize(min(least, super().sizeHint().width()), super().minimumSizeHint().height())

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setPen(self.palette().color(self.foregroundRole()))
        painter.drawText(self.contentsRect(), int(self.alignment()), self.shown_text())

    def shown_text(self) -> str:
        """The text as drawn: cut with "…" when it is wider than the label."""
        room = self.contentsRect().width()
        return self.fontMetrics().elidedText(self.text(), Qt.TextElideMode.ElideRight, room)
