"""Paints a breaker state as a coloured pill with its text (closed green, open red, …)."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRectF, QSize, Qt
from PySide6.QtGui import QFont, QFontMetrics, QPainter
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from core import BreakerState
from gui import theme
from gui.models.destinations_model import BREAKER_STATE_ROLE

__all__ = ["BadgeDelegate"]

_PAD_X = 9
_PAD_Y = 3
_MARGIN_LEFT = 4
_MARGIN_RIGHT = 2


class BadgeDelegate(QStyledItemDelegate):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        text = index.data(Qt.ItemDataRole.DisplayRole)
        try:
            # Qt hands a str-enum back as a plain str
            state = BreakerState(str(index.data(BREAKER_STATE_ROLE)))
        except ValueError:
            state = None
        if state is None or not text:
            super().paint(painter, option, index)
            return
        # selection/hover background from the style, then the pill on top
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""
        widget = option.widget
        style = widget.style() if widget is not None else None
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)

        swatch = theme.breaker_swatch(state, theme.is_dark(option.palette))
        font = option.font
        font.setBold(True)
        metrics = QFontMetrics(font)
        rect = option.rect
        room = rect.width() - _MARGIN_LEFT - _MARGIN_RIGHT
        text = metrics.elidedText(str(text), Qt.TextElideMode.ElideRight, room - 2 * _PAD_X)
        width = min(metrics.horizontalAdvance(text) + 2 * _PAD_X, room)
        height = min(metrics.height() + 2 * _PAD_Y, rect.height() - 4)
        pill = QRectF(
            rect.left() + _MARGIN_LEFT, rect.center().y() - height / 2 + 0.5, width, height
        )

        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(swatch.fill)
        painter.drawRoundedRect(pill, height / 2, height / 2)
        painter.setFont(font)
        painter.setPen(swatch.text)
        painter.drawText(pill, int(Qt.AlignmentFlag.AlignCenter), text)
        painter.restore()

    @staticmethod
    def width_for(text: str, font: QFont) -> int:
        """The column width that shows ``text``'s badge whole (``font``: the table's)."""
        bold = QFont(font)
        bold.setBold(True)
        advance = QFontMetrics(bold).horizontalAdvance(text)
        return advance + 2 * _PAD_X + _MARGIN_LEFT + _MARGIN_RIGHT

    def sizeHint(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        base = super().sizeHint(option, index)
        font = option.font
        font.setBold(True)
        metrics = QFontMetrics(font)
        text = str(index.data(Qt.ItemDataRole.DisplayRole) or "forced-closed")
        width = metrics.horizontalAdvance(text) + 2 * _PAD_X + 12
        return QSize(
            max(base.width(), width), max(base.height(), metrics.height() + 2 * _PAD_Y + 6)
        )
