"""Seeded, reproducible simulation: prices, stock, delivery, names."""

from __future__ import annotations

import math

import aiohttp
from hypothesis import given
from hypothesis import strategies as st

import core
from core.fleet import SimProfile, default_catalogue, generate_profiles, offer
from tests.fleet._helpers import ask, quick
from tests.fleet.conftest import MakeFleet

CATALOGUE = default_catalogue()
NOISY = SimProfile(markup=0.07, noise=0.04, stock=0.5, stock_units=60)
ASKS = [("SKU-123", 1), ("SKU-123", 40), ("SKU-141", 7), ("no-such-sku-42", 300)]


async def test_the_same_seed_gives_the_same_prices_over_http(
    make_fleet: MakeFleet, http: aiohttp.ClientSession
) -> None:
    profiles = [quick("acme", markup=0.07, noise=0.04), quick("globex", noise=0.03)]

    async def prices(seed: int) -> list[tuple[float, float, bool, int]]:
        fleet = await make_fleet(profiles, seed=seed, control_port=None)
        quotes = [
            (await ask(http, s.url, product, quantity)).quote()
            for s in fleet.suppliers
            for product, quantity in ASKS
        ]
        return [(q.unit_price, q.total_price, q.in_stock, q.delivery_days) for q in quotes]

    first = await prices(11)
    assert await prices(11) == first
    assert await prices(12) != first


def test_prices_do_not_depend_on_anything_but_seed_supplier_product_and_quantity() -> None:
    again = [offer(5, "acme", NOISY, CATALOGUE, p, q) for p, q in ASKS]
    assert [offer(5, "acme", NOISY, CATALOGUE, p, q) for p, q in ASKS] == again
    assert [offer(5, "globex", NOISY, CATALOGUE, p, q) for p, q in ASKS] != again


def test_noise_is_small_and_markup_shifts_the_price() -> None:
    list_price = CATALOGUE.list_price("SKU-110")
    units = [offer(s, "x", NOISY, CATALOGUE, "SKU-110", 1).unit_price for s in range(200)]
    expected = list_price * 1.07
    assert all(abs(u - expected) <= expected * 0.04 + 0.01 for u in units)
    assert len(set(units)) > 50  # it does vary with the seed


def test_some_products_are_out_of_stock_somewhere_with_longer_delivery() -> None:
    offers = [offer(3, f"s{i}", NOISY, CATALOGUE, "SKU-123", 40) for i in range(100)]
    out = [o for o in offers if not o.in_stock]
    in_stock = [o for o in offers if o.in_stock]
    assert 20 < len(out) < 80
    assert all(NOISY.backorder_days[0] <= o.delivery_days <= NOISY.backorder_days[1] for o in out)
    assert all(
        NOISY.delivery_days[0] <= o.delivery_days <= NOISY.delivery_days[1] for o in in_stock
    )


def test_a_larger_order_can_exceed_the_units_on_hand() -> None:
    small = SimProfile(stock=1.0, stock_units=50)
    assert offer(1, "x", small, CATALOGUE, "SKU-100", 1).in_stock
    assert not offer(1, "x", small, CATALOGUE, "SKU-100", 100_000).in_stock


def test_unknown_products_get_a_stable_price_from_their_id() -> None:
    price = CATALOGUE.list_price("WIDGET-9000")
    assert price == CATALOGUE.list_price("WIDGET-9000")
    assert 2.0 <= price <= 2000.0
    assert price != CATALOGUE.list_price("WIDGET-9001")
    assert CATALOGUE.list_price("SKU-123") == 18.40  # the catalogue's own


def test_quantity_discounts_never_raise_the_unit_price() -> None:
    sim = SimProfile()
    units = [offer(1, "x", sim, CATALOGUE, "SKU-113", q).unit_price for q in range(1, 1200)]
    assert units == sorted(units, reverse=True)
    assert units[0] == CATALOGUE.list_price("SKU-113")
    assert units[-1] == round(units[0] * 0.85, 2)


@given(
    product=st.text(min_size=1, max_size=40),
    quantity=st.integers(min_value=1, max_value=1_000_000),
    seed=st.integers(),
    markup=st.floats(min_value=-0.5, max_value=3),
)
def test_every_offer_passes_the_engines_total_check(
    product: str, quantity: int, seed: int, markup: float
) -> None:
    sim = SimProfile(markup=markup, noise=0.05)
    o = offer(seed, "acme", sim, CATALOGUE, product, quantity)
    assert o.unit_price >= 0.01
    assert o.unit_price == round(o.unit_price, 2)
    assert o.total_price == round(o.unit_price * quantity, 2)
    assert math.isclose(o.total_price, o.unit_price * quantity, abs_tol=0.01)
    assert o.unit_price <= core._quotes.MAX_PLAUSIBLE_PRICE


def test_generated_fleets_are_reproducible_and_mostly_healthy() -> None:
    assert generate_profiles(50, 9) == generate_profiles(50, 9)
    assert [p.name for p in generate_profiles(50, 9)] != [p.name for p in generate_profiles(50, 10)]
    for n in (1, 4, 5, 12, 100, 1000):
        profiles = generate_profiles(n, 1, misbehaving=0.2)
        names = [p.name for p in profiles]
        assert len(set(names)) == n
        bad = [p for p in profiles if p.sim.faults.active]
        assert len(bad) <= n // 5
    assert len([p for p in generate_profiles(100, 1) if p.sim.faults.active]) == 10
