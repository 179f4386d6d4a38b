"""Benchmark: the HTTP client under the engine — Scatterdash's pool vs well-kept clients.

    python tests/bench/bench_http_clients.py [--sizes 100] [--runs 20] [--strategies best,first]

The same fleet and measure as tests/bench/bench_core.py (suppliers in their own process,
a fixed delay each; overhead = decision latency − the strategy's ideal; CPU = the client
process's CPU per comparison), with the engine's transport swapped underneath:

- ``pool``: ``core.HttpTransport``, the hand-written pool (what Scatterdash uses);
- ``aiohttp``: aiohttp's ``ClientSession`` (already a dependency, for the demo fleet);
- ``httpx``: httpx's own ``AsyncHTTPTransport`` (httpcore), called directly.

Each gets the same work per call: POST the body, check the status, read at most the cap.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

import aiohttp
import httpx

import core

sys.path.insert(0, str(Path(__file__).parent))
from bench_core import fmt, ideal_ms, start_fleet, summary

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


def make_transport(client: str, size: int) -> core.Transport:
    if client == "pool":
        return core.HttpTransport()
    if client == "aiohttp":
        return AiohttpTransport()
    return HttpcoreTransport(size)


async def run(
    config: core.Config, client: str, strategy: str, runs: int, delays: list[float]
) -> dict[str, float]:
    import time

    transport = make_transport(client, len(delays))
    overheads, cpus, undecided = [], [], 0
    try:
        async with core.PriceComparator(config, transport=transport) as comparator:
            for index in range(runs + 3):
                await asyncio.sleep(0.1)
                await comparator.idle()
                cpu0 = time.process_time()
                comparison = await comparator.compare("SKU-123", 40, strategy=strategy)
                cpu = (time.process_time() - cpu0) * 1000
                if index < 3:
                    continue  # warm-up: connections opened
                undecided += not comparison.decided
                overheads.append(comparison.elapsed_ms - ideal_ms(strategy, delays))
                cpus.append(cpu)
    finally:
        await transport.aclose()
    return summary(overheads, cpus, undecided)


def main() -> None:
    import random

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--strategies", default="best,first")
    parser.add_argument("--clients", default="pool,aiohttp,httpx")
    args = parser.parse_args()
    rng = random.Random(7)
    rows = []
    # loopback suppliers, never through an environment proxy (older versions: no such key)
    direct = {"proxy": False} if "proxy" in core.SupplierConfig.model_fields else {}
    for size in (int(s) for s in args.sizes.split(",")):
        delays = [rng.uniform(0.005, 0.050) for _ in range(size)]
        process, ports = start_fleet(delays, "lean")
        try:
            config = core.parse_config(
                {
                    "defaults": {"timeout": 10.0, "supplier_timeout": 10.0},
                    "suppliers": [
                        {"name": f"s{i}", "url": f"http://127.0.0.1:{port}/quote", **direct}
                        for i, port in enumerate(ports)
                    ],
                }
            )
            for strategy in args.strategies.split(","):
                for client in args.clients.split(","):
                    result = asyncio.run(run(config, client, strategy, args.runs, delays))
                    rows.append((size, client, strategy, result))
                    print(f"  {size:>5} {client:<8} {strategy:<8} {fmt(result)}", file=sys.stderr)
        finally:
            process.terminate()
            process.wait()
    print()
    print(
        "| suppliers | client | strategy | overhead median (ms) | overhead p99 (ms) | CPU / comparison (ms) | undecided |"
    )
    print("|---:|---|---|---:|---:|---:|---:|")
    for size, client, strategy, result in rows:
        print(
            f"| {size} | {client} | {strategy} | {result['median']:.1f} | {result['p99']:.1f} "
            f"| {result['cpu']:.1f} | {result['undecided']:.0f} |"
        )


if __name__ == "__main__":
    main()
