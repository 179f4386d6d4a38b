"""The window as a new user meets it: honest progress, plain wording, readable columns at
1440×900, a title that says each thing once, and closing that ends the window's work."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from urllib.parse import urlsplit

import pytest
from PySide6.QtCore import QPoint
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import QLabel, QScrollArea, QSpinBox, QTableView

from core import BreakerState, Config, Status
from core.fleet import Fleet
from gui.main_window import MainWindow
from gui.models.destinations_model import Column
from gui.models.quotes_model import QuoteColumn
from gui.session import BreakerAction
from gui.wording import describe_quote, health_words, window_title
from tests.gui.conftest import AsyncLoop, compare, healthy, set_strategy
from tests.support.scripted import sockets_to

pytestmark = pytest.mark.gui


def _ports(fleet: Fleet) -> set[int]:
    return {urlsplit(supplier.url).port or 0 for supplier in fleet.config.suppliers}


def _expected_progress(statuses: list[Status], total: int) -> str:
    replied = statuses.count(Status.OK)
    parts = [f"{replied}/{total} replied"]
    for count, label in (
        (statuses.count(Status.ERROR) + statuses.count(Status.INVALID), "failed"),
        (statuses.count(Status.TIMEOUT), "timed out"),
        (statuses.count(Status.CANCELLED), "cancelled"),
        (statuses.count(Status.CIRCUIT_OPEN), "skipped"),
    ):
        if count:
            parts.append(f"{count} {label}")
    return " · ".join(parts)


def test_progress_counts_failures_timeouts_and_cancels_apart(
    aloop: AsyncLoop, fleet: Fleet, make_window: Callable[..., MainWindow]
) -> None:
    healthy(fleet)
    window = make_window()
    names = [s.name for s in fleet.config.suppliers]
    fleet.set_faults(names[0], error_rate=1.0)
    fleet.set_faults(names[1], hang=True)
    set_strategy(window, "all")
    window.ticket.timeout_spin.setValue(1.0)
    comparison = compare(aloop, window)
    statuses = [r.status for r in comparison.suppliers]
    assert statuses.count(Status.ERROR) == 1 and statuses.count(Status.TIMEOUT) == 1
    shown = window.ticket.progress.format()
    assert shown == "10/12 replied · 1 failed · 1 timed out"

    fleet.set_faults(names[1], hang=False)
    set_strategy(window, "majority")
    comparison = compare(aloop, window)
    statuses = [r.status for r in comparison.suppliers]
    assert Status.CANCELLED in statuses  # a quorum of 7 decides before everyone answers
    assert window.ticket.progress.format() == _expected_progress(statuses, 12)
    assert not window.ticket.progress.format().startswith("12/12")


def test_health_line_tells_down_from_recovering(
    aloop: AsyncLoop, fleet: Fleet, make_window: Callable[..., MainWindow]
) -> None:
    healthy(fleet)
    config: Config = fleet.config
    fast = config.breaker.model_copy(update={"open_seconds": 1.0, "consecutive_failures": 1})
    window = make_window(config.model_copy(update={"breaker": fast}))
    victim, held = config.suppliers[0].name, config.suppliers[1].name
    window.apply_breaker_action(held, BreakerAction.FORCE_OPEN)
    assert f"down: {held}" in window.health_label.text()

    fleet.set_faults(victim, outage=True)
    compare(aloop, window)
    aloop.until(lambda: f"down: {victim}, {held}" in window.health_label.text(), timeout=2)
    fleet.set_faults(victim, outage=False)
    aloop.until(lambda: f"recovering: {victim}" in window.health_label.text(), timeout=3)
    assert f"down: {held} · recovering: {victim}" in window.health_label.text()


def test_health_words_classify_every_state() -> None:
    states = [
        ("a", BreakerState.OPEN),
        ("b", BreakerState.FORCED_OPEN),
        ("c", BreakerState.DISABLED),
        ("d", BreakerState.HALF_OPEN),
        ("e", BreakerState.CLOSED),  # its last call failed
    ]
    words = health_words(7, 12, states)
    assert (words.summary, words.detail) == (
        "7/12 healthy",
        "down: a, b, c · recovering: d · failing: e",
    )
    assert health_words(12, 12, []).detail == ""
    # the health dot: red only when one is down, amber while suppliers recover or fail
    assert words.worst is BreakerState.OPEN
    assert health_words(11, 12, [("d", BreakerState.HALF_OPEN)]).worst is BreakerState.HALF_OPEN
    assert health_words(11, 12, [("e", BreakerState.CLOSED)]).worst is BreakerState.HALF_OPEN
    assert health_words(12, 12, []).worst is BreakerState.CLOSED


def _rows_fit(table: QTableView) -> bool:
    model = table.model()
    last = model.rowCount() - 1
    bottom = table.rowViewportPosition(last) + table.rowHeight(last)
    return (
        table.rowViewportPosition(0) == 0
        and bottom <= table.viewport().height()
        and not table.verticalScrollBar().isVisible()
    )


def test_columns_and_panes_are_readable_at_1440_by_900(
    aloop: AsyncLoop, fleet: Fleet, make_window: Callable[..., MainWindow]
) -> None:
    healthy(fleet)
    window = make_window()
    assert (window.width(), window.height()) == (1440, 900)
    comparison = compare(aloop, window)

    destinations = window.findChild(QTableView, "destinationsTable")
    outcomes = window.findChild(QTableView, "outcomesTable")
    assert destinations.model().rowCount() == outcomes.model().rowCount() == 12
    assert window.last_label.text().startswith(f"best: winner {describe_quote(comparison.winner)}")
    assert _rows_fit(destinations) and _rows_fit(outcomes)

    model = destinations.model()
    for row in range(model.rowCount()):
        url = fleet.config.supplier(model.index(row, Column.NAME).data()).url
        address = model.index(row, Column.ADDRESS)
        assert address.data() == f"127.0.0.1:{urlsplit(url).port}"
        assert address.data(3) == url  # ToolTipRole: the whole URL
    address_width = destinations.columnWidth(Column.ADDRESS)
    assert destinations.fontMetrics().horizontalAdvance("127.0.0.1:65535") < address_width

    quotes = window.findChild(QTableView, "quotesTable")
    valid = quotes.model().index(0, QuoteColumn.VALID_UNTIL)
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", valid.data())
    assert valid.data() in valid.data(3)  # the tooltip has the whole date-time
    assert quotes.fontMetrics().horizontalAdvance(valid.data()) < quotes.columnWidth(
        QuoteColumn.VALID_UNTIL
    )
    bold = QFont(quotes.font())
    bold.setBold(True)  # the winner's row
    latency_width = QFontMetrics(bold).horizontalAdvance("999 ms")
    assert latency_width < quotes.columnWidth(QuoteColumn.LATENCY) - 6
    detail = outcomes.model().index(0, 3)
    assert outcomes.columnWidth(3) > 100 and detail.column() == 3

    window.docks["fleetDock"].raise_()
    panel = window.fleet_panel
    assert panel is not None
    scroll = panel.findChild(QScrollArea)
    aloop.until(lambda: scroll.viewport().height() > 100)
    viewport = scroll.viewport()
    shown = [
        label
        for label in panel.findChildren(QLabel)
        if label.objectName().startswith("fleetName:")
        and label.mapTo(viewport, QPoint(0, label.height())).y() <= viewport.height()
    ]
    assert len(shown) >= 8


def test_min_responses_is_at_least_1_as_on_the_command_line(
    aloop: AsyncLoop, fleet: Fleet, make_window: Callable[..., MainWindow]
) -> None:
    """``compare --min-responses 0`` is refused; the ticket cannot ask for 0 either, not
    even when the config's default is 0: no comparison is decided on no quote at all."""
    defaults = fleet.config.defaults.model_copy(update={"min_responses": 0})
    window = make_window(fleet.config.model_copy(update={"defaults": defaults}))
    spin = window.findChild(QSpinBox, "minResponsesSpin")
    assert (spin.minimum(), spin.value()) == (1, 1)
    spin.setValue(0)
    assert spin.value() == 1

    for supplier in fleet.config.suppliers:
        fleet.set_faults(supplier.name, error_rate=1.0)
    set_strategy(window, "all")
    comparison = compare(aloop, window)
    assert not comparison.decided  # min responses 0 would decide "all" with no quote
    assert comparison.error is not None
    assert window.last_label.text() == (
        f"all: undecided: {comparison.error} · {comparison.elapsed_ms:.0f} ms"
    )


def test_the_title_says_each_thing_once(
    aloop: AsyncLoop, fleet: Fleet, make_window: Callable[..., MainWindow]
) -> None:
    window = make_window()
    assert window.windowTitle() == "Scatterdash — resources/demo.toml · 12 suppliers"
    assert window_title("suppliers.toml", 1) == "Scatterdash — suppliers.toml · 1 supplier"


def test_closing_a_window_ends_its_work_whoever_made_it(aloop: AsyncLoop, fleet: Fleet) -> None:
    """No launcher and no aclose(): close() alone cancels and releases the connections."""
    window = MainWindow(fleet.config, fleet=fleet, remember_layout=False)
    window.show()
    for supplier in fleet.suppliers:
        fleet.set_faults(supplier.name, hang=True)
    set_strategy(window, "all")
    task = window.start_comparison()
    assert task is not None
    aloop.until(lambda: window.run is not None and window.run.in_flight == 12)
    aloop.until(lambda: sockets_to(_ports(fleet)) >= 12, timeout=3)  # connected, hanging

    window.close()
    aloop.until(task.done, timeout=2)
    assert task.cancelled()
    aloop.until(lambda: sockets_to(_ports(fleet)) == 0 and not aloop.pending_tasks(), timeout=3)
    aloop.run(window.aclose())  # still fine to call: the same close
    window.deleteLater()


def test_the_status_bar_cuts_long_lines_instead_of_overlapping_them(
    aloop: AsyncLoop, fleet: Fleet, make_window: Callable[..., MainWindow]
) -> None:
    window = make_window()
    summary = "best: winner " + "a-supplier-with-a-very-long-name-" * 6
    alert = "summit-components: circuit breaker opened " + "(5 consecutive failures) " * 6
    window.last_label.setText(summary)
    window.health_watch.alert_label.setText(alert)
    status = window.statusBar()
    labels = [
        window.health_label,
        window.last_label,
        window.source_label,
        window.health_watch.alert_label,
        window.health_watch.probing_label,
    ]

    def side_by_side() -> bool:  # once the status bar has laid out the new texts
        if any(label.width() < label.minimumSizeHint().width() for label in labels):
            return False
        spans = sorted((label.x(), label.x() + label.width()) for label in labels)
        apart = all(right <= left for (_, right), (left, _) in itertools.pairwise(spans))
        return apart and spans[-1][1] <= status.width()

    aloop.until(side_by_side, timeout=2)
    for label, text in ((window.last_label, summary), (window.health_watch.alert_label, alert)):
        shown = label.shown_text()
        assert shown.endswith("…") and text.startswith(shown[:-1])
        assert label.fontMetrics().horizontalAdvance(shown) <= label.contentsRect().width()
        assert label.toolTip() == text  # the whole line, where it is cut
