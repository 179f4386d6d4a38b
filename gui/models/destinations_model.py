"""The destinations table: one row per supplier, from :class:`core.HealthTracker` snapshots.

Rows never move (config order); :meth:`DestinationsModel.update` compares the new
snapshot with the old one and emits ``dataChanged`` only for the rows that changed.
A supplier whose TLS certificate is not verified (``verify = false``) carries a warning
icon and says so in its tooltip, for as long as it is configured that way.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from PySide6.QtCore import (
    Qt,
)
from PySide6.QtGui import QBrush

from core import (
    BreakerState,
    Config,
    Status,
    SupplierConfig,
    SupplierHealth,
    display_address,
    host_port,
    public_url,
)
from gui import theme
from gui.icons import icon
from gui.models._table import (
    ALIGN_RIGHT,
    ALIGNMENT,
    DECORATION,
    DISPLAY,
    FOREGROUND,
    TOOLTIP,
    CachedTableModel,
    Roles,
)
from gui.sparkline import EMPTY, FAILED

__all__ = ["BREAKER_STATE_ROLE", "SORT_ROLE", "Column", "DestinationsModel"]


BREAKER_STATE_ROLE = Qt.ItemDataRole.UserRole + 1
"""the row's breaker state (any column; a :class:`core.BreakerState`, read back as its str)"""
SORT_ROLE = Qt.ItemDataRole.UserRole + 2
"""a value that sorts naturally (numbers as numbers, missing last)"""


class Column(enum.IntEnum):
    NAME = 0
    BREAKER = 1
    NOTE = 2
    SUCCESS = 3
    ERRORS = 4
    LAST = 5
    P50 = 6
    P95 = 7
    IN_FLIGHT = 8
    TRANSPORT = 9
    ADDRESS = 10
    TREND = 11


_HEADERS = {
    Column.NAME: "Supplier",
    Column.BREAKER: "Breaker",
    Column.NOTE: "Status",
    Column.SUCCESS: "Success",
    Column.ERRORS: "Errors",
    Column.LAST: "Last",
    Column.P50: "p50",
    Column.P95: "p95",
    Column.IN_FLIGHT: "In flight",
    Column.TRANSPORT: "Transport",
    Column.ADDRESS: "Address",
    Column.TREND: "Trend",
}

_TOOLTIPS = {
    Column.BREAKER: "Circuit breaker state (right-click a row for operator actions)",
    Column.NOTE: "Countdown to half-open for an open breaker, else the last error",
    Column.SUCCESS: "Successful calls over the rolling window",
    Column.ERRORS: "Failed calls (errors, invalid replies, own timeouts) over the window",
    Column.LAST: "Latency of the last finished call",
    Column.P50: "Median latency of recent successful calls",
    Column.P95: "95th percentile latency of recent successful calls",
    Column.IN_FLIGHT: "Calls to this supplier in flight right now",
    Column.TRANSPORT: "How requests reach the supplier; for a broker, its connection state",
    Column.TREND: "p95 latency of calls and probes over the last 5 minutes, 30 s a "
    "character, from the supplier's own lowest to its highest (✕: everything failed, "
    "·: nothing finished)",
}

_NUMERIC = {
    Column.SUCCESS,
    Column.ERRORS,
    Column.LAST,
    Column.P50,
    Column.P95,
    Column.IN_FLIGHT,
}


def _ms(value: float | None) -> str:
    """At most six characters ("4.6 ms", "987 ms", "1.78 s"): the column's width."""
    if value is None:
        return "—"
    if value < 9.95:
        return f"{value:.1f} ms"
    if value < 999.5:
        return f"{value:.0f} ms"
    seconds = value / 1000
    if seconds < 9.995:
        return f"{seconds:.2f} s"
    return f"{seconds:.1f} s" if seconds < 99.95 else f"{seconds:.0f} s"


def _rate(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f} %"


def countdown(seconds: float | None) -> str:
    """ "half-open in 12 s" for an open breaker."""
    if seconds is None:
        return ""
    return f"half-open in {max(0, round(seconds + 0.49))} s"


def note(health: SupplierHealth) -> str:
    if health.state is BreakerState.OPEN:
        return countdown(health.half_open_in_s)
    if health.state is BreakerState.HALF_OPEN:
        return "trial calls"
    if health.state is BreakerState.DISABLED:
        return "out of service"
    if health.state is BreakerState.FORCED_OPEN:
        return "held open by operator"
    if health.last_error and health.last_status not in (None, Status.OK, Status.CANCELLED):
        return f"last: {health.last_error}"
    return ""


class DestinationsModel(CachedTableModel):
    """Read-only; refreshed with :meth:`update` on a timer and on engine events."""

    headers = tuple(_HEADERS[column] for column in Column)
    header_tooltips: ClassVar[Mapping[int, str]] = {
        int(column): text for column, text in _TOOLTIPS.items()
    }
    right_aligned = frozenset(int(column) for column in _NUMERIC)
    lazy_roles = frozenset({TOOLTIP, SORT_ROLE})

    def __init__(self, config: Config, parent: Any = None) -> None:
        super().__init__(parent)
        self._suppliers = config.suppliers
        self._rows: list[SupplierHealth | None] = []
        self._cells: list[tuple[str, ...]] = []
        self._trends: list[str] = []
        self._unverified: set[int] = set()
        self._connections: dict[int, str] = {}
        self._row_by_name: dict[str, int] = {}
        self._load(config)

    def _load(self, config: Config) -> None:
        self._suppliers = config.suppliers
        self._connections = {}
        self._row_by_name = {s.name: row for row, s in enumerate(config.suppliers)}
        self._rows = [None] * len(config.suppliers)
        self._cells = [self._texts(i, None) for i in range(len(self._rows))]
        self._trends = [""] * len(self._rows)
        self._unverified = {i for i, s in enumerate(config.suppliers) if not s.verify}
        self.forget_all()

    def set_config(self, config: Config) -> None:
        """Other suppliers (another config was opened): every row is replaced."""
        if config.suppliers is self._suppliers:
            return
        self.beginResetModel()
        self._load(config)
        self.endResetModel()

    def uses_brokers(self) -> bool:
        """Some supplier is reached through a message broker, not HTTP."""
        return any(supplier.transport != "http" for supplier in self._suppliers)

    def tls_unverified(self, row: int) -> bool:
        """The supplier's certificate is not checked (``verify = false``)."""
        return row in self._unverified

    # -- Qt model interface --------------------------------------------------------------

    def row_count(self) -> int:
        return len(self._rows)

    def row_roles(self, row: int) -> tuple[Roles, ...]:
        texts, health = self._cells[row], self._rows[row]
        state = health.state if health is not None else BreakerState.CLOSED
        cells: list[Roles] = []
        for column in Column:
            roles: Roles = {BREAKER_STATE_ROLE: state}
            if column == Column.TREND:
                trend = self._trends[row]
                roles[DISPLAY] = trend
                if trend.rstrip(EMPTY).endswith(FAILED):  # failing right now
                    roles[FOREGROUND] = QBrush(theme.outcome_color(Status.ERROR))
            else:
                roles[DISPLAY] = texts[column]
            if column in _NUMERIC:
                roles[ALIGNMENT] = ALIGN_RIGHT
            if column == Column.NAME and row in self._unverified:
                roles[DECORATION] = icon("warning")
            if health is not None and (foreground := self._foreground(health, column)) is not None:
                roles[FOREGROUND] = foreground
            cells.append(roles)
        return tuple(cells)

    def lazy_data(self, row: int, column: int, role: int) -> Any:
        if role == SORT_ROLE:
            return (
                self._trends[row]
                if column == Column.TREND
                else self._sort_value(row, Column(column))
            )
        return self._tooltip(row, Column(column))

    def _tooltip(self, row: int, column: Column) -> str | None:
        if column == Column.TREND:
            return _TOOLTIPS[Column.TREND]
        if column == Column.NAME and row in self._unverified:
            name = self._suppliers[row].name
            return f"TLS verification is OFF for {name}: its certificate is not checked"
        if column == Column.ADDRESS:
            return _full_address(self._suppliers[row])
        health = self._rows[row]
        if health is None:
            return None
        if column in (Column.NOTE, Column.NAME) and health.last_error:
            return f"{health.name}: last {health.last_status}: {health.last_error}"
        if column == Column.BREAKER:
            return f"breaker {health.state.value}, {health.calls} calls in the window"
        return None

    # -- updates -------------------------------------------------------------------------

    def update(self, snapshot: list[SupplierHealth]) -> None:
        """Take a new snapshot (from ``HealthTracker.snapshot()``, config order)."""
        self._take(enumerate(snapshot[: len(self._rows)]))

    def update_rows(self, rows: dict[int, SupplierHealth]) -> None:
        """Take new health for some rows only (the rest did not change)."""
        self._take((row, rows[row]) for row in sorted(rows))

    def _take(self, rows: Iterable[tuple[int, SupplierHealth]]) -> None:
        """Store new health; one ``dataChanged`` per run of adjacent changed rows, over the
        columns whose cells changed: the view then repaints those cells only, not the names,
        badges and addresses that stay as they were."""
        run: list[int] = []  # first row, last row, leftmost column, rightmost column
        for row, health in rows:
            old = self._rows[row]
            if health == old:
                continue
            texts = self._texts(row, health)
            span = _changed_columns(self._cells[row], texts, old, health)
            self._rows[row], self._cells[row] = health, texts
            self.forget(row)
            if span is None:
                continue
            if run and row == run[1] + 1:
                run[1] = row
                run[2], run[3] = min(run[2], span[0]), max(run[3], span[1])
                continue
            if run:
                self._emit(*run)
            run = [row, row, *span]
        if run:
            self._emit(*run)

    def set_trend(self, row: int, trend: str) -> None:
        """A row's sparkline (see :func:`gui.sparkline.sparkline`)."""
        if 0 <= row < len(self._trends) and self._trends[row] != trend:
            self._trends[row] = trend
            self.forget(row)
            index = self.index(row, Column.TREND)
            self.dataChanged.emit(index, index)

    def trend(self, row: int) -> str:
        return self._trends[row]

    def _emit(self, first: int, last: int, left: int, right: int) -> None:
        self.dataChanged.emit(self.index(first, left), self.index(last, right))

    def health(self, row: int) -> SupplierHealth | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def name(self, row: int) -> str:
        return self._suppliers[row].name

    def row_of(self, name: str) -> int | None:
        for row, supplier in enumerate(self._suppliers):
            if supplier.name == name:
                return row
        return None

    def healthy_count(self) -> tuple[int, int]:
        """(healthy, total) suppliers in the latest snapshot."""
        healthy = sum(1 for health in self._rows if health is None or health.healthy)
        return healthy, len(self._rows)

    def unhealthy_names(self) -> list[str]:
        return [h.name for h in self._rows if h is not None and not h.healthy]

    def unhealthy_states(self) -> list[tuple[str, BreakerState]]:
        """(name, breaker state) of each supplier that is not healthy, config order."""
        return [(h.name, h.state) for h in self._rows if h is not None and not h.healthy]

    # -- helpers -------------------------------------------------------------------------

    def _texts(self, row: int, health: SupplierHealth | None) -> tuple[str, ...]:
        supplier = self._suppliers[row]
        if health is None:
            return (
                supplier.name,
                BreakerState.CLOSED.value,
                "",
                "—",
                "—",
                "—",
                "—",
                "—",
                "0",
                self._transport_text(row),
                _short_address(supplier),
            )
        return (
            supplier.name,
            health.state.value,
            note(health),
            _rate(health.success_rate),
            _rate(health.error_rate),
            _ms(health.last_latency_ms),
            _ms(health.p50_ms),
            _ms(health.p95_ms),
            str(health.in_flight),
            self._transport_text(row),
            _short_address(supplier),
        )

    def _transport_text(self, row: int) -> str:
        """``http``, or a broker transport with its connection state: ``amqp · connected``."""
        transport = self._suppliers[row].transport
        state = self._connections.get(row)
        return f"{transport} · {state}" if state else transport

    def show_connections(self, states: Mapping[str, str]) -> None:
        """Show the broker suppliers' connection states (from ``Session.connection_states``)."""
        for name, state in states.items():
            row = self._row_by_name.get(name)
            if row is None or self._connections.get(row) == state:
                continue
            self._connections[row] = state
            cells = list(self._cells[row])
            cells[Column.TRANSPORT] = self._transport_text(row)
            self._cells[row] = tuple(cells)
            self.forget(row)
            index = self.index(row, Column.TRANSPORT)
            self.dataChanged.emit(index, index)

    @staticmethod
    def _foreground(health: SupplierHealth, column: Column) -> QBrush | None:
        """Trouble in colour: the last failure's outcome colour, a failing error rate."""
        failed = health.last_status is not None and health.last_status not in (
            Status.OK,
            Status.CANCELLED,
        )
        if column == Column.NOTE and failed and health.state is BreakerState.CLOSED:
            return QBrush(theme.outcome_color(health.last_status))
        if column == Column.ERRORS and (health.error_rate or 0.0) > 0.0:
            return QBrush(theme.outcome_color(Status.ERROR))
        return None

    def _sort_value(self, row: int, column: Column) -> Any:
        health = self._rows[row]
        if health is None:
            return self._cells[row][column] if column not in _NUMERIC else -1.0
        values: dict[Column, float | None] = {
            Column.SUCCESS: health.success_rate,
            Column.ERRORS: health.error_rate,
            Column.LAST: health.last_latency_ms,
            Column.P50: health.p50_ms,
            Column.P95: health.p95_ms,
            Column.IN_FLIGHT: float(health.in_flight),
        }
        if column in values:
            value = values[column]
            return -1.0 if value is None else value
        return self._cells[row][column]


def _changed_columns(
    old_texts: tuple[str, ...],
    texts: tuple[str, ...],
    old: SupplierHealth | None,
    new: SupplierHealth,
) -> tuple[int, int] | None:
    """The leftmost and rightmost column whose cell looks different, or None."""
    if old is None or old.state is not new.state:
        return 0, len(Column) - 1  # the breaker state is a role of every cell
    changed = [column for column, text in enumerate(texts) if text != old_texts[column]]
    if old.last_status is not new.last_status:  # the colour of the note and errors
        changed += (Column.NOTE, Column.ERRORS)
    return (min(changed), max(changed)) if changed else None


def _short_address(supplier: SupplierConfig) -> str:
    """``host:port`` for HTTP (twelve identical URL prefixes tell nothing), else the broker."""
    return host_port(supplier.url) if supplier.transport == "http" else display_address(supplier)


def _full_address(supplier: SupplierConfig) -> str:
    return public_url(supplier.url) if supplier.transport == "http" else display_address(supplier)
