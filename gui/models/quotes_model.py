"""Every valid quote of the last comparison, the winner highlighted (``quotesTable``)."""

from __future__ import annotations

import enum
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QFont

from core import Comparison, PricedQuote
from gui import theme
from gui.icons import icon

__all__ = ["SORT_ROLE", "WINNER_ROLE", "QuoteColumn", "QuotesModel"]

ModelIndex = QModelIndex | QPersistentModelIndex

WINNER_ROLE = Qt.ItemDataRole.UserRole + 1
"""True on every cell of the winner's row"""
SORT_ROLE = Qt.ItemDataRole.UserRole + 2


class QuoteColumn(enum.IntEnum):
    SUPPLIER = 0
    TOTAL = 1
    UNIT = 2
    STOCK = 3
    DELIVERY = 4
    LATENCY = 5
    VALID_UNTIL = 6


_HEADERS = (
    "Supplier",
    "Total",
    "Unit",
    "Stock",
    "Delivery",
    "Latency",
    "Valid until",
)
_RIGHT = {QuoteColumn.TOTAL, QuoteColumn.UNIT, QuoteColumn.DELIVERY, QuoteColumn.LATENCY}


class QuotesModel(QAbstractTableModel):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._quotes: tuple[PricedQuote, ...] = ()
        self._winner: str | None = None

    @property
    def winner(self) -> str | None:
        return self._winner

    def set_comparison(self, comparison: Comparison | None) -> None:
        self.beginResetModel()
        if comparison is None:
            self._quotes, self._winner = (), None
        else:
            self._quotes = comparison.quotes
            winner = comparison.winner if comparison.decided else None
            self._winner = winner.supplier if winner is not None else None
        self.endResetModel()

    def quote(self, row: int) -> PricedQuote:
        return self._quotes[row]

    # -- Qt model interface --------------------------------------------------------------

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._quotes)

    def columnCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(QuoteColumn)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(QuoteColumn):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return _HEADERS[section]
        if role == Qt.ItemDataRole.TextAlignmentRole and section in _RIGHT:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.parent().isValid():
            return None
        priced = self._quotes[index.row()]
        column = QuoteColumn(index.column())
        is_winner = priced.supplier == self._winner
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(priced, column)
        if role == SORT_ROLE:
            return self._sort_value(priced, column)
        if role == WINNER_ROLE:
            return is_winner
        if role == Qt.ItemDataRole.TextAlignmentRole and column in _RIGHT:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.DecorationRole and column == QuoteColumn.SUPPLIER and is_winner:
            return icon("winner")
        if role == Qt.ItemDataRole.FontRole and is_winner:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.BackgroundRole and is_winner:
            gold = QColor(theme.winner_color())
            gold.setAlpha(70)
            return QBrush(gold)
        if role == Qt.ItemDataRole.ForegroundRole and not priced.quote.in_stock:
            return QBrush(QColor("#868e96"))
        if role == Qt.ItemDataRole.ToolTipRole:
            if is_winner:
                return f"{priced.supplier} won this comparison"
            if not priced.quote.in_stock:
                return "out of stock: never a winner"
        return None

    @staticmethod
    def _text(priced: PricedQuote, column: QuoteColumn) -> str:
        quote = priced.quote
        if column == QuoteColumn.SUPPLIER:
            return priced.supplier
        if column == QuoteColumn.TOTAL:
            return f"{quote.total_price:,.2f} {quote.currency}"
        if column == QuoteColumn.UNIT:
            return f"{quote.unit_price:,.2f}"
        if column == QuoteColumn.STOCK:
            return "in stock" if quote.in_stock else "out"
        if column == QuoteColumn.DELIVERY:
            return f"{quote.delivery_days} d"
        if column == QuoteColumn.LATENCY:
            return f"{priced.latency_ms:.0f} ms"
        return quote.valid_until

    @staticmethod
    def _sort_value(priced: PricedQuote, column: QuoteColumn) -> Any:
        quote = priced.quote
        values: dict[QuoteColumn, Any] = {
            QuoteColumn.SUPPLIER: priced.supplier,
            QuoteColumn.TOTAL: quote.total_price,
            QuoteColumn.UNIT: quote.unit_price,
            QuoteColumn.STOCK: int(quote.in_stock),
            QuoteColumn.DELIVERY: quote.delivery_days,
            QuoteColumn.LATENCY: priced.latency_ms,
            QuoteColumn.VALID_UNTIL: quote.valid_until,
        }
        return values[column]
