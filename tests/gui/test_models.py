"""Every table model passes Qt's model tester, also while it changes."""

from __future__ import annotations

import dataclasses

import pytest
from PySide6.QtCore import QPersistentModelIndex, Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from core import BreakerState, Comparison, PriceComparator, Status
from core.fleet import Fleet
from gui import theme
from gui.icons import dot
from gui.models.destinations_model import (
    BREAKER_STATE_ROLE,
    Column,
    DestinationsModel,
    countdown,
)
from gui.models.outcomes_model import OutcomeColumn, OutcomesModel
from gui.models.quotes_model import SORT_ROLE, WINNER_ROLE, QuotesModel
from gui.session import Session, Ticket
from gui.widgets.result_panel import ResultPanel
from tests.gui.conftest import AsyncLoop, healthy

pytestmark = pytest.mark.gui


def test_destinations_model(qtmodeltester: ModelTester, aloop: AsyncLoop, fleet: Fleet) -> None:
    healthy(fleet)
    session = Session(fleet.config)
    model = DestinationsModel(fleet.config)
    qtmodeltester.check(model)
    assert model.rowCount() == len(fleet.suppliers)
    assert model.index(0, Column.BREAKER).data() == "closed"
    url = fleet.config.suppliers[0].url
    assert model.index(0, Column.ADDRESS).data() == url.removeprefix("http://").removesuffix(
        "/quote"
    )
    assert model.index(0, Column.ADDRESS).data(Qt.ItemDataRole.ToolTipRole) == url
    assert model.index(0, Column.TRANSPORT).data() == "http"

    changes: list[tuple[int, int]] = []
    model.dataChanged.connect(lambda first, last, *_: changes.append((first.row(), last.row())))
    aloop.run(session.compare(Ticket("SKU-100", 3, "all")))
    model.update(session.snapshot())
    qtmodeltester.check(model)
    assert changes == [(0, len(fleet.suppliers) - 1)]
    assert model.index(0, Column.SUCCESS).data() == "100 %"
    assert model.index(0, Column.LAST).data().endswith(" ms")

    changes.clear()
    name = fleet.config.suppliers[3].name
    session.comparator.breakers[name].force_open()
    model.update(session.snapshot())
    assert changes == [(3, 3)]  # only the row that changed
    assert model.index(3, Column.BREAKER).data() == "forced-open"
    assert model.index(3, 0).data(BREAKER_STATE_ROLE) == BreakerState.FORCED_OPEN
    assert model.unhealthy_names() == [name]
    assert model.healthy_count() == (len(fleet.suppliers) - 1, len(fleet.suppliers))

    spans: list[tuple[int, int, int, int]] = []
    model.dataChanged.connect(
        lambda first, last, *_: spans.append(
            (first.row(), last.row(), first.column(), last.column())
        )
    )
    health = model.health(5)
    assert health is not None
    model.update_rows({5: dataclasses.replace(health, last_latency_ms=987.0)})
    assert spans == [(5, 5, Column.LAST, Column.LAST)]  # names, badges, addresses stay painted
    assert model.index(5, Column.LAST).data() == "987 ms"
    model.update_rows({5: dataclasses.replace(health, last_latency_ms=1781.0)})
    assert model.index(5, Column.LAST).data() == "1.78 s"  # fits where "999 ms" does

    health = model.health(3)
    assert health is not None
    model.update_rows(
        {3: dataclasses.replace(health, state=BreakerState.OPEN, half_open_in_s=11.2)}
    )
    assert model.index(3, Column.NOTE).data() == "half-open in 12 s"
    qtmodeltester.check(model)

    # another config: every row replaced (a model reset), TLS-unverified rows flagged
    four = fleet.config.suppliers[:4]
    other = fleet.config.model_copy(
        update={"suppliers": (four[0].model_copy(update={"verify": False}), *four[1:])}
    )
    model.set_config(other)
    qtmodeltester.check(model)
    assert model.rowCount() == 4
    assert model.index(0, Column.BREAKER).data() == "closed"  # no health read yet
    assert model.tls_unverified(0) and not model.tls_unverified(1)
    assert model.index(0, Column.NAME).data(Qt.ItemDataRole.DecorationRole) is not None
    assert model.index(1, Column.NAME).data(Qt.ItemDataRole.DecorationRole) is None
    aloop.run(session.aclose())


def test_countdown_text() -> None:
    assert countdown(None) == ""
    assert countdown(0.0) == "half-open in 0 s"
    assert countdown(29.6) == "half-open in 30 s"


def test_quotes_and_outcomes_models(
    qtmodeltester: ModelTester, aloop: AsyncLoop, fleet: Fleet
) -> None:
    healthy(fleet)
    quotes, outcomes = QuotesModel(), OutcomesModel()
    qtmodeltester.check(quotes)
    qtmodeltester.check(outcomes)

    async def run() -> Comparison:
        async with PriceComparator(fleet.config) as comparator:
            return await comparator.compare("SKU-111", 4, strategy="best")

    comparison = aloop.run(run())
    quotes.set_comparison(comparison)
    outcomes.set_outcomes(
        [(r.name, r.status, r.latency_ms, r.error) for r in comparison.suppliers],
        comparison.winner.supplier,
    )
    qtmodeltester.check(quotes)
    qtmodeltester.check(outcomes)
    assert quotes.rowCount() == len(comparison.quotes)
    winners = [r for r in range(quotes.rowCount()) if quotes.index(r, 0).data(WINNER_ROLE)]
    assert [quotes.index(r, 0).data() for r in winners] == [comparison.winner.supplier]
    assert quotes.index(winners[0], 0).data(Qt.ItemDataRole.FontRole).bold()
    selected = QPersistentModelIndex(quotes.index(winners[0], 0))
    quotes.sort(5, Qt.SortOrder.DescendingOrder)  # by latency, slowest first
    qtmodeltester.check(quotes)
    latencies = [quotes.index(r, 5).data(SORT_ROLE) for r in range(quotes.rowCount())]
    assert latencies == sorted(latencies, reverse=True)
    assert selected.data() == comparison.winner.supplier  # persistent indexes follow
    assert selected.data(WINNER_ROLE)
    assert outcomes.index(0, 1).data() in {"ok", "error", "timeout", "invalid"}
    assert outcomes.index(0, 1).data(Qt.ItemDataRole.UserRole + 1) in set(Status)

    quotes.set_comparison(None)
    outcomes.set_outcomes([])
    qtmodeltester.check(quotes)
    qtmodeltester.check(outcomes)
    assert quotes.rowCount() == outcomes.rowCount() == 0


def test_an_outcome_detail_never_repeats_the_outcome() -> None:
    outcomes = OutcomesModel()
    outcomes.set_outcomes(
        [
            ("acme", Status.CIRCUIT_OPEN, None, "circuit open"),
            ("globex", Status.CIRCUIT_OPEN, None, "disabled by operator"),
            ("initech", Status.ERROR, 12.0, "HTTP 500 Internal Server Error"),
        ]
    )
    shown = [(outcomes.index(row, 1).data(), outcomes.index(row, 3).data()) for row in range(3)]
    assert shown == [
        ("circuit open", ""),
        ("circuit open", "disabled by operator"),
        ("error", "HTTP 500 Internal Server Error"),
    ]


def test_a_palette_switch_recolours_rows_already_built(qapp: QApplication) -> None:
    """The models build each row's colours once; a new palette has them built again."""
    panel = ResultPanel()
    panel.outcomes.set_outcomes([("acme", Status.OK, 5.0, None)])
    cell = panel.outcomes.index(0, OutcomeColumn.OUTCOME)
    light = cell.data(Qt.ItemDataRole.DecorationRole)
    assert light.cacheKey() == dot(theme.outcome_color(Status.OK, False).name()).cacheKey()
    dark = QPalette()
    for role, color in (
        (QPalette.ColorRole.Window, "#202124"),
        (QPalette.ColorRole.WindowText, "#e8eaed"),
    ):
        dark.setColor(role, QColor(color))
    original = qapp.palette()
    try:
        qapp.setPalette(dark)
        qapp.processEvents()  # Qt posts the change to each widget
        shown = cell.data(Qt.ItemDataRole.DecorationRole)
        assert shown.cacheKey() == dot(theme.outcome_color(Status.OK, True).name()).cacheKey()
        assert shown.cacheKey() != light.cacheKey()
    finally:
        qapp.setPalette(original)
        panel.deleteLater()


def test_the_result_tables_fill_after_the_headline_one_at_a_time(
    qtbot: QtBot, aloop: AsyncLoop, fleet: Fleet
) -> None:
    healthy(fleet)

    async def run() -> Comparison:
        async with PriceComparator(fleet.config) as comparator:
            return await comparator.compare("SKU-111", 4, strategy="best")

    comparison = aloop.run(run())
    assert comparison.winner is not None
    panel = ResultPanel()
    qtbot.addWidget(panel)
    filled: list[str] = []
    panel.quotes.modelReset.connect(lambda: filled.append("quotes"))
    panel.outcomes.modelReset.connect(lambda: filled.append("outcomes"))
    panel.show_comparison(comparison)
    assert comparison.winner.supplier in panel.headline.text()
    assert filled == [] and not panel.tables_current  # painted first: headline and plot
    qtbot.waitUntil(lambda: panel.tables_current)
    assert filled == ["quotes", "outcomes"]
    assert panel.quotes.rowCount() == len(comparison.quotes)
    assert panel.outcomes.rowCount() == len(comparison.suppliers)
