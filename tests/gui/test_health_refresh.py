"""Refreshing hundreds of suppliers' health stays cheap: one signal per run of rows, and
percentiles computed without the 98 cut points nobody reads."""

from __future__ import annotations

import dataclasses
import random
import statistics

import pytest

from core import BreakerState, CircuitBreaker, HealthTracker, Status, SupplierResult
from core._events import CallResult
from core.fleet import Fleet
from gui.models.destinations_model import DestinationsModel
from gui.session import Session

pytestmark = pytest.mark.gui


def test_changed_rows_are_announced_one_run_at_a_time(fleet: Fleet) -> None:
    session = Session(fleet.config)
    model = DestinationsModel(fleet.config)
    model.update(session.snapshot())
    changes: list[tuple[int, int]] = []
    model.dataChanged.connect(lambda first, last, *_: changes.append((first.row(), last.row())))
    updates = {}
    for row in (1, 2, 3, 5):
        health = model.health(row)
        assert health is not None
        updates[row] = dataclasses.replace(health, state=BreakerState.OPEN, half_open_in_s=3.0)
    model.update_rows(updates)
    assert changes == [(1, 3), (5, 5)]
    assert [model.health(row).state for row in (1, 2, 3, 5)] == [BreakerState.OPEN] * 4  # type: ignore[union-attr]


@pytest.mark.parametrize("count", [1, 2, 3, 17, 100, 250])
def test_percentiles_are_the_inclusive_quantiles(count: int) -> None:
    tracker = HealthTracker({"s": CircuitBreaker("s")})
    rng = random.Random(count)
    latencies = [rng.lognormvariate(3, 0.6) for _ in range(count)]
    for latency in latencies:
        result: SupplierResult[str] = SupplierResult("s", Status.OK, latency, "q")
        tracker.observe(CallResult("c", result, 0.0))
    kept = latencies[-100:]  # the tracker keeps the last hundred
    health = tracker.health("s")
    if count == 1:
        assert health.p50_ms == health.p95_ms == kept[0]
        return
    cuts = statistics.quantiles(kept, n=100, method="inclusive")
    assert health.p50_ms == pytest.approx(cuts[49], rel=1e-12)
    assert health.p95_ms == pytest.approx(cuts[94], rel=1e-12)
