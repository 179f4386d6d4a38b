"""Starting and stopping: ports, tasks, configs."""

from __future__ import annotations

import asyncio
import dataclasses
import socket
import time
from pathlib import Path

import aiohttp
import pytest

import core
from core.fleet import (
    FaultSettings,
    Fleet,
    SimulatedSupplier,
    embedded_demo_fleet,
    fleet_from_profile,
    generated_fleet,
)
from core.fleet._supplier import Draw
from tests.fleet._helpers import ask, quick
from tests.fleet.conftest import MakeFleet


def port_is_free(port: int) -> bool:
    """Can a server listen on it again? (SO_REUSEADDR, as servers do: TIME_WAIT is fine.)"""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
            sock.listen()
        except OSError:
            return False
        return True


def arrival(supplier: SimulatedSupplier) -> asyncio.Event:
    """Set when the supplier's handler draws what happens to a request (it has arrived)."""
    event = asyncio.Event()
    draw = supplier.draw

    def drawing(faults: FaultSettings) -> Draw:
        event.set()
        return draw(faults)

    supplier.draw = drawing  # type: ignore[method-assign]
    return event


def ports_of(fleet: Fleet) -> list[int]:
    ports = [s.port for s in fleet.suppliers]
    if fleet.control_url:
        ports.append(int(fleet.control_url.rsplit(":", 1)[1]))
    return ports


async def test_stopping_releases_every_port_and_task_even_with_requests_in_flight() -> None:
    before = asyncio.all_tasks()
    fleet = Fleet(
        [
            quick("hangs", faults={"hang": True}),
            quick("drips", faults={"slow_drip": True}),
            quick("sleeps", latency_ms=20_000.0),
            quick("healthy"),
            quick("down", faults={"outage": True}),
        ]
    )
    await fleet.start()
    ports = ports_of(fleet)
    assert not any(port_is_free(p) for p in ports if p != fleet.supplier("down").port)

    async with aiohttp.ClientSession() as http:
        assert (await ask(http, fleet.supplier("healthy").url)).status == 200
        busy = ("hangs", "drips", "sleeps")
        arrived = [arrival(fleet.supplier(name)) for name in busy]
        pending = [asyncio.create_task(ask(http, fleet.supplier(n).url, timeout=10)) for n in busy]
        await asyncio.wait_for(asyncio.gather(*(e.wait() for e in arrived)), 5)
        started = time.perf_counter()
        await fleet.stop()
        stopped_in = time.perf_counter() - started
        await asyncio.gather(*pending, return_exceptions=True)

    assert stopped_in < 0.9  # no waiting out the hang, the drip or the 20 s sleep
    assert all(port_is_free(p) for p in ports)
    assert asyncio.all_tasks() == before
    await fleet.stop()  # stopping twice is fine


async def test_a_stopped_fleet_refuses_connections() -> None:
    async with Fleet([quick("acme")]) as fleet:
        url = fleet.suppliers[0].url
    async with aiohttp.ClientSession() as http:
        with pytest.raises(aiohttp.ClientConnectorError):
            await ask(http, url)


async def test_a_taken_port_fails_the_start_and_releases_the_rest() -> None:
    before = asyncio.all_tasks()
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        taken = blocker.getsockname()[1]
        fleet = Fleet([quick("first"), dataclasses.replace(quick("second"), port=taken)])
        with pytest.raises(OSError, match=f"127.0.0.1:{taken}"):
            await fleet.start()
    assert port_is_free(fleet.suppliers[0].port)
    assert asyncio.all_tasks() == before


async def test_profile_ports_are_bound_as_given(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    profile = tmp_path / "two.toml"
    profile.write_text(
        "[[suppliers]]\n"
        f'name = "fixed"\nurl = "http://127.0.0.1:{port}/quote"\n'
        "[suppliers.sim]\nlatency_ms = 1\n"
        "[[suppliers]]\n"
        'name = "anywhere"\nurl = "http://localhost:0/quote"\n'
    )
    async with fleet_from_profile(profile, control_port=None) as fleet:
        assert fleet.supplier("fixed").port == port
        assert fleet.supplier("anywhere").port not in (0, port)
        assert fleet.control_url is None
        assert [s.url for s in fleet.config.suppliers] == [s.url for s in fleet.suppliers]


@pytest.mark.parametrize(
    ("supplier", "problem"),
    [
        ('url = "http://10.0.0.1:9101/quote"', r"suppliers\[0\]\.url: a simulated supplier needs"),
        ('url = "http://127.0.0.1:9101/prices"', "/quote only"),
        ('url = "http://127.0.0.1:0/quote"\n[suppliers.sim]\nmarkup = "high"', "sim.markup"),
        ('url = "http://127.0.0.1:0/quote"\n[suppliers.sim]\nlatency = 5', "unknown key"),
    ],
)
def test_a_bad_profile_names_the_file_and_key(tmp_path: Path, supplier: str, problem: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(f'[[suppliers]]\nname = "acme"\n{supplier}\n')
    with pytest.raises(core.ConfigError, match=problem) as caught:
        fleet_from_profile(path)
    assert str(path) in str(caught.value)


async def test_the_config_lists_every_supplier_in_order_at_its_real_url(
    make_fleet: MakeFleet,
) -> None:
    fleet = await make_fleet(
        [quick("b"), quick("a"), quick("c")], defaults=core.Defaults(strategy="first")
    )
    config = fleet.config
    assert [s.name for s in config.suppliers] == ["b", "a", "c"]
    assert [s.url for s in config.suppliers] == [
        f"http://127.0.0.1:{s.port}/quote" for s in fleet.suppliers
    ]
    assert config.defaults.strategy == "first"


async def test_the_embedded_demo_fleet_keeps_demo_toml_but_uses_free_ports() -> None:
    demo = core.load_config(core.resource("demo.toml"))
    async with embedded_demo_fleet(latency_scale=0.01) as fleet:
        config = fleet.config
        assert [s.name for s in config.suppliers] == [s.name for s in demo.suppliers]
        assert config.defaults == demo.defaults
        assert config.breaker == demo.breaker
        assert config.supplier("granite-works").timeout == 1.0
        assert {s.url for s in config.suppliers}.isdisjoint({s.url for s in demo.suppliers})
        ports = ports_of(fleet)
    assert all(port_is_free(p) for p in ports)


def test_demo_toml_is_the_demo_fleet() -> None:
    config = core.load_config(core.resource("demo.toml"))
    assert 10 <= len(config.suppliers) <= 14
    assert [s.url for s in config.suppliers] == [
        f"http://127.0.0.1:{9101 + i}/quote" for i in range(len(config.suppliers))
    ]
    assert config.defaults == core.Defaults(
        timeout=5.0, supplier_timeout=2.0, strategy="best", min_responses=1, proxy=False
    )
    fleet = fleet_from_profile(core.resource("demo.toml"))
    profiles = [s.profile for s in fleet.suppliers]
    misbehaving = [p.name for p in profiles if p.sim.faults.active or p.sim.outlier_rate > 0.1]
    assert 2 <= len(misbehaving) <= 3
    assert all(10 <= p.sim.latency_ms <= 400 for p in profiles)


async def test_a_generated_fleet_starts_and_answers() -> None:
    fleet = generated_fleet(25, 4, misbehaving=0.0, latency_scale=0.01)
    async with fleet, aiohttp.ClientSession() as http:
        replies = await asyncio.gather(*(ask(http, s.url) for s in fleet.suppliers))
    assert all(r.quote() for r in replies)


def test_faults_cannot_change_before_the_start() -> None:
    fleet = Fleet([quick("acme")])
    with pytest.raises(RuntimeError):
        fleet.set_faults("acme", hang=True)
    with pytest.raises(RuntimeError):
        _ = fleet.config
