"""Every simulated supplier speaks the supplier protocol, over real loopback HTTP."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import aiohttp
import pytest

import core
from core.fleet import QUOTE_PATH, default_catalogue
from tests.fleet._helpers import ask, quick
from tests.fleet.conftest import MakeFleet


async def test_every_supplier_replies_with_a_valid_quote(
    make_fleet: MakeFleet, http: aiohttp.ClientSession
) -> None:
    fleet = await make_fleet([quick("acme"), quick("globex", markup=0.1, noise=0.05)])
    for supplier in fleet.suppliers:
        for product, quantity in [("SKU-123", 40), ("SKU-140", 1), ("made-up thing", 999)]:
            reply = await ask(http, supplier.url, product, quantity)
            assert reply.status == 200
            assert reply.headers["Content-Type"].startswith("application/json")
            assert reply.headers["X-Correlation-ID"] == reply.correlation_id
            quote = reply.quote()  # the engine's own strict decoding
            assert quote.supplier_id == supplier.name
            assert quote.product_id == product
            assert quote.total_price == round(quote.unit_price * quantity, 2)
            assert quote.unit_price == round(quote.unit_price, 2)
            assert quote.currency == "EUR"
            assert datetime.fromisoformat(quote.valid_until) > datetime.now(UTC)
            assert set(json.loads(reply.body)) == set(core.Quote.model_fields)


async def test_list_price_suppliers_quote_the_catalogue_price_less_the_discount(
    make_fleet: MakeFleet, http: aiohttp.ClientSession
) -> None:
    fleet = await make_fleet([quick("acme")])
    list_price = default_catalogue().list_price("SKU-123")
    one = (await ask(http, fleet.suppliers[0].url, "SKU-123", 1)).quote()
    forty = (await ask(http, fleet.suppliers[0].url, "SKU-123", 40)).quote()
    assert one.unit_price == list_price
    assert forty.unit_price == round(list_price * (1 - 0.04), 2)  # the 25+ tier


async def test_the_correlation_id_in_the_body_is_echoed_when_the_header_is_missing(
    make_fleet: MakeFleet, http: aiohttp.ClientSession
) -> None:
    fleet = await make_fleet([quick("acme")])
    body = {"product_id": "SKU-100", "quantity": 3, "correlation_id": "abc-123"}
    async with http.post(fleet.suppliers[0].url, json=body) as response:
        assert response.status == 200
        assert response.headers["X-Correlation-ID"] == "abc-123"


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[1, 2]",
        b'{"product_id": "SKU-1", "quantity": 2}',
        b'{"product_id": "SKU-1", "quantity": 0, "correlation_id": "c"}',
        b'{"product_id": "SKU-1", "quantity": "2", "correlation_id": "c"}',
        b'{"product_id": "SKU-1", "quantity": true, "correlation_id": "c"}',
        b'{"product_id": "SKU-1", "quantity": 2.5, "correlation_id": "c"}',
        b'{"product_id": "", "quantity": 2, "correlation_id": "c"}',
        b'{"product_id": 12, "quantity": 2, "correlation_id": "c"}',
    ],
)
async def test_a_body_that_is_not_a_price_request_gets_400(
    make_fleet: MakeFleet, http: aiohttp.ClientSession, body: bytes
) -> None:
    fleet = await make_fleet([quick("acme")], control_port=None)
    async with http.post(fleet.suppliers[0].url, data=body) as response:
        assert response.status == 400
        assert "not a price request" in (await response.json())["error"]
    assert fleet.requests_served == {"acme": 0}


async def test_only_post_to_the_quote_path_is_served(
    make_fleet: MakeFleet, http: aiohttp.ClientSession
) -> None:
    fleet = await make_fleet([quick("acme")], control_port=None)
    base = f"http://127.0.0.1:{fleet.suppliers[0].port}"
    async with http.get(base + QUOTE_PATH) as response:
        assert response.status == 405
        assert response.headers["Allow"] == "POST"
    async with http.post(base + "/elsewhere", json={}) as response:
        assert response.status == 404


async def test_requests_are_counted_per_supplier(
    make_fleet: MakeFleet, http: aiohttp.ClientSession
) -> None:
    fleet = await make_fleet([quick("acme"), quick("globex")])
    for _ in range(3):
        await ask(http, fleet.supplier("globex").url)
    await ask(http, fleet.supplier("acme").url)
    assert fleet.requests_served == {"acme": 1, "globex": 3}
    assert fleet.stats()["replies"] == 4
