"""Each fault does what it says, through real sockets, from the next request on."""

from __future__ import annotations

import asyncio
import errno
import time
from typing import Any

import aiohttp
import pytest

import core
from core.fleet import Fleet
from tests.fleet._helpers import ask, quick
from tests.fleet.conftest import MakeFleet

SHORT = 0.3  # seconds: "no reply within a short client timeout"


async def one_supplier(make_fleet: MakeFleet, **sim: Any) -> Fleet:
    return await make_fleet([quick("acme", **sim)])


def refused(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if (
            isinstance(seen, ConnectionRefusedError)
            or getattr(seen, "errno", 0) == errno.ECONNREFUSED
        ):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


async def test_outage_closes_the_port_and_clearing_it_binds_the_same_port(
    make_fleet: MakeFleet, http: aiohttp.ClientSession
) -> None:
    fleet = await one_supplier(make_fleet)
    url, port = fleet.suppliers[0].url, fleet.suppliers[0].port
    assert (await ask(http, url)).status == 200  # leaves a keep-alive connection behind

    fleet.set_faults("acme", outage=True)
    async with aiohttp.ClientSession() as fresh:
        with pytest.raises(aiohttp.ClientConnectorError) as caught:
            await ask(fresh, url)
    assert refused(caught.value)
    with pytest.raises(aiohttp.ClientError):  # the old keep-alive connection is gone too
        await ask(http, url)

    fleet.set_faults("acme", outage=False)
    assert fleet.suppliers[0].port == port
    assert (await ask(http, url)).quote().supplier_id == "acme"


@pytest.mark.parametrize("turns", range(4))
async def test_an_outage_toggled_while_the_port_is_being_served_again_ends_as_asked(
    make_fleet: MakeFleet, http: aiohttp.ClientSession, turns: int
) -> None:
    """Cleared, set and cleared again while the port's serving is still under way: the
    port must not be bound twice (EADDRINUSE), and the last word holds."""
    fleet = await one_supplier(make_fleet)
    url = fleet.suppliers[0].url
    fleet.set_faults("acme", outage=True)
    fleet.set_faults("acme", outage=False)
    for _ in range(turns):
        await asyncio.sleep(0)  # the serving task takes a step or more
    fleet.set_faults("acme", outage=True)
    fleet.set_faults("acme", outage=False)
    assert not fleet.suppliers[0].faults.outage
    assert (await ask(http, url)).quote().supplier_id == "acme"


async def test_outage_is_connection_refused_for_the_engine(make_fleet: MakeFleet) -> None:
    fleet = await make_fleet([quick("acme"), quick("globex")])
    fleet.set_faults("globex", outage=True)
    async with core.PriceComparator(fleet.config) as comparator:
        comparison = await comparator.compare("SKU-123", 2, strategy="all")
    results = {r.name: r for r in comparison.suppliers}
    assert results["acme"].status is core.Status.OK
    assert results["globex"].status is core.Status.ERROR
    assert results["globex"].error == "connection refused"


async def test_a_supplier_can_start_in_an_outage(
    make_fleet: MakeFleet, http: aiohttp.ClientSession
) -> None:
    fleet = await make_fleet([quick("acme", faults={"outage": True})])
    supplier = fleet.suppliers[0]
    assert supplier.port != 0
    assert fleet.config.suppliers[0].url == supplier.url
    with pytest.raises(aiohttp.ClientConnectorError):
        await ask(http, supplier.url)
    fleet.set_faults("acme", outage=False)
    assert (await ask(http, supplier.url)).status == 200


@pytest.mark.parametrize("faults", [{"hang": True}, {"hang_rate": 1.0}])
async def test_hang_never_answers(
    make_fleet: MakeFleet, http: aiohttp.ClientSession, faults: dict[str, Any]
) -> None:
    fleet = await one_supplier(make_fleet, faults=faults)
    with pytest.raises(asyncio.TimeoutError):
        await ask(http, fleet.suppliers[0].url, timeout=SHORT)
    assert fleet.requests_served == {"acme": 1}


async def test_error_rate_one_is_http_500(
    make_fleet: MakeFleet, http: aiohttp.ClientSession
) -> None:
    fleet = await one_supplier(make_fleet, faults={"error_rate": 1.0})
    reply = await ask(http, fleet.suppliers[0].url)
    assert reply.status == 500
    assert reply.headers["X-Correlation-ID"] == reply.correlation_id


async def test_error_rate_is_a_probability_per_request(
    make_fleet: MakeFleet, http: aiohttp.ClientSession
) -> None:
    fleet = await one_supplier(make_fleet, faults={"error_rate": 0.5})
    statuses = [(await ask(http, fleet.suppliers[0].url)).status for _ in range(60)]
    assert 10 < statuses.count(500) < 50
    assert statuses.count(500) + statuses.count(200) == 60


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        ("malformed_json", "malformed JSON"),
        ("wrong_schema", "required key is missing"),
        ("absurd_price", "not a plausible price"),
    ],
)
async def test_bad_bodies_are_rejected_by_the_codec(
    make_fleet: MakeFleet, http: aiohttp.ClientSession, fault: str, reason: str
) -> None:
    fleet = await one_supplier(make_fleet, faults={fault: True})
    reply = await ask(http, fleet.suppliers[0].url)
    assert reply.status == 200
    with pytest.raises(core.InvalidReplyError, match=reason):
        reply.quote()


async def test_slow_drip_sends_headers_then_trickles_the_body(
    make_fleet: MakeFleet, http: aiohttp.ClientSession
) -> None:
    fleet = await one_supplier(make_fleet, faults={"slow_drip": True})
    timeout = aiohttp.ClientTimeout(total=5)
    async with http.post(fleet.suppliers[0].url, json=_request(), timeout=timeout) as response:
        assert response.status == 200  # the headers came at once
        length = response.content_length
        assert length is not None and length > 100
        first = await asyncio.wait_for(response.content.read(4), SHORT)
        assert first == b'{"su'
        with pytest.raises(asyncio.TimeoutError):  # the rest takes many seconds
            await asyncio.wait_for(response.content.read(), 1.0)


async def test_slow_drip_is_a_timeout_for_the_engine(make_fleet: MakeFleet) -> None:
    fleet = await one_supplier(make_fleet, faults={"slow_drip": True})
    config = fleet.config.model_copy(
        update={"defaults": core.Defaults(supplier_timeout=0.5, timeout=2.0)}
    )
    async with core.PriceComparator(config) as comparator:
        comparison = await comparator.compare("SKU-123", 2)
    assert comparison.suppliers[0].status is core.Status.TIMEOUT


async def test_latency_multiplier_stretches_the_drawn_delay(
    make_fleet: MakeFleet, http: aiohttp.ClientSession
) -> None:
    fleet = await one_supplier(make_fleet, latency_ms=100.0, latency_spread=0.0)
    url = fleet.suppliers[0].url
    await ask(http, url)  # connect once: the timings below are the replies only

    async def elapsed() -> float:
        start = time.perf_counter()
        assert (await ask(http, url)).status == 200
        return time.perf_counter() - start

    normal = await elapsed()
    fleet.set_faults("acme", latency_multiplier=5.0)
    slow = await elapsed()
    fleet.set_faults("acme", latency_multiplier=0.0)
    instant = await elapsed()
    assert 0.1 <= normal < 0.5  # the drawn 100 ms, not five times that
    assert slow >= 0.5
    assert instant < 0.1  # the drawn delay was skipped


async def test_a_fault_changed_through_the_python_api_applies_to_the_next_request(
    make_fleet: MakeFleet, http: aiohttp.ClientSession
) -> None:
    fleet = await one_supplier(make_fleet)
    url = fleet.suppliers[0].url
    assert (await ask(http, url)).status == 200
    assert fleet.set_faults("acme", error_rate=1.0) == fleet.faults("acme")
    assert fleet.faults("acme").error_rate == 1.0
    assert (await ask(http, url)).status == 500
    fleet.set_faults("acme", error_rate=0.0, wrong_schema=True)
    with pytest.raises(core.InvalidReplyError):
        (await ask(http, url)).quote()
    fleet.reset_faults("acme")
    assert (await ask(http, url)).quote().supplier_id == "acme"


async def test_fault_changes_are_checked(make_fleet: MakeFleet) -> None:
    fleet = await one_supplier(make_fleet)
    with pytest.raises(KeyError):
        fleet.set_faults("nobody", hang=True)
    with pytest.raises(TypeError, match="no_such_fault"):
        fleet.set_faults("acme", no_such_fault=True)
    with pytest.raises(ValueError, match="error_rate"):
        fleet.set_faults("acme", error_rate=1.5)
    with pytest.raises(ValueError, match="outage"):
        fleet.set_faults("acme", outage="yes")
    assert fleet.faults("acme").active == []


async def test_a_fault_changed_through_the_control_endpoint_applies_to_the_next_request(
    make_fleet: MakeFleet, http: aiohttp.ClientSession
) -> None:
    fleet = await make_fleet([quick("acme"), quick("globex")])
    control, url = fleet.control_url, fleet.supplier("acme").url
    assert control is not None

    async with http.get(f"{control}/suppliers") as response:
        listed = await response.json()
    assert [s["name"] for s in listed] == ["acme", "globex"]
    assert listed[0]["url"] == url and listed[0]["faults"]["outage"] is False

    async with http.post(f"{control}/suppliers/acme/faults", json={"malformed_json": True}) as r:
        assert r.status == 200
        assert (await r.json())["malformed_json"] is True
    with pytest.raises(core.InvalidReplyError, match="malformed"):
        (await ask(http, url)).quote()

    async with http.post(f"{control}/suppliers/acme/faults", json={"outage": True}) as r:
        assert r.status == 200
    async with aiohttp.ClientSession() as fresh:
        with pytest.raises(aiohttp.ClientConnectorError):
            await ask(fresh, url)

    async with http.delete(f"{control}/suppliers/acme/faults") as r:
        assert r.status == 200
        assert (await r.json())["outage"] is False
    assert (await ask(http, url)).quote().supplier_id == "acme"

    async with http.post(f"{control}/faults", json={"error_rate": 1.0}) as r:
        assert (await r.json()) == {"changed": 2}
    assert (await ask(http, fleet.supplier("globex").url)).status == 500
    async with http.delete(f"{control}/faults") as r:
        assert r.status == 200
    assert fleet.faults("globex").active == []


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        ("/suppliers/nobody/faults", {"hang": True}, 404),
        ("/suppliers/acme/faults", {"no_such_fault": True}, 400),
        ("/suppliers/acme/faults", {"error_rate": 2}, 400),
        ("/suppliers/acme/faults", [1, 2], 400),
        ("/faults", {"latency_multiplier": -1}, 400),
    ],
)
async def test_the_control_endpoint_refuses_bad_changes(
    make_fleet: MakeFleet, http: aiohttp.ClientSession, path: str, body: Any, status: int
) -> None:
    fleet = await one_supplier(make_fleet)
    async with http.post(f"{fleet.control_url}{path}", json=body) as response:
        assert response.status == status
    assert fleet.faults("acme").active == []


async def test_the_control_endpoint_takes_changes_as_json_from_loopback_only(
    make_fleet: MakeFleet, http: aiohttp.ClientSession
) -> None:
    fleet = await one_supplier(make_fleet)
    url = f"{fleet.control_url}/suppliers/acme/faults"
    async with http.post(url, data="hang=true", headers={"Content-Type": "text/plain"}) as r:
        assert r.status == 415
    async with http.get(url, headers={"Host": "evil.example:80"}) as r:
        assert r.status == 403  # a page reaching it by DNS rebinding
    bogus = {"Content-Type": "application/json; charset=bogus"}
    async with http.post(url, data=b'{"hang": true}', headers=bogus) as r:
        assert r.status == 400  # not a 500 with a traceback in the fleet's log
    assert fleet.faults("acme").hang is False


def _request() -> dict[str, Any]:
    return {"product_id": "SKU-123", "quantity": 2, "correlation_id": "drip"}
