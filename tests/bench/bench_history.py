"""History benchmark: what recording costs the event loop, and how fast the questions are.

``python tests/bench/bench_history.py [--comparisons 20000]`` (about a minute). Synthetic
comparisons (no network): 12 suppliers each unless said, spread over 25 products and 30
days. Prints two tables:

1. recording: the event loop's cost per finished comparison (the recorder building the
   record and queueing it), the writer thread's throughput, and the loop's worst lag (a
   1 ms ticker) while a burst of 1,000 comparisons is written;
2. queries on a database of ``--comparisons`` comparisons: listing by product, by
   supplier, since a date, finding by correlation id (whole and a unique start), the
   fallback lookup, and a full CSV export.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from core import (
    CallResult,
    Comparison,
    ComparisonFinished,
    ComparisonStarted,
    Emitter,
    Event,
    PricedQuote,
    Quote,
    Status,
    SupplierResult,
)
from core.storage import (
    ComparisonRecord,
    HistoryDatabase,
    HistoryFilter,
    HistoryRecorder,
    HistoryService,
    find_fallback,
    write_history_csv,
)

PRODUCTS = [f"SKU-{100 + n}" for n in range(25)]


def synthetic(rng: random.Random, suppliers: int, product: str, decided: bool = True) -> Comparison:
    results = []
    for n in range(suppliers):
        latency = rng.uniform(5, 200)
        if rng.random() < 0.85:
            unit = round(rng.uniform(5, 20), 2)
            quote = Quote(
                supplier_id=f"s{n}",
                product_id=product,
                unit_price=unit,
                total_price=round(unit * 10, 2),
                currency="EUR",
                valid_until="2099-01-01T00:00:00+00:00",
                in_stock=rng.random() < 0.9,
                delivery_days=rng.randint(1, 9),
            )
            results.append(SupplierResult(f"supplier-{n}", Status.OK, latency, quote))
        else:
            results.append(SupplierResult(f"supplier-{n}", Status.ERROR, latency, error="HTTP 500"))
    quotes = tuple(
        sorted(
            (PricedQuote.from_result(r) for r in results if r.ok),
            key=lambda q: q.quote.total_price,
        )
    )
    winner = next((q for q in quotes if q.quote.in_stock), None) if decided else None
    return Comparison(
        correlation_id=str(uuid.uuid4()),
        strategy="best",
        product_id=product,
        quantity=10,
        decided=winner is not None,
        partial=False,
        error=None if winner is not None else "no valid responses received",
        winner=winner,
        ranked=None,
        cheapest=winner,
        fastest_delivery=winner,
        quotes=quotes,
        suppliers=tuple(results),
        elapsed_ms=max(r.latency_ms or 0 for r in results),
    )


def emit(events: Emitter[Event], comparison: Comparison) -> None:
    events.emit(ComparisonStarted(comparison.correlation_id, "best", (), 5.0, 0.0))
    for result in comparison.suppliers:
        events.emit(CallResult(comparison.correlation_id, result, (result.latency_ms or 0) / 1000))
    events.emit(ComparisonFinished(comparison.correlation_id, comparison, 0.2))


async def recording(
    suppliers: int, directory: Path, burst: int = 1000
) -> tuple[float, float, float, float]:
    """(loop µs per comparison, comparisons written per s, loop lag p99 and max in ms)."""
    rng = random.Random(suppliers)
    comparisons = [synthetic(rng, suppliers, rng.choice(PRODUCTS)) for _ in range(burst)]
    service = HistoryService(directory / f"record-{suppliers}.sqlite3")
    await service.call(lambda db: None, None)  # opened
    events: Emitter[Event] = Emitter()
    HistoryRecorder(service, source="window").attach(events)
    lags: list[float] = []
    stop = asyncio.Event()

    async def ticker() -> None:
        while not stop.is_set():
            before = time.perf_counter()
            await asyncio.sleep(0.001)
            lags.append((time.perf_counter() - before) * 1000 - 1.0)

    ticking = asyncio.create_task(ticker())
    await asyncio.sleep(0.05)
    costs = []
    started = time.perf_counter()
    for comparison in comparisons:
        before = time.perf_counter()
        emit(events, comparison)
        costs.append(time.perf_counter() - before)
        await asyncio.sleep(0)  # the loop gets its turn between comparisons, as in the app
    await service.call(lambda db: None, None)  # every write before this one is done
    elapsed = time.perf_counter() - started
    stop.set()
    await ticking
    await service.aclose()
    lags.sort()
    return statistics.median(costs) * 1e6, burst / elapsed, lags[int(len(lags) * 0.99)], lags[-1]


def fill(path: Path, count: int) -> list[Comparison]:
    rng = random.Random(7)
    database = HistoryDatabase.open(path, keep_days=None)
    now = time.time()
    kept = []

    for n in range(count):
        comparison = synthetic(rng, 12, rng.choice(PRODUCTS))
        database.add_comparison(
            ComparisonRecord.from_comparison(
                comparison, recorded_at=now - (count - n) * (30 * 86400 / count), source="cli"
            )
        )
        if n % (count // 10) == 0:
            kept.append(comparison)
    database.close()
    return kept


def timed(function: object, repeat: int = 20) -> float:
    assert callable(function)
    times = []
    for _ in range(repeat):
        before = time.perf_counter()
        function()
        times.append(time.perf_counter() - before)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--comparisons", type=int, default=20_000)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        directory = Path(scratch)
        print(
            "| suppliers | loop cost per comparison (µs) | written per s | loop lag p99 / max (ms) |"
        )
        print("|---:|---:|---:|---:|")
        for suppliers in (12, 100, 1000):
            burst = 1000 if suppliers < 1000 else 200
            cost, rate, p99, worst = asyncio.run(recording(suppliers, directory, burst))
            print(f"| {suppliers} | {cost:.0f} | {rate:,.0f} | {p99:.1f} / {worst:.1f} |")

        path = directory / "big.sqlite3"
        before = time.perf_counter()
        samples = fill(path, options.comparisons)
        filled = time.perf_counter() - before
        size = path.stat().st_size / 2**20
        database = HistoryDatabase.open(path, keep_days=None)
        probe = samples[len(samples) // 2]
        undecided = synthetic(random.Random(1), 12, probe.product_id, decided=False)
        now = time.time()
        rows = [
            (
                "list 100 by product",
                lambda: database.comparisons(HistoryFilter(product="SKU-110", limit=100)),
            ),
            (
                "list 100 by supplier",
                lambda: database.comparisons(HistoryFilter(supplier="supplier-3", limit=100)),
            ),
            (
                "list 100 since 3 days ago",
                lambda: database.comparisons(HistoryFilter(since=now - 3 * 86400, limit=100)),
            ),
            (
                "list 500 (the window's table)",
                lambda: database.comparisons(HistoryFilter(limit=500)),
            ),
            (
                "search part of a correlation id",
                lambda: database.comparisons(
                    HistoryFilter(search=probe.correlation_id[9:18], limit=100)
                ),
            ),
            ("find by correlation id", lambda: database.find(probe.correlation_id)),
            ("find by a unique start (8 chars)", lambda: database.find(probe.correlation_id[:8])),
            (
                "fallback lookup (max_age 30 days)",
                lambda: find_fallback(database, undecided, max_age_s=30 * 86400, now=now),
            ),
        ]
        print()
        print(
            f"{options.comparisons:,} comparisons × 12 suppliers: {size:.1f} MiB, written in {filled:.1f} s (one transaction each)"
        )
        print()
        print("| query | median (ms) |")
        print("|---|---:|")
        for name, query in rows:
            print(f"| {name} | {timed(query):.2f} |")
        export_ms = timed(
            lambda: write_history_csv(database.outcome_rows(), io.StringIO()), repeat=3
        )
        print(
            f"| export CSV, every outcome ({options.comparisons * 12:,} rows) | {export_ms:,.0f} |"
        )
        database.close()


if __name__ == "__main__":
    main()
