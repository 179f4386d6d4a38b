"""The Result panel: a plain-words summary, ``quotesTable`` and each supplier's outcome."""

from __future__ import annotations

from html import escape

from PySide6.QtCore import QEvent, QSize, Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from core import Comparison, Status
from gui import theme
from gui.live import LiveRun
from gui.models.outcomes_model import Outcome, OutcomesModel
from gui.models.quotes_model import WINNER_ROLE, QuoteColumn, QuotesModel
from gui.wording import describe_quote

__all__ = ["RUNNING_DELAY_MS", "ResultPanel"]

ROWS_TO_FIT = 12
"""the outcomes table asks for this many rows: the demo fleet's suppliers"""
ROW_HEIGHT = 22
"""rows of the quotes and outcomes tables: 12 suppliers fit at 1440×900"""
RUNNING_DELAY_MS = 200
"""a comparison shows as running in the Result panel once it has run this long"""
TABLES_DELAY_MS = 0
"""the quotes table takes a comparison in a timer event of its own, after the headline and
the plot have been painted, and the outcomes table in the next one: with 200 suppliers,
everything painted in one event-loop turn held the GUI thread for 15-30 ms
(``tests/bench/bench_gui.py --sustained``)"""


def describe_request(product_id: str | None, quantity: int | None) -> str:
    """ "10 × SKU-110" with a leading space, or "" when the comparison did not say."""
    if not product_id:
        return ""
    return f" {quantity} × {product_id}" if quantity is not None else f" {product_id}"


class FittingTable(QTableView):
    """Asks for the height of up to :data:`ROWS_TO_FIT` rows: no scrolling for a fleet that size."""

    def sizeHint(self) -> QSize:
        hint = super().sizeHint()
        rows = min(max(self.model().rowCount() if self.model() else 0, ROWS_TO_FIT), ROWS_TO_FIT)
        height = (
            self.horizontalHeader().sizeHint().height()
            + rows * self.verticalHeader().defaultSectionSize()
            + 2 * self.frameWidth()
        )
        return QSize(hint.width(), height)


def _table(parent: QWidget, name: str, kind: type[QTableView] = QTableView) -> QTableView:
    table = kind(parent)
    table.setObjectName(name)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setAlternatingRowColors(True)
    table.setShowGrid(False)
    table.setWordWrap(False)
    table.verticalHeader().hide()
    table.verticalHeader().setDefaultSectionSize(ROW_HEIGHT)
    table.horizontalHeader().setHighlightSections(False)
    table.horizontalHeader().setStretchLastSection(True)
    table.horizontalHeader().setMinimumSectionSize(40)
    table.horizontalHeader().setDefaultSectionSize(60)  # the stretched last column's least
    return table


class ResultPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.comparison: Comparison | None = None
        self._running: LiveRun | None = None
        self._running_timer = QTimer(self)
        self._running_timer.setSingleShot(True)
        self._running_timer.setInterval(RUNNING_DELAY_MS)
        self._running_timer.timeout.connect(self._show_running)
        self._for_tables: Comparison | None = None
        self._quotes_for: Comparison | None = None
        self._tables_timer = QTimer(self)
        self._tables_timer.setSingleShot(True)
        self._tables_timer.setInterval(TABLES_DELAY_MS)
        self._tables_timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._tables_timer.timeout.connect(self._fill_tables)

        self.headline = QLabel("No comparison yet", self)
        self.headline.setObjectName("resultHeadline")
        self.headline.setWordWrap(True)
        self.headline.setTextFormat(Qt.TextFormat.RichText)
        self.headline.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.fields: dict[str, QLabel] = {}
        form = QGridLayout()
        form.setHorizontalSpacing(12)
        form.setVerticalSpacing(3)
        form.setColumnStretch(1, 1)
        # strategy, elapsed and partial are short: they share one row
        for row, keys in enumerate(
            (
                (("winner", "Winner"),),
                (("cheapest", "Cheapest"),),
                (("fastest", "Fastest delivery"),),
                (("strategy", "Strategy"), ("elapsed", "Elapsed"), ("partial", "Partial")),
                (("correlation", "Correlation id"),),
            )
        ):
            line = QHBoxLayout()
            line.setSpacing(6)
            for position, (key, label) in enumerate(keys):
                value = QLabel("—", self)
                value.setObjectName(f"result_{key}")
                value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
                self.fields[key] = value
                if position == 0:
                    form.addWidget(QLabel(f"{label}:", self), row, 0)
                else:
                    line.addSpacing(16)
                    line.addWidget(QLabel(f"{label}:", self))
                line.addWidget(value)
            line.addStretch(1)
            form.addLayout(line, row, 1)

        self.quotes = QuotesModel(self)
        self.quotes_table = _table(self, "quotesTable")
        self.quotes_table.setModel(self.quotes)
        self.quotes_table.setSortingEnabled(True)
        self.quotes_table.sortByColumn(QuoteColumn.TOTAL, Qt.SortOrder.AscendingOrder)
        header = self.quotes_table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for column, width in (
            (QuoteColumn.SUPPLIER, 137),
            (QuoteColumn.TOTAL, 98),
            (QuoteColumn.UNIT, 54),
            (QuoteColumn.STOCK, 60),
            (QuoteColumn.DELIVERY, 56),
            (QuoteColumn.LATENCY, 60),  # the winner's "999 ms", in bold
        ):
            header.resizeSection(column, width)

        self.outcomes = OutcomesModel(self)
        self.outcomes_table = _table(self, "outcomesTable", FittingTable)
        self.outcomes_table.setModel(self.outcomes)
        outcome_header = self.outcomes_table.horizontalHeader()
        for index, size in ((0, 150), (1, 100), (2, 66)):
            outcome_header.resizeSection(index, size)

        splitter = QSplitter(Qt.Orientation.Vertical, self)
        splitter.setObjectName("resultSplitter")
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(self.quotes_table)
        splitter.addWidget(self.outcomes_table)
        splitter.setStretchFactor(0, 1)  # the quotes scroll; the outcomes get their rows
        splitter.setStretchFactor(1, 0)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 6, 4, 4)
        layout.setSpacing(6)
        layout.addWidget(self.headline)
        layout.addLayout(form)
        layout.addWidget(splitter, 1)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:  # the models keep built colours
            self.quotes.restyle()
            self.outcomes.restyle()

    # -- showing -------------------------------------------------------------------------

    def _headline(self, text: str, color: str, detail: str = "") -> None:
        html = f'<span style="font-size:13pt; font-weight:600; color:{color}">{escape(text)}</span>'
        if detail:
            html += f"<br>{escape(detail)}"
        self.headline.setText(html)

    def show_running(self, run: LiveRun) -> None:
        """A comparison started: say so, unless it is over within :data:`RUNNING_DELAY_MS`.

        Back-to-back fast comparisons then go from one result straight to the next,
        without a flash of "Comparing…" and without repainting the tables twice.
        """
        self._running = run
        self._running_timer.start()

    def _show_running(self) -> None:
        run = self._running
        if run is None:
            return
        what = describe_request(run.product_id, run.quantity)
        self._headline(
            f"Comparing{what}…",
            theme.outcome_color(None).name(),
            f"{run.strategy} across {len(run.names)} suppliers",
        )
        for field in self.fields.values():
            field.setText("…")
        self.fields["strategy"].setText(run.strategy)
        self.fields["correlation"].setText(run.correlation_id)
        # the last comparison's tables stay, greyed out, until this one decides
        self.quotes_table.setEnabled(False)
        self.outcomes_table.setEnabled(False)

    def _settled(self) -> None:
        self._running = None
        self._running_timer.stop()
        self._for_tables = None
        self._tables_timer.stop()

    @property
    def tables_current(self) -> bool:
        """The quotes and outcomes tables show what the headline shows (none still to fill)."""
        return self._for_tables is None

    def _fill_tables(self) -> None:
        """The quotes, then (in the next timer event, after their paint) the outcomes."""
        comparison = self._for_tables
        if comparison is None:
            return
        if self._quotes_for is not comparison:
            self._quotes_for = comparison
            self.quotes.set_comparison(comparison)
            self.quotes_table.setEnabled(True)
            self._tables_timer.start()
            return
        self._for_tables = None
        winner = comparison.winner if comparison.decided else None
        rows: list[Outcome] = [
            (r.name, r.status, r.latency_ms, r.error) for r in comparison.suppliers
        ]
        self.outcomes.set_outcomes(rows, winner.supplier if winner else None)
        self.outcomes_table.setEnabled(True)

    def clear(self) -> None:
        """No comparison (yet) on these suppliers."""
        self._settled()
        self.comparison = None
        self.headline.setText("No comparison yet")
        for field in self.fields.values():
            field.setText("—")
        self.quotes.set_comparison(None)
        self.outcomes.set_outcomes([])
        self.quotes_table.setEnabled(True)
        self.outcomes_table.setEnabled(True)

    def show_comparison(self, comparison: Comparison) -> None:
        """The headline and fields now, the tables in the next timer events."""
        self._settled()
        self.comparison = comparison
        dark = theme.is_dark(self.palette())
        winner = comparison.winner if comparison.decided else None
        if comparison.decided and winner is not None:
            self._headline(
                f"Winner: {winner.supplier}",
                theme.outcome_color(Status.OK, dark).name(),
                f"{winner.quote.total_price:,.2f} {winner.quote.currency} for "
                f"{comparison.quantity} × {comparison.product_id}",
            )
        elif comparison.decided:
            self._headline("Decided", theme.outcome_color(Status.OK, dark).name())
        else:
            self._headline(
                "Undecided",
                theme.outcome_color(Status.ERROR, dark).name(),
                comparison.error or "no decision",
            )
        self.fields["winner"].setText(describe_quote(winner))
        self.fields["cheapest"].setText(describe_quote(comparison.cheapest))
        self.fields["fastest"].setText(describe_quote(comparison.fastest_delivery))
        self.fields["strategy"].setText(comparison.strategy)
        self.fields["elapsed"].setText(f"{comparison.elapsed_ms:.0f} ms")
        self.fields["partial"].setText(
            "yes: the deadline cut some suppliers off" if comparison.partial else "no"
        )
        self.fields["correlation"].setText(comparison.correlation_id)
        self._for_tables, self._quotes_for = comparison, None
        self._tables_timer.start()

    def show_cancelled(self, run: LiveRun | None) -> None:
        self._settled()
        self._headline(
            "Cancelled",
            theme.outcome_color(Status.CANCELLED, theme.is_dark(self.palette())).name(),
            "the comparison was cancelled by the operator; no decision",
        )
        self.quotes.set_comparison(None)
        self.quotes_table.setEnabled(True)
        self.outcomes_table.setEnabled(True)
        if run is not None:
            rows: list[Outcome] = [
                (
                    name,
                    run.statuses.get(name),
                    float(run.length_ms[i]) if name in run.statuses else None,
                    run.errors.get(name),
                )
                for i, name in enumerate(run.names)
            ]
            self.outcomes.set_outcomes(rows)

    def show_error(self, message: str) -> None:
        self._settled()
        self._headline(
            "Not compared", theme.outcome_color(Status.ERROR, theme.is_dark(self.palette())).name()
        )
        self.headline.setText(self.headline.text() + f"<br>{escape(message)}")

    def winner_row(self) -> int | None:
        """The ``quotesTable`` (view) row highlighted as the winner."""
        for row in range(self.quotes.rowCount()):
            if self.quotes.index(row, 0).data(WINNER_ROLE):
                return row
        return None
