"""Benchmark: the HTTP client under the engine — Scatterdash's pool vs well-kept clients.

    python tests/bench/bench_http_clients.py [--sizes 100] [--runs 40] [--strategies best,first]

bench_core.py's fleet and measure, through its own functions: suppliers in their own
process pinned to one core, the client on the other; delays drawn per request from the
correlation id; comparisons back to back; overhead = decision latency − that
comparison's ideal; CPU = the client process's whole CPU over the run / comparisons.
The engine's transport is swapped underneath:

- ``pool``: ``core.HttpTransport``, the hand-written pool (what Scatterdash uses);
- ``aiohttp``: aiohttp's ``ClientSession`` (already a dependency, for the demo fleet);
- ``httpx``: httpx's own ``AsyncHTTPTransport`` (httpcore), called directly.

Each gets the same work per call: POST the body, check the status, read at most the cap.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import os
from collections.abc import Callable

import aiohttp
import httpx
from bench_core import (
    Pinning,
    fleet_config,
    print_table,
    report,
    run_scatterdash,
    start_fleet,
)
from bench_suppliers import supplier_medians

import core

HEADERS = {"Content-Type": "application/json", "Accept": "application/json"}


class AiohttpTransport:
    kind = "http"

    def __init__(self) -> None:
        connector = aiohttp.TCPConnector(limit=0, limit_per_host=32, keepalive_timeout=30)
        self._session = aiohttp.ClientSession(connector=connector, auto_decompress=True)

    async def request(
        self, endpoint: core.Endpoint, body: bytes, *, correlation_id: str, max_bytes: int
    ) -> bytes:
        headers = {**HEADERS, "X-Correlation-ID": correlation_id}
        try:
            async with self._session.post(endpoint.address, data=body, headers=headers) as reply:
                if reply.status != 200:
                    raise core.TransportError(f"HTTP {reply.status}")
                data = await reply.content.read(max_bytes + 1)
        except aiohttp.ClientError as exc:
            raise core.TransportError(str(exc)) from None
        if len(data) > max_bytes:
            raise core.InvalidReplyError("too large")
        return data

    async def aclose(self) -> None:
        await self._session.close()


class HttpcoreTransport:
    kind = "http"

    def __init__(self, size: int) -> None:
        limits = httpx.Limits(max_connections=size * 2, max_keepalive_connections=size * 2)
        self._transport = httpx.AsyncHTTPTransport(limits=limits)

    async def request(
        self, endpoint: core.Endpoint, body: bytes, *, correlation_id: str, max_bytes: int
    ) -> bytes:
        headers = {**HEADERS, "X-Correlation-ID": correlation_id}
        request = httpx.Request("POST", endpoint.address, content=body, headers=headers)
        try:
            response = await self._transport.handle_async_request(request)
            try:
                if response.status_code != 200:
                    raise core.TransportError(f"HTTP {response.status_code}")
                data = b"".join([chunk async for chunk in response.aiter_raw()])
            finally:
                await response.aclose()
        except httpx.TransportError as exc:
            raise core.TransportError(str(exc)) from None
        if len(data) > max_bytes:
            raise core.InvalidReplyError("too large")
        return data

    async def aclose(self) -> None:
        await self._transport.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100")
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--strategies", default="best,first")
    parser.add_argument("--clients", default="pool,aiohttp,httpx")
    parser.add_argument("--no-pin", action="store_true", help="let the OS place the processes")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    pinning = Pinning(not args.no_pin)
    if pinning.enabled:
        os.sched_setaffinity(0, pinning.client_cores)
    load = [f"{os.getloadavg()[0]:.2f}"]
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        transports: dict[str, Callable[[], core.Transport]] = {
            "pool": core.HttpTransport,
            "aiohttp": AiohttpTransport,
            "httpx": functools.partial(HttpcoreTransport, size),
        }
        medians = supplier_medians(size, args.seed + size)
        process, ports = start_fleet(medians, "lean", pinning)
        try:
            config = fleet_config(ports)
            asyncio.run(run_scatterdash(config, "all", 5, medians, 0.0))  # warm the suppliers
            for strategy in args.strategies.split(","):
                for client in args.clients.split(","):
                    run = run_scatterdash(
                        config, strategy, args.runs, medians, 0.0, transports[client]
                    )
                    rows.append(report(size, client, strategy, asyncio.run(run)))
        finally:
            process.terminate()
            process.wait()
        load.append(f"{os.getloadavg()[0]:.2f}")
    print()
    print(
        "back to back, delays drawn per request, "
        f"{'pinned: suppliers 1 core, client the other' if pinning.enabled else 'not pinned'}; "
        f"load average (1 min) before/after each size: {' -> '.join(load)}"
    )
    print()
    print_table(rows)


if __name__ == "__main__":
    main()
