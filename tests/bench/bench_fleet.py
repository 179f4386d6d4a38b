"""Benchmark: how much one fleet process serves, and what it adds to the drawn latency.

    python tests/bench/bench_fleet.py [--suppliers 1000] [--seconds 6]

Starts ``scatterdash fleet --suppliers N`` in its own process and drives it from this
process: one worker and one keep-alive connection per supplier, each request for a random
product and quantity, faults cleared through the control endpoint first so that every
request is answered. The fleet is one thread on one event loop, so it never uses more
than one core. Phases:

- saturation, drawn latencies, aiohttp client: every worker asks again as soon as its
  reply is in (here the client process runs out of CPU before the fleet does);
- saturation, zero latency, Scatterdash's own HTTP transport as the client (lighter
  than aiohttp's client, so the fleet is the bottleneck: its replies/s is its capacity);
- half load, drawn latencies, aiohttp client: paced to half the target rate;
- zero latency, one request in flight, aiohttp client: round trips back to back.

Columns: replies finished inside the measuring window (stragglers after it are not
counted) per second; the fleet process's CPU use; replies per second of fleet CPU (what
one fully used core serves); the fleet's own added latency measured inside it (time in
the request handler minus the drawn delay, timer lateness under load included); and the
client's round trip.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp

import core

TARGET_RPS = 5000
PRODUCTS = [f"SKU-{n}" for n in (*range(100, 105), *range(110, 115), *range(120, 125))]
PRODUCTS += [f"BENCH-{n}" for n in range(15)]  # not in the catalogue: hashed list prices

Ask = Callable[[str, bytes, str], Awaitable[bool]]
"""POST one body to one URL; True for a 200 reply read to the end"""


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_fleet(suppliers: int, config: Path) -> tuple[subprocess.Popen[str], str]:
    command = [sys.executable, "-m", "gui.launcher", "fleet", "--suppliers", str(suppliers)]
    command += ["--seed", "1", "--write-config", str(config)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    control = ""
    for line in process.stdout:  # blocks until the fleet prints; ends if it dies
        if line.startswith("control "):
            control = line.split()[1].removesuffix("/suppliers")
        if line.startswith("fleet ready"):
            return process, control
    raise RuntimeError(f"the fleet exited ({process.wait()}) before it was ready")


def request_bodies(rng: random.Random, count: int = 512) -> list[tuple[bytes, str]]:
    bodies = []
    for i in range(count):
        cid = f"bench-{i}"
        body = {"product_id": rng.choice(PRODUCTS), "quantity": rng.randint(1, 500)}
        bodies.append((json.dumps({**body, "correlation_id": cid}).encode(), cid))
    return bodies


def aiohttp_ask(session: aiohttp.ClientSession) -> Ask:
    async def ask(url: str, body: bytes, cid: str) -> bool:
        headers = {"Content-Type": "application/json", "X-Correlation-ID": cid}
        try:
            async with session.post(url, data=body, headers=headers) as response:
                await response.read()
                return response.status == 200
        except aiohttp.ClientError:
            return False

    return ask


def transport_ask(transport: core.HttpTransport) -> Ask:
    endpoints: dict[str, core.Endpoint] = {}

    async def ask(url: str, body: bytes, cid: str) -> bool:
        endpoint = endpoints.get(url) or endpoints.setdefault(url, core.Endpoint(url, url))
        try:
            await transport.request(endpoint, body, correlation_id=cid, max_bytes=1 << 20)
        except (core.TransportError, core.InvalidReplyError):
            return False
        return True

    return ask


class Phase:
    def __init__(self, name: str, client: str) -> None:
        self.name, self.client = name, client
        self.finished: list[tuple[float, float]] = []  # (finished at, round trip)
        self.errors = 0
        self.row: dict[str, Any] = {}


async def drive(
    ask: Ask, urls: list[str], phase: Phase, stop_at: float, interval: float | None
) -> None:
    """One worker per URL; none starts a request after ``stop_at``."""
    rng = random.Random(2)
    bodies = request_bodies(rng)

    async def worker(url: str) -> None:
        next_at = time.perf_counter() + rng.uniform(0, interval or 0.0)
        if interval:
            await asyncio.sleep(next_at - time.perf_counter())
        while (now := time.perf_counter()) < stop_at:
            body, cid = bodies[rng.randrange(len(bodies))]
            if await ask(url, body, cid):
                done = time.perf_counter()
                phase.finished.append((done, done - now))
            else:
                phase.errors += 1
            if interval is not None:
                next_at += interval
                if next_at > time.perf_counter():
                    await asyncio.sleep(next_at - time.perf_counter())

    await asyncio.gather(*(worker(url) for url in urls))


async def measure(
    control: aiohttp.ClientSession,
    control_url: str,
    fleet_pid: int,
    phase: Phase,
    run: Callable[[float], Awaitable[None]],
    seconds: float,
) -> None:
    """Run a phase; CPU, counts and the fleet's stats are taken at the window's end."""
    async with control.delete(f"{control_url}/stats") as response:
        response.raise_for_status()
    cpu_before, started = cpu_seconds(fleet_pid), time.perf_counter()
    stop_at = started + seconds
    driving = asyncio.create_task(run(stop_at))
    await asyncio.sleep(stop_at - time.perf_counter())
    cpu = cpu_seconds(fleet_pid) - cpu_before
    async with control.get(f"{control_url}/stats") as response:
        stats = await response.json()
    await driving  # stragglers finish, uncounted
    window = [rtt for done, rtt in phase.finished if done <= stop_at]
    overhead = stats["overhead_ms"]
    phase.row = {
        "phase": phase.name,
        "client": phase.client,
        "replies": len(window),
        "errors": phase.errors,
        "replies/s": len(window) / seconds,
        "fleet CPU": cpu / seconds,
        "replies per fleet CPU-s": len(window) / cpu if cpu else float("nan"),
        "added p50 ms": overhead["p50"],
        "added p99 ms": overhead["p99"],
        "RTT p50 ms": percentile(window, 50) * 1000,
        "RTT p99 ms": percentile(window, 99) * 1000,
    }


async def bench(
    args: argparse.Namespace, urls: list[str], control_url: str, pid: int
) -> list[Phase]:
    seconds = args.seconds
    connector = aiohttp.TCPConnector(limit=0, limit_per_host=1, keepalive_timeout=60)
    timeout = aiohttp.ClientTimeout(total=30)
    transport = core.HttpTransport()
    async with (
        aiohttp.ClientSession(connector=connector, timeout=timeout) as session,
        aiohttp.ClientSession() as control,
    ):

        async def set_all_faults(**faults: Any) -> None:
            async with control.post(f"{control_url}/faults", json=faults) as response:
                response.raise_for_status()

        async def phase(
            name: str, ask: Ask, client: str, targets: list[str], interval: float | None = None
        ) -> Phase:
            result = Phase(name, client)
            run = lambda stop_at: drive(ask, targets, result, stop_at, interval)  # noqa: E731
            await measure(control, control_url, pid, result, run, seconds)
            return result

        http, own = aiohttp_ask(session), transport_ask(transport)
        await set_all_faults(error_rate=0.0, hang_rate=0.0, latency_multiplier=1.0)
        await drive(http, urls, Phase("warm-up", ""), time.perf_counter() + 1.0, None)
        try:
            phases = [await phase("saturation, drawn latencies", http, "aiohttp", urls)]
            await set_all_faults(latency_multiplier=0.0)
            await drive(own, urls, Phase("warm-up", ""), time.perf_counter() + 0.5, None)
            phases.append(await phase("saturation, zero latency", own, "core transport", urls))
            await set_all_faults(latency_multiplier=1.0)
            pace = len(urls) / (TARGET_RPS / 2)
            phases.append(
                await phase(f"half load ({TARGET_RPS // 2}/s asked)", http, "aiohttp", urls, pace)
            )
            await set_all_faults(latency_multiplier=0.0)
            phases.append(await phase("zero latency, 1 in flight", http, "aiohttp", urls[:1]))
        finally:
            await transport.aclose()
        return phases


def cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def table(rows: list[dict[str, Any]]) -> str:
    lines = [list(rows[0])] + [[cell(v) for v in row.values()] for row in rows]
    widths = [max(len(line[i]) for line in lines) for i in range(len(lines[0]))]
    return "\n".join(
        "  ".join(
            c.ljust(w) if i < 2 else c.rjust(w)
            for i, (c, w) in enumerate(zip(line, widths, strict=True))
        )
        for line in lines
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suppliers", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=6.0, help="per phase")
    args = parser.parse_args()

    config = Path(tempfile.mkdtemp()) / "fleet.toml"
    started = time.perf_counter()
    process, control = start_fleet(args.suppliers, config)
    start_s = time.perf_counter() - started
    try:
        urls = [s.url for s in core.load_config(config).suppliers]
        phases = asyncio.run(bench(args, urls, control, process.pid))
    finally:
        process.terminate()
        process.wait(10)
    print(
        f"fleet: {args.suppliers} suppliers in one process, started in {start_s:.1f} s; "
        f"the client in another; {os.cpu_count()} cores, shared; {args.seconds:g} s per phase"
    )
    print(table([p.row for p in phases]))
    capacity = max(p.row["replies/s"] for p in phases)
    per_cpu = max(p.row["replies per fleet CPU-s"] for p in phases[:2])
    added = phases[2].row["added p50 ms"]
    print(
        f"\ntarget ≥ {TARGET_RPS:,} replies/s on one core: {capacity:,.0f}/s served, "
        f"{per_cpu:,.0f} per fleet CPU-second ({'met' if capacity >= TARGET_RPS else 'NOT met'})"
        f"\ntarget added latency < 1 ms at the median: {added:.3f} ms at half load "
        f"({'met' if added < 1 else 'NOT met'})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
