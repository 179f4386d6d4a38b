"""The engine end to end through real HTTP suppliers on 127.0.0.1."""

from __future__ import annotations

import asyncio

import pytest

import core
from core import Status
from tests.support.scripted import (
    ScriptedFleet,
    hang,
    healthy,
    sockets_to,
    status,
)

pytestmark = pytest.mark.timeout(30)


def client_tasks() -> set[asyncio.Task[object]]:
    """Tasks still alive besides this test and the in-process servers' handlers."""
    return {
        task
        for task in asyncio.all_tasks()
        if task is not asyncio.current_task()
        and not task.get_coro().__qualname__.startswith("RequestHandler.")  # type: ignore[union-attr]
    }


def by_name(comparison: core.Comparison) -> dict[str, core.SupplierResult[core.Quote]]:
    return {r.name: r for r in comparison.suppliers}


async def test_best_picks_the_cheapest_in_stock_quote() -> None:
    async with (
        ScriptedFleet(
            {
                "cheap-but-out": healthy(unit_price=5.0, in_stock=False),
                "mid": healthy(unit_price=9.0, delay=0.02),
                "dear": healthy(unit_price=12.0),
            }
        ) as fleet,
        core.PriceComparator(fleet.config()) as comparator,
    ):
        comparison = await comparator.compare("SKU-1", 40, strategy="best")
    assert comparison.decided
    assert comparison.winner is not None
    assert comparison.winner.supplier == "mid"
    assert comparison.winner.quote.total_price == 360.0
    assert [q.supplier for q in comparison.quotes] == ["cheap-but-out", "mid", "dear"]
    assert comparison.cheapest is not None and comparison.cheapest.supplier == "mid"
    assert not comparison.partial


async def test_first_takes_the_earliest_valid_in_stock_reply_and_cancels_the_rest() -> None:
    async with (
        ScriptedFleet(
            {
                "fast-out-of-stock": healthy(in_stock=False),
                "quick": healthy(delay=0.05, unit_price=11.0),
                "slow": healthy(delay=3.0, unit_price=1.0),
            }
        ) as fleet,
        core.PriceComparator(fleet.config()) as comparator,
    ):
        comparison = await comparator.compare("SKU-1", 2, strategy="first")
    results = by_name(comparison)
    assert comparison.winner is not None and comparison.winner.supplier == "quick"
    assert results["slow"].status is Status.CANCELLED
    assert results["slow"].latency_ms is not None and results["slow"].latency_ms < 2000
    assert comparison.elapsed_ms < 2000


async def test_majority_decides_as_soon_as_the_quorum_agrees() -> None:
    async with (
        ScriptedFleet(
            {
                "a": healthy(unit_price=10.0, delay=0.01),
                "b": healthy(unit_price=12.0),
                "c": healthy(unit_price=10.0, delay=0.1),
                "d": healthy(unit_price=10.0, delay=5.0),
                "e": healthy(unit_price=12.0, delay=5.0),
            }
        ) as fleet,
        core.PriceComparator(fleet.config()) as comparator,
    ):
        comparison = await comparator.compare("SKU-1", 3, strategy="majority", quorum=2)
    assert comparison.decided
    assert comparison.winner is not None
    assert comparison.winner.supplier == "a"  # the earliest quote of the agreeing group
    results = by_name(comparison)
    assert results["d"].status is Status.CANCELLED and results["e"].status is Status.CANCELLED
    assert comparison.elapsed_ms < 4000


async def test_majority_default_quorum_and_exact_error_when_not_reached() -> None:
    async with (
        ScriptedFleet(
            {
                "a": healthy(unit_price=1.0),
                "b": healthy(unit_price=2.0),
                "c": healthy(unit_price=3.0),
            }
        ) as fleet,
        core.PriceComparator(fleet.config()) as comparator,
    ):
        comparison = await comparator.compare("SKU-1", 1, strategy="majority")
    assert not comparison.decided
    assert comparison.error == "quorum not reached: required 2, best agreement 1"
    assert comparison.to_dict()["result"] is None


async def test_all_returns_every_valid_quote_by_total_price() -> None:
    async with (
        ScriptedFleet(
            {
                "a": healthy(unit_price=3.0),
                "b": healthy(unit_price=1.0, in_stock=False),
                "c": status(500),
            }
        ) as fleet,
        core.PriceComparator(fleet.config()) as comparator,
    ):
        comparison = await comparator.compare("SKU-1", 1, strategy="all")
    payload = comparison.to_dict()
    assert payload["decided"] is True
    assert [q["supplier"] for q in payload["result"]] == ["b", "a"]
    assert payload["suppliers"][2]["status"] == "error"


async def test_the_deadline_cuts_off_pending_suppliers_and_marks_the_comparison_partial() -> None:
    async with ScriptedFleet(
        {"quick": healthy(unit_price=20.0), "late": healthy(delay=5.0, unit_price=1.0)}
    ) as fleet:
        config = fleet.config(supplier_timeout=10.0)
        async with core.PriceComparator(config) as comparator:
            comparison = await comparator.compare("SKU-1", 1, strategy="best", timeout=0.3)
    late = by_name(comparison)["late"]
    assert late.status is Status.TIMEOUT
    assert late.error is not None and "deadline" in late.error
    assert comparison.partial
    assert comparison.decided and comparison.winner is not None
    assert comparison.winner.supplier == "quick"
    assert 250 <= comparison.elapsed_ms < 1500
    # the deadline says nothing about the supplier: its breaker did not count it
    assert comparator.breakers["late"].window == (0, 0)


async def test_min_responses_leaves_the_comparison_undecided() -> None:
    async with ScriptedFleet({"a": healthy(), "b": status(500)}) as fleet:
        async with core.PriceComparator(fleet.config()) as comparator:
            comparison = await comparator.compare("SKU-1", 1, strategy="best", min_responses=2)
    assert not comparison.decided
    assert comparison.error == "too few valid responses: required 2, received 1"


async def test_nothing_in_stock_names_the_product() -> None:
    async with ScriptedFleet({"a": healthy(in_stock=False)}) as fleet:
        async with core.PriceComparator(fleet.config()) as comparator:
            comparison = await comparator.compare("SKU-9", 1, strategy="first")
    assert comparison.error == "no available supplier for product SKU-9"
    assert len(comparison.quotes) == 1 and comparison.cheapest is None


async def test_every_reply_is_matched_by_correlation_id() -> None:
    async with ScriptedFleet({"a": healthy(), "b": healthy()}) as fleet:
        async with core.PriceComparator(fleet.config()) as comparator:
            first = await comparator.compare("SKU-1", 1, strategy="all")
            second = await comparator.compare("SKU-1", 1, strategy="all")
    for supplier in fleet.suppliers.values():
        assert list(supplier.correlation_ids) == [first.correlation_id, second.correlation_id]
        headers = [h["X-Correlation-ID"] for h in supplier.headers_seen]
        assert headers == list(supplier.correlation_ids)
    assert first.correlation_id != second.correlation_id


async def test_an_open_breaker_skips_the_supplier_without_a_call() -> None:
    async with ScriptedFleet({"flaky": status(503), "good": healthy()}) as fleet:
        async with core.PriceComparator(fleet.config()) as comparator:
            for _ in range(5):
                await comparator.compare("SKU-1", 1, strategy="best")
            assert comparator.breakers["flaky"].state is core.BreakerState.OPEN
            calls_before = fleet.suppliers["flaky"].calls
            comparison = await comparator.compare("SKU-1", 1, strategy="best")
    flaky = by_name(comparison)["flaky"]
    assert flaky.status is Status.CIRCUIT_OPEN and flaky.latency_ms is None
    assert fleet.suppliers["flaky"].calls == calls_before
    assert comparison.to_dict()["suppliers"][0] == {
        "name": "flaky",
        "status": "circuit_open",
        "latency_ms": None,
        "error": "circuit open",
    }


async def test_all_circuits_open() -> None:
    async with ScriptedFleet({"a": healthy()}) as fleet:
        async with core.PriceComparator(fleet.config()) as comparator:
            comparator.breakers["a"].force_open()
            comparison = await comparator.compare("SKU-1", 1)
    assert comparison.error == "all circuit breakers are open"
    assert fleet.suppliers["a"].calls == 0


async def test_cancelling_a_comparison_cancels_every_call_and_reports_them() -> None:
    seen: list[core.Event] = []
    entered = {"a": asyncio.Event(), "b": asyncio.Event()}
    async with ScriptedFleet({name: hang(event) for name, event in entered.items()}) as fleet:
        async with core.PriceComparator(fleet.config(supplier_timeout=30.0)) as comparator:
            comparator.events.subscribe(seen.append)
            task = asyncio.create_task(comparator.compare("SKU-1", 1, timeout=30.0))
            await asyncio.gather(*(event.wait() for event in entered.values()))
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
    results = [e.result for e in seen if isinstance(e, core.CallResult)]
    assert sorted(r.name for r in results) == ["a", "b"]
    assert all(r.status is Status.CANCELLED for r in results)
    assert client_tasks() == set()


async def test_closing_the_comparator_releases_every_socket() -> None:
    async with ScriptedFleet({f"s{i}": healthy() for i in range(10)}) as fleet:
        ports = {supplier.port for supplier in fleet.suppliers.values()}
        async with core.PriceComparator(fleet.config()) as comparator:
            await comparator.compare("SKU-1", 1, strategy="all")
            assert sockets_to(ports) == 10  # keep-alive connections are pooled
            await comparator.compare("SKU-1", 1, strategy="all")
            assert sockets_to(ports) == 10  # and reused
        assert sockets_to(ports) == 0


async def test_a_shared_transport_keeps_each_comparators_keys_and_tls_apart() -> None:
    async with ScriptedFleet({"acme": healthy()}) as fleet:
        url = fleet.suppliers["acme"].url
        transport = core.HttpTransport()
        keyed = core.parse_config({"suppliers": [{"name": "acme", "url": url, "api_key_env": "K"}]})
        plain = core.parse_config({"suppliers": [{"name": "acme", "url": url}]})
        first = core.PriceComparator(keyed, transport=transport, environ={"K": "key-one"})
        second = core.PriceComparator(plain, transport=transport, environ={})
        await first.compare("SKU-1", 1)
        await second.compare("SKU-1", 1)
        await transport.aclose()
    seen = [h.get("Authorization") for h in fleet.suppliers["acme"].headers_seen]
    assert seen == ["Bearer key-one", None]


async def test_closing_the_comparator_mid_comparison_cancels_it_cleanly() -> None:
    entered = asyncio.Event()
    async with ScriptedFleet({"slow": hang(entered), "quick": healthy()}) as fleet:
        comparator = core.PriceComparator(fleet.config(supplier_timeout=30.0))
        seen: list[core.Event] = []
        comparator.events.subscribe(seen.append)
        task = asyncio.create_task(comparator.compare("SKU-1", 1, strategy="all", timeout=30.0))
        await entered.wait()
        await comparator.aclose()
        with pytest.raises(asyncio.CancelledError):
            await task
    slow = [e.result for e in seen if isinstance(e, core.CallResult) and e.result.name == "slow"]
    assert [r.status for r in slow] == [Status.CANCELLED]
    assert comparator.breakers["slow"].window == (0, 0)  # not blamed on the supplier
