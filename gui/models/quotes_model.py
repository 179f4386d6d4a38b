"""Every valid quote of the last comparison, the winner highlighted (``quotesTable``)."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QFont

from core import Comparison, PricedQuote
from gui import theme
from gui.icons import icon
from gui.models._table import (
    ALIGN_RIGHT,
    ALIGNMENT,
    BACKGROUND,
    DECORATION,
    DISPLAY,
    FONT,
    FOREGROUND,
    CachedTableModel,
    Roles,
)

__all__ = ["SORT_ROLE", "WINNER_ROLE", "QuoteColumn", "QuotesModel"]


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
_RIGHT = frozenset(
    int(c) for c in (QuoteColumn.TOTAL, QuoteColumn.UNIT, QuoteColumn.DELIVERY, QuoteColumn.LATENCY)
)


_COLUMNS = len(QuoteColumn)


def _texts(priced: PricedQuote) -> tuple[str, ...]:
    quote = priced.quote
    return (
        priced.supplier,
        f"{quote.total_price:,.2f} {quote.currency}",
        f"{quote.unit_price:,.2f}",
        "in stock" if quote.in_stock else "out",
        f"{quote.delivery_days} d",
        f"{priced.latency_ms:.0f} ms",
        _date(quote.valid_until),
    )


def _date(moment: str) -> str:
    """The day of an ISO-8601 date-time (the whole of it is in the tooltip)."""
    try:
        return datetime.fromisoformat(moment).date().isoformat()
    except ValueError:
        return moment


def _keys(priced: PricedQuote) -> tuple[Any, ...]:
    quote = priced.quote
    return (
        priced.supplier,
        quote.total_price,
        quote.unit_price,
        int(quote.in_stock),
        quote.delivery_days,
        priced.latency_ms,
        quote.valid_until,
    )


class QuotesModel(CachedTableModel):
    """Read-only; texts and sort keys are computed once per comparison, not per paint."""

    headers = _HEADERS
    right_aligned = _RIGHT

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._quotes: tuple[PricedQuote, ...] = ()
        self._texts: list[tuple[str, ...]] = []
        self._keys: list[tuple[Any, ...]] = []
        self._winner: str | None = None
        self._winner_row = -1
        self._sort_column = int(QuoteColumn.TOTAL)
        self._sort_order = Qt.SortOrder.AscendingOrder

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
        self._arrange()
        self.endResetModel()

    def _arrange(self) -> list[int]:
        """Order the rows by the current sort; returns the old row of each new row."""
        column, descending = self._sort_column, self._sort_order == Qt.SortOrder.DescendingOrder
        keys = [_keys(priced) for priced in self._quotes]
        order = sorted(range(len(keys)), key=lambda row: keys[row][column], reverse=descending)
        self._quotes = tuple(self._quotes[row] for row in order)
        self._keys = [keys[row] for row in order]
        self._texts = [_texts(priced) for priced in self._quotes]
        self._winner_row = next(
            (row for row, priced in enumerate(self._quotes) if priced.supplier == self._winner),
            -1,
        )
        self.forget_all()
        return order

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sort in the model (no proxy: a proxy's sort costs ms per comparison at 200 rows)."""
        if not 0 <= column < _COLUMNS:
            return
        self.layoutAboutToBeChanged.emit()
        self._sort_column, self._sort_order = column, order
        old_rows = self._arrange()
        new_row = {old: new for new, old in enumerate(old_rows)}
        previous = self.persistentIndexList()
        self.changePersistentIndexList(
            previous,
            [self.index(new_row[index.row()], index.column()) for index in previous],
        )
        self.layoutChanged.emit()

    def quote(self, row: int) -> PricedQuote:
        return self._quotes[row]

    # -- Qt model interface --------------------------------------------------------------

    def row_count(self) -> int:
        return len(self._quotes)

    def row_roles(self, row: int) -> tuple[Roles, ...]:
        texts, keys = self._texts[row], self._keys[row]
        is_winner = row == self._winner_row
        cells: list[Roles] = [
            {DISPLAY: texts[column], SORT_ROLE: keys[column], WINNER_ROLE: is_winner}
            for column in range(_COLUMNS)
        ]
        for column in _RIGHT:
            cells[column][ALIGNMENT] = ALIGN_RIGHT
        if is_winner:
            cells[QuoteColumn.SUPPLIER][DECORATION] = icon("winner")
            bold = QFont()
            bold.setBold(True)
            gold = QColor(theme.winner_color())
            gold.setAlpha(70)
            background = QBrush(gold)
            for roles in cells:
                roles[FONT] = bold
                roles[BACKGROUND] = background
        elif not keys[QuoteColumn.STOCK]:
            grey = QBrush(QColor("#868e96"))
            for roles in cells:
                roles[FOREGROUND] = grey
        return tuple(cells)

    def lazy_data(self, row: int, column: int, role: int) -> Any:
        priced = self._quotes[row]
        if column == QuoteColumn.VALID_UNTIL:
            return f"valid until {priced.quote.valid_until}"
        if row == self._winner_row:
            return f"{priced.supplier} won this comparison"
        if not priced.quote.in_stock:
            return "out of stock: never a winner"
        return None
