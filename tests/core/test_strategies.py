"""Strategies, on synthetic results: examples and hypothesis properties."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

import core
from core import Quote, Status, SupplierResult, make_strategy
from core._comparator import _judging

PRODUCT = "SKU-1"


def quote(total: float, *, in_stock: bool = True, days: int = 3) -> Quote:
    return Quote(
        supplier_id="s",
        product_id=PRODUCT,
        unit_price=total,
        total_price=total,
        currency="EUR",
        valid_until="2026-12-31T00:00:00",
        in_stock=in_stock,
        delivery_days=days,
    )


def ok(name: str, q: Quote, latency: float = 10.0) -> SupplierResult[Quote]:
    return SupplierResult(name, Status.OK, latency, q)


def failed(name: str, status: Status = Status.ERROR) -> SupplierResult[Quote]:
    return SupplierResult(name, status, 5.0, None, "boom")


def feed(
    name: str, results: list[SupplierResult[Quote]], **options: int | None
) -> tuple[core.Decision[Quote], int]:
    """Offer results in order; return the decision and how many were offered before it."""
    strategy = make_strategy(name, _judging(PRODUCT), **options)  # type: ignore[arg-type]
    strategy.begin(len(results))
    offered = 0
    for result in results:
        offered += 1
        if strategy.offer(result):
            break
    return strategy.conclude(results[:offered]), offered


def test_first_decides_on_the_first_usable_reply() -> None:
    results = [failed("a"), ok("b", quote(5, in_stock=False)), ok("c", quote(9)), ok("d", quote(1))]
    decision, offered = feed("first", results)
    assert decision.winner is not None and decision.winner.name == "c"
    assert offered == 3


def test_majority_counts_agreement_to_the_cent() -> None:
    results = [
        ok("a", quote(10.001)),
        ok("b", quote(12)),
        ok("c", quote(9.999)),
        ok("d", quote(12)),
    ]
    decision, offered = feed("majority", results, quorum=2)
    assert decision.winner is not None and decision.winner.name == "a"
    assert offered == 3


def test_majority_ignores_out_of_stock_votes() -> None:
    results = [
        ok("a", quote(10, in_stock=False)),
        ok("b", quote(10)),
        ok("c", quote(10, in_stock=False)),
    ]
    decision, _ = feed("majority", results, quorum=2)
    assert str(decision.error) == "quorum not reached: required 2, best agreement 1"


def test_best_breaks_ties_by_delivery_then_latency() -> None:
    results = [
        ok("slow", quote(10, days=2), latency=50),
        ok("fast", quote(10, days=2), latency=20),
        ok("later-delivery", quote(10, days=5), latency=1),
    ]
    decision, _ = feed("best", results)
    assert decision.winner is not None and decision.winner.name == "fast"


def test_best_and_all_honour_min_responses() -> None:
    results = [ok("a", quote(10)), failed("b")]
    for name in ("best", "all"):
        decision, _ = feed(name, results, min_responses=2)
        assert str(decision.error) == "too few valid responses: required 2, received 1"
    decision, _ = feed("all", [failed("a")], min_responses=0)
    assert decision.decided and decision.ranked == ()


def test_no_valid_replies() -> None:
    for name in ("first", "best", "all"):
        decision, _ = feed(name, [failed("a"), failed("b", Status.TIMEOUT)])
        assert str(decision.error) == "no valid responses received"


results_strategy = st.lists(
    st.one_of(
        st.builds(
            lambda total, in_stock, days, latency: (total, in_stock, days, latency),
            st.floats(min_value=0.01, max_value=1e6, allow_nan=False),
            st.booleans(),
            st.integers(min_value=0, max_value=30),
            st.floats(min_value=0.1, max_value=5000),
        ),
        st.sampled_from([Status.ERROR, Status.TIMEOUT, Status.INVALID, Status.CANCELLED]),
    ),
    max_size=12,
)


def build(spec: list[tuple[float, bool, int, float] | Status]) -> list[SupplierResult[Quote]]:
    results = []
    for index, item in enumerate(spec):
        if isinstance(item, Status):
            results.append(failed(f"s{index}", item))
        else:
            total, in_stock, days, latency = item
            results.append(ok(f"s{index}", quote(total, in_stock=in_stock, days=days), latency))
    return results


@given(results_strategy)
def test_best_is_never_dearer_than_a_valid_in_stock_quote(
    spec: list[tuple[float, bool, int, float] | Status],
) -> None:
    results = build(spec)
    decision, _ = feed("best", results, min_responses=0)
    usable = [r for r in results if r.ok and r.reply and r.reply.in_stock]
    if not usable:
        assert not decision.decided
        return
    assert decision.winner is not None
    assert decision.winner.reply is not None and decision.winner.reply.in_stock
    assert all(
        round(decision.winner.reply.total_price, 2) <= round(r.reply.total_price, 2)
        for r in usable
        if r.reply
    )


@given(results_strategy)
def test_first_wins_with_the_earliest_usable_reply(
    spec: list[tuple[float, bool, int, float] | Status],
) -> None:
    results = build(spec)
    decision, _ = feed("first", results)
    usable = [r for r in results if r.ok and r.reply and r.reply.in_stock]
    assert (decision.winner is None) == (not usable)
    if usable:
        assert decision.winner is usable[0]


@given(results_strategy, st.integers(min_value=1, max_value=5))
def test_majority_winner_has_quorum_agreeing_quotes(
    spec: list[tuple[float, bool, int, float] | Status], quorum: int
) -> None:
    results = build(spec)
    decision, offered = feed("majority", results, quorum=quorum)
    seen = results[:offered]
    if decision.decided:
        assert decision.winner is not None and decision.winner.reply is not None
        cents = round(decision.winner.reply.total_price * 100)
        agreeing = [
            r
            for r in seen
            if r.ok and r.reply and r.reply.in_stock and round(r.reply.total_price * 100) == cents
        ]
        assert len(agreeing) == quorum  # decided the moment the quorum was reached
        assert agreeing[0] is decision.winner
    else:
        assert str(decision.error).startswith(
            f"quorum not reached: required {quorum}, best agreement "
        )


@given(results_strategy)
def test_all_returns_every_valid_quote_sorted(
    spec: list[tuple[float, bool, int, float] | Status],
) -> None:
    results = build(spec)
    decision, _ = feed("all", results, min_responses=0)
    assert decision.ranked is not None
    assert sorted(r.name for r in decision.ranked) == sorted(r.name for r in results if r.ok)
    totals = [round(r.reply.total_price, 2) for r in decision.ranked if r.reply]
    assert totals == sorted(totals)
