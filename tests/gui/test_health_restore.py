"""A window opened over a history with recent probes shows that health at once."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from core import BreakerState, BreakerTransition, HistoryService, ProbeCompleted
from core.fleet import Fleet
from gui.main_window import MainWindow
from gui.models.destinations_model import Column
from tests.gui.conftest import AsyncLoop, destination_cell

pytestmark = pytest.mark.gui

VICTIM = "northwind"


async def _record(path: Path, now: float) -> None:
    """What an earlier run recorded: a probe every 3 s for the last 40 s, an outage."""
    service = HistoryService(path)
    for i in range(12):
        probe = ProbeCompleted(VICTIM, "ok", 20.0 + i, None, "closed", now - 40 + 3 * i)
        service.submit(lambda db, probe=probe: db.add_probe(probe))
    for old, new, at in (("closed", "open", now - 300), ("open", "closed", now - 240)):
        transition = BreakerTransition(VICTIM, old, new, "r", at)
        service.submit(lambda db, transition=transition: db.add_transition(transition))
    await service.aclose()


def test_a_window_opened_over_recent_history_shows_its_health(
    aloop: AsyncLoop, fleet: Fleet, make_window: Callable[..., MainWindow], tmp_path: Path
) -> None:
    aloop.run(_record(tmp_path / "history.sqlite3", time.time()))  # make_window's history
    window = make_window()  # probing off: everything shown comes from the history
    health = window.session.health_window
    aloop.until(lambda: not health.holding)
    assert health.stats(VICTIM).calls == 12
    assert health.stats("bluepeak-supply").calls == 0

    view = window.health_view
    view.show_supplier(VICTIM)
    view.redraw()
    assert view.stats_label.text().startswith("last 60 s: p50 ")
    assert "errors 0/12 (0%)" in view.stats_label.text()
    assert np.isfinite(view.chart.p50.getData()[1]).sum() >= 3
    [(start, end)] = view.chart.span_minutes(BreakerState.OPEN)
    assert start == pytest.approx(-5.0, abs=0.2) and end == pytest.approx(-4.0, abs=0.2)
    # the destinations table's trend column reads the same window
    aloop.until(lambda: destination_cell(window, VICTIM, Column.TREND).strip(" ·") != "")
