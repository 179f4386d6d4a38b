"""Comparisons back to back and concurrently, some cancelled midway, against mixed faults.

Shared by the CI soak test (seconds) and tests/bench/soak.py (minutes).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import random
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import psutil

import core
from tests.support.scripted import (
    Behaviour,
    ScriptedFleet,
    drip,
    hang,
    healthy,
    raw,
    sockets_to,
    status,
)

REPO = Path(__file__).resolve().parents[2]


def mixed_faults(count: int = 30, seed: int = 1) -> dict[str, Behaviour]:
    rng = random.Random(seed)
    behaviours: dict[str, Behaviour] = {}
    for index in range(count):
        roll = index % 10
        if roll == 7:
            behaviours[f"s{index:02d}-500"] = status(500, delay=rng.uniform(0, 0.02))
        elif roll == 8:
            behaviours[f"s{index:02d}-hang"] = hang()
        elif roll == 9:
            behaviours[f"s{index:02d}-bad"] = raw(b"{oops", delay=0.01) if index % 20 else drip()
        else:
            price = rng.choice([9.99, 10.0, 10.5])
            behaviours[f"s{index:02d}"] = healthy(delay=rng.uniform(0.002, 0.08), unit_price=price)
    return behaviours


@dataclass
class SoakReport:
    comparisons: int = 0
    cancelled: int = 0
    worst_overrun_ms: float = 0.0
    """how far past its deadline the slowest comparison ended (negative: never late)"""
    tasks_before: int = 0
    tasks_after: int = 0
    sockets_warm: int = 0
    sockets_idle: int = 0
    sockets_closed: int = 0
    fds_start: int = 0
    fds_end: int = 0
    """before the fleet started / after comparator and fleet closed"""
    rss_warm_mb: float = 0.0
    rss_end_mb: float = 0.0
    statuses: dict[str, int] = field(default_factory=dict)

    @property
    def rss_growth(self) -> float:
        return (self.rss_end_mb - self.rss_warm_mb) / self.rss_warm_mb

    def rows(self) -> list[tuple[str, str]]:
        return [
            ("comparisons", str(self.comparisons)),
            ("cancelled midway", str(self.cancelled)),
            ("worst time past deadline (ms)", f"{self.worst_overrun_ms:.1f}"),
            ("asyncio tasks before / after", f"{self.tasks_before} / {self.tasks_after}"),
            (
                "client sockets warm / idle / closed",
                f"{self.sockets_warm} / {self.sockets_idle} / {self.sockets_closed}",
            ),
            ("file descriptors before / after", f"{self.fds_start} / {self.fds_end}"),
            (
                "RSS warm / end (MiB)",
                f"{self.rss_warm_mb:.1f} / {self.rss_end_mb:.1f} ({self.rss_growth:+.1%})",
            ),
            ("supplier outcomes", ", ".join(f"{k} {v}" for k, v in sorted(self.statuses.items()))),
        ]


def client_tasks() -> int:
    return sum(
        1
        for task in asyncio.all_tasks()
        if task is not asyncio.current_task()
        and not task.get_coro().__qualname__.startswith(("RequestHandler.", "BaseRequestHandler."))  # type: ignore[union-attr]
    )


@contextlib.asynccontextmanager
async def fleet_process(seed: int) -> AsyncIterator[list[str]]:
    """The mixed-fault suppliers in a process of their own, so that what the soak measures
    (RSS, descriptors, tasks) is the client's alone. Yields their URLs."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.support.soak",
        str(seed),
        stdout=asyncio.subprocess.PIPE,
        cwd=REPO,
    )
    assert process.stdout is not None
    try:
        urls = json.loads(await process.stdout.readline())
        yield urls
    finally:
        process.terminate()
        await process.wait()


async def _serve(seed: int) -> None:
    async with ScriptedFleet(mixed_faults(seed=seed)) as fleet:
        print(json.dumps([s.url for s in fleet.suppliers.values()]), flush=True)
        await asyncio.Event().wait()


async def soak(
    duration_s: float, *, workers: int = 4, timeout: float = 0.5, seed: int = 1
) -> SoakReport:
    report = SoakReport()
    process = psutil.Process()
    rng = random.Random(seed)
    report.fds_start = process.num_fds()
    async with fleet_process(seed) as urls:
        ports = {int(url.split(":")[2].split("/")[0]) for url in urls}
        config = core.parse_config(
            {
                "defaults": {"timeout": timeout, "supplier_timeout": 0.3},
                "suppliers": [{"name": f"s{i:02d}", "url": url} for i, url in enumerate(urls)],
            }
        )
        report.tasks_before = client_tasks()
        async with core.PriceComparator(config) as comparator:

            async def one() -> None:
                strategy = rng.choice(core.STRATEGIES)
                task = asyncio.create_task(
                    comparator.compare("SKU-1", rng.randint(1, 50), strategy=strategy)
                )
                if rng.random() < 0.2:
                    await asyncio.sleep(rng.uniform(0, timeout))
                    task.cancel()
                try:
                    comparison = await task
                except asyncio.CancelledError:
                    report.cancelled += 1
                    return
                report.comparisons += 1
                report.worst_overrun_ms = max(
                    report.worst_overrun_ms, comparison.elapsed_ms - timeout * 1000
                )
                for result in comparison.suppliers:
                    report.statuses[result.status.value] = (
                        report.statuses.get(result.status.value, 0) + 1
                    )

            async def worker(until: float) -> None:
                while time.monotonic() < until:
                    await one()

            warm_until = time.monotonic() + min(10.0, max(2.0, duration_s / 10))
            await asyncio.gather(*(worker(warm_until) for _ in range(workers)))
            gc.collect()
            report.sockets_warm = sockets_to(ports)
            report.rss_warm_mb = process.memory_info().rss / 2**20
            until = time.monotonic() + duration_s
            await asyncio.gather(*(worker(until) for _ in range(workers)))
            await comparator.idle()
            gc.collect()
            report.sockets_idle = sockets_to(ports)
            report.rss_end_mb = process.memory_info().rss / 2**20
            report.tasks_after = client_tasks()
        report.sockets_closed = sockets_to(ports)
    report.fds_end = process.num_fds()
    return report


async def cancellation_storm(count: int = 1000, seed: int = 2) -> tuple[int, int, int]:
    """Start ``count`` comparisons and cancel each almost at once; returns
    (cancelled, finished, client sockets left open after closing)."""
    rng = random.Random(seed)
    async with ScriptedFleet({f"s{i}": healthy(delay=0.005 * i) for i in range(5)}) as fleet:
        ports = {s.port for s in fleet.suppliers.values()}
        async with core.PriceComparator(fleet.config(timeout=2.0)) as comparator:
            tasks = [
                asyncio.create_task(
                    comparator.compare("SKU-1", 1, strategy=rng.choice(core.STRATEGIES))
                )
                for _ in range(count)
            ]
            # in three waves: before they start, once they have started, and once their
            # calls are on the wire (a fixed number of loop turns, whatever the load)
            for wave in range(3):
                for task in tasks[wave::3]:
                    task.cancel()
                for _ in range(wave + 1):
                    await asyncio.sleep(0)
            outcomes = await asyncio.gather(*tasks, return_exceptions=True)
        left = sockets_to(ports)
    cancelled = sum(isinstance(o, asyncio.CancelledError) for o in outcomes)
    unexpected = [
        o
        for o in outcomes
        if isinstance(o, BaseException) and not isinstance(o, asyncio.CancelledError)
    ]
    assert not unexpected, unexpected[:3]
    return cancelled, count - cancelled, left


if __name__ == "__main__":  # the suppliers of fleet_process()
    asyncio.run(_serve(int(sys.argv[1])))
