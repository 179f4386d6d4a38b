"""Benchmark: decision overhead and CPU per comparison, back to back, Scatterdash vs others.

    python tests/bench/bench_core.py [--quick] [--sizes 10,100,1000] [--runs 40] [--gap 0]

The suppliers run in their own process (tests/bench/bench_suppliers.py, one port each),
pinned to one core, the client to the other. Each supplier draws its delay anew for every
request (lognormal, medians 5-80 ms, 1 % outliers +100-250 ms) from the correlation id,
so this script recomputes the delays every comparison actually met and its ideal
decision time: the fastest delay for ``first``, the k-th fastest for ``majority``
(k = n // 2 + 1, the default quorum), the slowest for ``all`` and ``best``.
Overhead = measured decision latency - that ideal. CPU = the client process's whole CPU
over the measured run (background reconnects and unwinding included) / comparisons.
Comparisons run back to back (``--gap`` adds idle time between them).

In the same run: the naive baseline (one shared ``httpx.AsyncClient``, ``asyncio.gather``
over every supplier, then the strategy applied) and, when ``go`` is installed, a compiled
reference client (tests/bench/go_client, built here) that decides early and cancels.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from bench_suppliers import request_delay, supplier_medians

import core

HERE = Path(__file__).parent
SUPPLIERS = HERE / "bench_suppliers.py"
GO_SOURCE = HERE / "go_client" / "main.go"
WARMUPS = 3
DEADLINE_S = 10.0


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


class Pinning:
    """On two or more cores: the suppliers on the last one, the clients on the others."""

    def __init__(self, enabled: bool) -> None:
        cores = sorted(os.sched_getaffinity(0))
        self.enabled = enabled and len(cores) > 1
        self.supplier_cores, self.client_cores = cores[-1:], cores[:-1]

    def suppliers(self) -> Callable[[], None] | None:
        return (lambda: os.sched_setaffinity(0, self.supplier_cores)) if self.enabled else None

    def client(self) -> Callable[[], None] | None:
        return (lambda: os.sched_setaffinity(0, self.client_cores)) if self.enabled else None


def start_fleet(
    medians: list[float], kind: str, pinning: Pinning
) -> tuple[subprocess.Popen[bytes], list[int]]:
    out = Path(tempfile.mkdtemp()) / "ports.json"
    command = [sys.executable, str(SUPPLIERS), kind, json.dumps(medians), str(out)]
    process = subprocess.Popen(command, preexec_fn=pinning.suppliers())
    deadline = time.monotonic() + 120
    while not out.exists() or not out.read_text():
        if time.monotonic() > deadline or process.poll() is not None:
            raise RuntimeError("the benchmark fleet did not start")
        time.sleep(0.05)
    return process, json.loads(out.read_text())


def ideal_ms(strategy: str, medians: list[float], correlation_id: str) -> float:
    delays = sorted(request_delay(m, i, correlation_id) for i, m in enumerate(medians))
    if strategy == "first":
        return delays[0] * 1000
    if strategy == "majority":
        return delays[len(delays) // 2] * 1000  # quorum n // 2 + 1 -> the k-th fastest
    return delays[-1] * 1000


class Run:
    """What one client measured for one strategy."""

    def __init__(self) -> None:
        self.overheads: list[float] = []
        self.undecided = 0
        self.cpu_ms = 0.0
        self._elapsed: list[tuple[str, float]] = []

    def took(self, correlation_id: str, elapsed_ms: float) -> None:
        """One comparison's time, set against its ideal by :meth:`settle` once the CPU
        window is closed: recomputing the delays is the benchmark's CPU, not the client's."""
        self._elapsed.append((correlation_id, elapsed_ms))

    def settle(self, strategy: str, medians: list[float]) -> Run:
        for correlation_id, elapsed_ms in self._elapsed:
            self.overheads.append(elapsed_ms - ideal_ms(strategy, medians, correlation_id))
        self._elapsed.clear()
        return self

    def row(self) -> dict[str, float]:
        return {
            "median": statistics.median(self.overheads),
            "p95": percentile(self.overheads, 95),
            "p99": percentile(self.overheads, 99),
            "cpu": self.cpu_ms / len(self.overheads),
            "undecided": self.undecided,
        }


def fleet_config(ports: list[int]) -> core.Config:
    return core.parse_config(
        {
            "defaults": {"timeout": DEADLINE_S, "supplier_timeout": DEADLINE_S},
            "suppliers": [
                {"name": f"s{i}", "url": f"http://127.0.0.1:{port}/quote"}
                for i, port in enumerate(ports)
            ],
        }
    )


async def run_scatterdash(
    config: core.Config,
    strategy: str,
    runs: int,
    medians: list[float],
    gap: float,
    transport: Callable[[], core.Transport] | None = None,
) -> Run:
    """``transport``: makes the transport to run the engine over (default: its own)."""
    gc.collect()  # every row starts from a clean heap, not the garbage of the rows before
    run = Run()
    under = transport() if transport is not None else None
    try:
        async with core.PriceComparator(config, transport=under) as comparator:
            for _ in range(WARMUPS):
                await comparator.compare("SKU-123", 40, strategy=strategy)
            await comparator.idle()
            cpu0 = time.process_time()
            for _ in range(runs):
                if gap:
                    await asyncio.sleep(gap)
                comparison = await comparator.compare("SKU-123", 40, strategy=strategy)
                run.undecided += not comparison.decided
                run.took(comparison.correlation_id, comparison.elapsed_ms)
            await comparator.idle()
            run.cpu_ms = (time.process_time() - cpu0) * 1000
    finally:
        if under is not None:
            await under.aclose()
    return run.settle(strategy, medians)


async def run_baseline(
    ports: list[int], strategy: str, runs: int, medians: list[float], gap: float
) -> Run:
    gc.collect()
    run = Run()
    limits = httpx.Limits(
        max_connections=len(ports) + 10, max_keepalive_connections=len(ports) + 10
    )
    async with httpx.AsyncClient(limits=limits, timeout=DEADLINE_S) as client:

        async def one(port: int, correlation_id: str) -> dict[str, object] | None:
            try:
                response = await client.post(
                    f"http://127.0.0.1:{port}/quote",
                    json={
                        "product_id": "SKU-123",
                        "quantity": 40,
                        "correlation_id": correlation_id,
                    },
                )
                return response.json()  # type: ignore[no-any-return]
            except httpx.HTTPError:
                return None

        cpu0 = 0.0
        for index in range(WARMUPS + runs):
            if index == WARMUPS:
                cpu0 = time.process_time()
            if gap:
                await asyncio.sleep(gap)
            correlation_id = f"baseline-{strategy}-{index}"
            wall0 = time.perf_counter()
            try:
                replies = await asyncio.wait_for(
                    asyncio.gather(*(one(p, correlation_id) for p in ports)), DEADLINE_S
                )
            except TimeoutError:
                replies = []
            quotes = [r for r in replies if r]
            if quotes:
                min(quotes, key=lambda q: q["total_price"])  # type: ignore[arg-type, return-value]
            elapsed = (time.perf_counter() - wall0) * 1000
            if index < WARMUPS:
                continue
            run.undecided += len(quotes) < len(ports) // 2 + 1
            run.took(correlation_id, elapsed)
        run.cpu_ms = (time.process_time() - cpu0) * 1000
    return run.settle(strategy, medians)


def build_go() -> Path | None:
    go = shutil.which("go")
    if go is None:
        return None
    binary = Path(tempfile.mkdtemp(prefix="bench-go-")) / "go_client"
    subprocess.run([go, "build", "-o", str(binary), str(GO_SOURCE)], check=True)
    return binary


def run_go(
    binary: Path,
    ports: list[int],
    strategy: str,
    runs: int,
    medians: list[float],
    gap: float,
    pinning: Pinning,
) -> Run:
    ports_file = Path(tempfile.mkdtemp()) / "ports.json"
    ports_file.write_text(json.dumps(ports))
    command = [str(binary), str(ports_file), strategy, str(runs), str(WARMUPS), str(gap)]
    output = subprocess.run(
        command, check=True, capture_output=True, text=True, preexec_fn=pinning.client()
    ).stdout
    run = Run()
    for line in output.splitlines():
        first, second, *rest = line.split()
        if first == "cpu_ms":
            run.cpu_ms = float(second)
            continue
        run.overheads.append(float(second) - ideal_ms(strategy, medians, first))
        run.undecided += rest != ["true"]
    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10,100,1000")
    parser.add_argument("--runs", type=int, default=40, help="comparisons per row (/5 at 1000)")
    parser.add_argument("--quick", action="store_true", help="sizes 10,100 and 20 runs")
    parser.add_argument("--strategies", default=",".join(core.STRATEGIES))
    parser.add_argument("--baseline-strategies", default="first,all")
    parser.add_argument(
        "--baseline-max", type=int, default=100, help="largest size the naive baseline runs at"
    )
    parser.add_argument("--suppliers", choices=("lean", "aiohttp"), default="lean")
    parser.add_argument(
        "--gap", type=float, default=0.0, help="idle seconds between comparisons (not measured)"
    )
    parser.add_argument("--no-pin", action="store_true", help="let the OS place the processes")
    parser.add_argument("--no-go", action="store_true", help="skip the compiled reference")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--tune-gc", action="store_true", help="core.tune_gc() first, as the GUI does"
    )
    args = parser.parse_args()
    if args.quick:
        args.sizes, args.runs = "10,100", min(args.runs, 20)
    pinning = Pinning(not args.no_pin)
    if pinning.enabled:
        os.sched_setaffinity(0, pinning.client_cores)
    go_binary = None if args.no_go else build_go()
    if args.tune_gc:
        core.tune_gc()
    load = [f"{os.getloadavg()[0]:.2f}"]
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        medians = supplier_medians(size, args.seed + size)
        process, ports = start_fleet(medians, args.suppliers, pinning)
        runs = args.runs if size < 1000 else max(5, args.runs // 5)
        try:
            config = fleet_config(ports)
            # the suppliers' process is slow for its first few hundred connections and
            # requests: warm it up before any row is measured
            asyncio.run(run_scatterdash(config, "all", 5, medians, 0.0))
            for strategy in args.strategies.split(","):
                run = asyncio.run(run_scatterdash(config, strategy, runs, medians, args.gap))
                rows.append(report(size, "scatterdash", strategy, run))
                if go_binary is not None:
                    run = run_go(go_binary, ports, strategy, runs, medians, args.gap, pinning)
                    rows.append(report(size, "go (net/http)", strategy, run))
            if size <= args.baseline_max:
                for strategy in filter(None, args.baseline_strategies.split(",")):
                    run = asyncio.run(run_baseline(ports, strategy, runs, medians, args.gap))
                    rows.append(report(size, "httpx+gather", strategy, run))
        finally:
            process.terminate()
            process.wait()
        load.append(f"{os.getloadavg()[0]:.2f}")
    print()
    print(
        f"back to back (gap {args.gap:g} s), delays drawn per request, "
        f"{'core.tune_gc()' if args.tune_gc else 'default gc'}, "
        f"{'pinned: suppliers 1 core, client the other' if pinning.enabled else 'not pinned'}; "
        f"load average (1 min) before/after each size: {' -> '.join(load)}"
    )
    print()
    print_table(rows)


def print_table(rows: list[tuple[int, str, str, dict[str, float]]], column: str = "client") -> None:
    """``column``: what the second column names (the client, the transport...)."""
    print(
        f"| suppliers | {column} | strategy | overhead median (ms) | p95 (ms) | p99 (ms) "
        "| CPU / comparison (ms) | undecided |"
    )
    print("|---:|---|---|---:|---:|---:|---:|---:|")
    for size, client, strategy, result in rows:
        print(
            f"| {size} | {client} | {strategy} | {result['median']:.1f} | {result['p95']:.1f} "
            f"| {result['p99']:.1f} | {result['cpu']:.1f} | {result['undecided']:.0f} |"
        )


def report(
    size: int, client: str, strategy: str, run: Run
) -> tuple[int, str, str, dict[str, float]]:
    result = run.row()
    print(
        f"  {size:>5} {client:<13} {strategy:<8} median {result['median']:.1f} ms  "
        f"p95 {result['p95']:.1f} ms  p99 {result['p99']:.1f} ms  cpu {result['cpu']:.1f} ms",
        file=sys.stderr,
        flush=True,
    )
    return size, client, strategy, result


if __name__ == "__main__":
    main()
