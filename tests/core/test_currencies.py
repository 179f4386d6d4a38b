"""Quotes in several currencies, through real HTTP suppliers: with no exchange rate in
Scatterdash, different currencies never agree, and ``[defaults] currency`` keeps out any
quote in another."""

from __future__ import annotations

import core
from tests.support.scripted import ScriptedFleet, healthy


async def test_the_same_number_in_two_currencies_is_no_agreement() -> None:
    async with ScriptedFleet(
        {
            "eu": healthy(unit_price=95.0),
            "jp": healthy(unit_price=90.0, currency="JPY"),
            "us": healthy(unit_price=90.0, currency="USD"),
        }
    ) as fleet:
        async with core.PriceComparator(fleet.config()) as comparator:
            comparison = await comparator.compare("SKU-1", 1, strategy="majority", quorum=2)
    assert not comparison.decided
    assert comparison.error == "quorum not reached: required 2, best agreement 1"


async def test_a_configured_currency_makes_a_quote_in_another_invalid() -> None:
    async with ScriptedFleet(
        {"eu": healthy(unit_price=95.0), "jp": healthy(unit_price=90.0, currency="JPY")}
    ) as fleet:
        async with core.PriceComparator(fleet.config(currency="EUR")) as comparator:
            comparison = await comparator.compare("SKU-1", 1, strategy="best")
    results = {r.name: r for r in comparison.suppliers}
    assert results["jp"].status is core.Status.INVALID
    assert results["jp"].error == "currency 'JPY', not the configured EUR"
    assert comparison.winner is not None and comparison.winner.supplier == "eu"


async def test_best_and_majority_count_cents_alike() -> None:
    """A total with a fraction of a cent is ranked and voted on the same cent."""
    async with ScriptedFleet(
        {
            "a": healthy(unit_price=1.115, total_price=1.115, delivery_days=1),
            "b": healthy(unit_price=1.12, total_price=1.12, delivery_days=5),
            "c": healthy(unit_price=1.11, total_price=1.11, delivery_days=9),
        }
    ) as fleet:
        async with core.PriceComparator(fleet.config()) as comparator:
            best = await comparator.compare("SKU-1", 1, strategy="best")
            majority = await comparator.compare("SKU-1", 1, strategy="majority", quorum=2)
    assert best.winner is not None and best.winner.supplier == "c"  # 1.11: the cheapest cent
    assert majority.winner is not None and majority.winner.supplier in ("a", "b")  # 1.12 twice
