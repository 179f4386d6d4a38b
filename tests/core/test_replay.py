"""What-if replay: a recorded comparison re-decided by the real strategy classes, offline."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import core
from core.storage import (
    HistoryDatabase,
    HistoryRecorder,
    HistoryService,
    HistorySummary,
    OutcomeRecord,
    StoredComparison,
    replay,
    replay_document,
)
from tests.support.scripted import ScriptedFleet, healthy, status


def _quote(unit_price: float, *, in_stock: bool = True, days: int = 3) -> dict[str, Any]:
    return {
        "supplier_id": "x",
        "unit_price": unit_price,
        "total_price": round(unit_price * 10, 2),
        "currency": "EUR",
        "valid_until": "2099-01-01T00:00:00+00:00",
        "in_stock": in_stock,
        "delivery_days": days,
    }


def _stored(strategy: str, *outcomes: OutcomeRecord, elapsed_ms: float = 50.0) -> StoredComparison:
    summary = HistorySummary(
        correlation_id="recorded-1",
        recorded_at=1_790_000_000.0,
        product_id="SKU-9",
        quantity=10,
        strategy=strategy,
        decided=True,
        partial=False,
        error=None,
        winner=None,
        total_price=None,
        currency=None,
        elapsed_ms=elapsed_ms,
        source="window",
    )
    return StoredComparison(summary, 5.0, {}, tuple(outcomes))


def _ok(position: int, name: str, order: int, at: float, quote: dict[str, Any]) -> OutcomeRecord:
    return OutcomeRecord(position, name, "ok", at, at, order, None, quote)


def _other(position: int, name: str, status: str, order: int, at: float | None) -> OutcomeRecord:
    return OutcomeRecord(position, name, status, at, at, order, f"{status} it was", None)


# A ``first`` comparison in which two replies landed in the same loop turn: the dearer
# one was offered first and won; the cheaper one was recorded right after; the slowest
# supplier was cancelled, so its price is unknown.
FIRST = _stored(
    "first",
    _other(0, "slow", "cancelled", 2, 12.0),
    _ok(1, "dear", 0, 11.0, _quote(3.0)),
    _ok(2, "cheap", 1, 11.5, _quote(2.0)),
    _other(3, "shut", "circuit_open", 3, None),
)


def test_a_first_comparison_replayed_under_best_picks_the_cheapest_recorded_quote() -> None:
    replayed = replay(FIRST, "best")
    assert replayed.decided and replayed.strategy == "best"
    assert replayed.winner is not None and replayed.winner.supplier == "cheap"
    assert replayed.winner.quote.total_price == 20.0
    # ``best`` waits for every reply: it decides when the last recorded one arrived
    assert replayed.elapsed_ms == 12.0
    assert [r.status.value for r in replayed.suppliers] == ["cancelled", "ok", "ok", "circuit_open"]
    assert replay(FIRST, "first").winner.supplier == "dear"  # type: ignore[union-attr]
    document = replay_document(replayed, FIRST)
    assert document["replayed_from"] == "recorded-1"
    assert document["result"]["supplier"] == "cheap"
    assert document["correlation_id"] != "recorded-1"


def test_replay_stops_where_the_strategy_would_have_decided() -> None:
    recorded = _stored(
        "all",
        _ok(0, "a", 2, 40.0, _quote(2.0)),
        _ok(1, "b", 0, 10.0, _quote(3.0, in_stock=False)),
        _ok(2, "c", 1, 20.0, _quote(3.0)),
        _ok(3, "d", 3, 45.0, _quote(3.0)),
    )
    first = replay(recorded, "first")
    assert first.winner is not None and first.winner.supplier == "c"  # b is out of stock
    assert first.elapsed_ms == 20.0
    statuses = {r.name: r.status for r in first.suppliers}
    assert statuses == {
        "a": core.Status.CANCELLED,  # arrived after the decision: the engine would cut it
        "b": core.Status.OK,
        "c": core.Status.OK,
        "d": core.Status.CANCELLED,
    }
    # cut off in the engine's own words, as `compare` would have shown them
    assert {r.error for r in first.suppliers if r.status is core.Status.CANCELLED} == {
        "cancelled: the strategy had decided"
    }
    majority = replay(recorded, "majority", quorum=2)  # c and d agree on 30.00
    assert majority.winner is not None and majority.winner.supplier == "c"
    assert majority.elapsed_ms == 45.0
    unmet = replay(recorded, "majority", quorum=3)  # hopeless once a disagrees, at 40 ms
    assert not unmet.decided and unmet.error == "quorum not reached: required 3, best agreement 1"
    assert unmet.elapsed_ms == 40.0
    cut = [r.error for r in unmet.suppliers if r.status is core.Status.CANCELLED]
    assert cut == ["cancelled: quorum out of reach"]
    assert not replay(recorded, "best", min_responses=5).decided
    everything = replay(recorded, "all")
    assert [q.supplier for q in everything.ranked or ()] == ["a", "b", "c", "d"]
    with pytest.raises(ValueError, match="unknown strategy"):
        replay(recorded, "cheapest")


async def test_replay_of_a_real_recording(tmp_path: Path) -> None:
    """Recorded through the real path; replayed under another strategy from the database."""
    path = tmp_path / "history.sqlite3"
    async with ScriptedFleet(
        {
            "fast": healthy(unit_price=3.0),
            "slow": healthy(delay=0.2, unit_price=1.0),
            "broken": status(500),
        }
    ) as fleet:
        service = HistoryService(path)
        async with core.PriceComparator(fleet.config()) as comparator:
            HistoryRecorder(service, source="cli").attach(comparator.events)
            best = await comparator.compare("SKU-1", 10, strategy="best")
        await service.aclose()
    assert best.winner is not None and best.winner.supplier == "slow"
    database = HistoryDatabase.open(path)
    stored = database.find(best.correlation_id)
    database.close()
    assert stored is not None
    first = replay(stored, "first")
    assert first.winner is not None and first.winner.supplier == "fast"
    assert first.elapsed_ms < best.elapsed_ms - 100  # it would not have waited for "slow"
    assert replay(stored, "best").to_dict()["result"] == best.to_dict()["result"]
