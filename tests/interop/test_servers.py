"""Suppliers served by servers no one here wrote, through the real client path.

Each server closes keep-alive connections idle for ``IDLE_TIMEOUT`` (and hypercorn and nginx
after ``MAX_REQUESTS`` requests on one connection); the comparisons run back to back, then
after idle gaps longer than that. Every call must be ``ok`` and carry its own reply: each
body echoes its correlation id, which the client checks.
"""

from __future__ import annotations

import asyncio

import httpx
import pytest

import core
from core import Status
from tests.interop import apps, servers
from tests.support.scripted import sockets_to

pytestmark = pytest.mark.timeout(60)

SUPPLIERS = 3
BACK_TO_BACK = servers.MAX_REQUESTS + 2
IDLE_GAP = servers.IDLE_TIMEOUT + 1.0


def config(port: int, path: str, *, suppliers: int = SUPPLIERS) -> core.Config:
    return core.parse_config(
        {
            "defaults": {"supplier_timeout": 5.0, "timeout": 10.0},
            "suppliers": [
                {"name": f"s{i}", "url": f"http://127.0.0.1:{port}{path}"} for i in range(suppliers)
            ],
        }
    )


async def run_through_idle_gaps(port: int, path: str) -> list[core.Comparison]:
    """Back-to-back comparisons, an idle gap past the servers' keep-alive timeout, more."""
    comparisons = []
    async with core.PriceComparator(config(port, path)) as comparator:
        for gap in (0, IDLE_GAP, IDLE_GAP):
            if gap:
                await asyncio.sleep(gap)  # the idle gap is the scenario, not a wait
                # the server closed every idle connection, and the pool noticed
                assert sockets_to({port}) == 0
            for _ in range(BACK_TO_BACK if not gap else 1):
                comparisons.append(await comparator.compare("SKU-1", 1, strategy="all"))
    return comparisons


def assert_every_call_ok_with_its_own_reply(
    comparisons: list[core.Comparison], seen: apps.Seen | None
) -> None:
    for comparison in comparisons:
        problems = [(r.name, r.status, r.error) for r in comparison.suppliers if not r.ok]
        assert problems == [], problems
        assert len(comparison.quotes) == SUPPLIERS
    if seen is not None:
        # each request reached the server exactly once: nothing was sent twice
        expected = sorted(c.correlation_id for c in comparisons for _ in range(SUPPLIERS))
        assert sorted(seen.correlation_ids) == expected


@pytest.mark.parametrize("path", ["/quote", "/chunked", "/close"])
async def test_uvicorn_h11(uvicorn_port: int, seen: apps.Seen, path: str) -> None:
    comparisons = await run_through_idle_gaps(uvicorn_port, path)
    assert_every_call_ok_with_its_own_reply(comparisons, seen)
    assert {h["user-agent"] for h in seen.headers} == {core.transports.http.user_agent()}


@pytest.mark.parametrize("path", ["/quote", "/chunked", "/close"])
async def test_hypercorn(hypercorn_port: int, seen: apps.Seen, path: str) -> None:
    comparisons = await run_through_idle_gaps(hypercorn_port, path)
    assert_every_call_ok_with_its_own_reply(comparisons, seen)


@pytest.mark.parametrize("path", ["/quote", "/chunked", "/gzip"])
async def test_aiohttp_server(aiohttp_port: int, seen: apps.Seen, path: str) -> None:
    comparisons = await run_through_idle_gaps(aiohttp_port, path)
    assert_every_call_ok_with_its_own_reply(comparisons, seen)


@pytest.mark.parametrize("path", ["/quote", "/hints", "/continue", "/http10"])
async def test_stdlib_http_server(stdlib_port: int, seen: apps.Seen, path: str) -> None:
    """103 Early Hints or 100 Continue before the 200; HTTP/1.0 replies ended by a close."""
    comparisons = await run_through_idle_gaps(stdlib_port, path)
    assert_every_call_ok_with_its_own_reply(comparisons, seen)


@pytest.mark.parametrize("path", ["/static", "/proxied"])
async def test_nginx_static_and_as_a_gzip_reverse_proxy(
    nginx_port: int, seen: apps.Seen, path: str
) -> None:
    # the setting under test is real: nginx compresses these replies
    async with httpx.AsyncClient() as client:
        probe = await client.post(
            f"http://127.0.0.1:{nginx_port}{path}",
            json={"product_id": "SKU-1", "quantity": 1, "correlation_id": "probe"},
            headers={"Accept-Encoding": "gzip"},
        )
    assert probe.headers["content-encoding"] == "gzip"
    assert probe.headers["transfer-encoding"] == "chunked"
    seen.correlation_ids.clear()
    comparisons = await run_through_idle_gaps(nginx_port, path)
    assert_every_call_ok_with_its_own_reply(comparisons, seen if path == "/proxied" else None)


async def test_a_103_on_a_reused_connection_leaves_nothing_behind(
    stdlib_port: int, seen: apps.Seen
) -> None:
    """The real reply after a 103 is read as that call's, not left for the next one."""
    async with core.PriceComparator(config(stdlib_port, "/hints", suppliers=1)) as comparator:
        results = [await comparator.compare("SKU-1", 1) for _ in range(4)]
        assert sockets_to({stdlib_port}) == 1  # one kept-alive connection served them all
    assert [r.suppliers[0].status for r in results] == [Status.OK] * 4
    assert seen.correlation_ids == [r.correlation_id for r in results]
