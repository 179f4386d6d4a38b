"""Benchmark: decision overhead and CPU per comparison, Scatterdash vs a naive baseline.

    python tests/bench/bench_core.py [--sizes 10,100,1000] [--runs 30]

The suppliers run in a separate process (tests/bench/bench_suppliers.py, one port each),
each with a fixed delay drawn once between 5 and 50 ms and the same price, so the ideal
decision time of each strategy is known: the fastest supplier's delay for ``first``, the
k-th fastest for ``majority`` (k = quorum), the slowest for ``all`` and ``best``.
Overhead = measured decision latency − ideal. CPU = client process CPU per comparison.
The baseline is the usual hand-written script: one shared ``httpx.AsyncClient``,
``asyncio.gather`` over every supplier, then the strategy applied to everything.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

import core

PIN = False
SUPPLIERS = Path(__file__).with_name("bench_suppliers.py")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def start_fleet(delays: list[float], kind: str) -> tuple[subprocess.Popen[bytes], list[int]]:
    out = Path(tempfile.mkdtemp()) / "ports.json"
    command = [sys.executable, str(SUPPLIERS), kind, json.dumps(delays), str(out)]
    cores = sorted(os.sched_getaffinity(0))
    # on two or more cores, the suppliers get their own core and the client the others
    pin = (lambda: os.sched_setaffinity(0, cores[-1:])) if PIN and len(cores) > 1 else None
    process = subprocess.Popen(command, preexec_fn=pin)
    deadline = time.monotonic() + 120
    while not out.exists() or not out.read_text():
        if time.monotonic() > deadline or process.poll() is not None:
            raise RuntimeError("the benchmark fleet did not start")
        time.sleep(0.05)
    return process, json.loads(out.read_text())


def ideal_ms(strategy: str, delays: list[float]) -> float:
    ordered = sorted(delays)
    if strategy == "first":
        return ordered[0] * 1000
    if strategy == "majority":
        return ordered[len(delays) // 2] * 1000  # quorum = n // 2 + 1 → the k-th fastest
    return ordered[-1] * 1000


async def run_scatterdash(
    config: core.Config, strategy: str, runs: int, delays: list[float], gap: float
) -> dict[str, float]:
    overheads, cpus, undecided = [], [], 0
    async with core.PriceComparator(config) as comparator:
        for index in range(runs + 3):
            await asyncio.sleep(gap)
            cpu0 = time.process_time()
            comparison = await comparator.compare("SKU-123", 40, strategy=strategy)
            cpu = (time.process_time() - cpu0) * 1000
            if index < 3:
                continue  # warm-up: connections opened
            undecided += not comparison.decided
            overheads.append(comparison.elapsed_ms - ideal_ms(strategy, delays))
            cpus.append(cpu)
    return summary(overheads, cpus, undecided)


async def run_baseline(
    ports: list[int], strategy: str, runs: int, delays: list[float], deadline: float, gap: float
) -> dict[str, float]:
    overheads, cpus, undecided = [], [], 0
    limits = httpx.Limits(
        max_connections=len(ports) + 10, max_keepalive_connections=len(ports) + 10
    )
    async with httpx.AsyncClient(limits=limits, timeout=deadline) as client:

        async def one(port: int) -> dict[str, object] | None:
            try:
                response = await client.post(
                    f"http://127.0.0.1:{port}/quote",
                    json={"product_id": "SKU-123", "quantity": 40, "correlation_id": "x"},
                )
                return response.json()  # type: ignore[no-any-return]
            except httpx.HTTPError:
                return None

        for index in range(runs + 3):
            await asyncio.sleep(gap)
            cpu0, wall0 = time.process_time(), time.perf_counter()
            try:
                replies = await asyncio.wait_for(asyncio.gather(*(one(p) for p in ports)), deadline)
            except TimeoutError:
                replies = []
            quotes = [r for r in replies if r]
            if quotes:
                min(quotes, key=lambda q: q["total_price"])  # type: ignore[arg-type, return-value]
            elapsed = (time.perf_counter() - wall0) * 1000
            cpu = (time.process_time() - cpu0) * 1000
            if index < 3:
                continue
            undecided += len(quotes) < len(ports) // 2 + 1
            overheads.append(elapsed - ideal_ms(strategy, delays))
            cpus.append(cpu)
    return summary(overheads, cpus, undecided)


def summary(overheads: list[float], cpus: list[float], undecided: int) -> dict[str, float]:
    return {
        "median": statistics.median(overheads),
        "p99": percentile(overheads, 99),
        "cpu": statistics.median(cpus),
        "undecided": undecided,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10,100,1000")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--baseline-strategies", default="first,all")
    parser.add_argument("--suppliers", choices=("lean", "aiohttp"), default="lean")
    parser.add_argument(
        "--gap", type=float, default=0.1, help="idle seconds between comparisons (not measured)"
    )
    parser.add_argument(
        "--pin", action="store_true", help="suppliers on one core, client on the rest"
    )
    parser.add_argument("--gc-freeze", action="store_true", help="gc.freeze() before measuring")
    args = parser.parse_args()
    global PIN
    PIN = args.pin
    if args.gc_freeze:
        gc.freeze()
    cores = sorted(os.sched_getaffinity(0))
    if args.pin and len(cores) > 1:
        os.sched_setaffinity(0, cores[:-1])
    rng = random.Random(7)
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        delays = [rng.uniform(0.005, 0.050) for _ in range(size)]
        process, ports = start_fleet(delays, args.suppliers)
        runs = args.runs if size < 1000 else max(5, args.runs // 5)
        deadline = 10.0
        try:
            config = core.parse_config(
                {
                    "defaults": {"timeout": deadline, "supplier_timeout": deadline},
                    "suppliers": [
                        {"name": f"s{i}", "url": f"http://127.0.0.1:{port}/quote"}
                        for i, port in enumerate(ports)
                    ],
                }
            )
            for strategy in core.STRATEGIES:
                result = asyncio.run(run_scatterdash(config, strategy, runs, delays, args.gap))
                rows.append((size, "scatterdash", strategy, result))
                print(f"  {size:>5} scatterdash {strategy:<8} {fmt(result)}", file=sys.stderr)
            for strategy in args.baseline_strategies.split(","):
                result = asyncio.run(
                    run_baseline(ports, strategy, runs, delays, deadline, args.gap)
                )
                rows.append((size, "httpx+gather", strategy, result))
                print(f"  {size:>5} baseline    {strategy:<8} {fmt(result)}", file=sys.stderr)
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


def fmt(result: dict[str, float]) -> str:
    return (
        f"median {result['median']:.1f} ms  p99 {result['p99']:.1f} ms  cpu {result['cpu']:.1f} ms"
    )


if __name__ == "__main__":
    main()
