"""Benchmark: decision overhead and client CPU per comparison, per transport.

    python tests/bench/bench_brokers.py [--suppliers 100] [--runs 30] [--transports http,amqp,nats,kafka]

100 suppliers on loopback, each with a fixed delay drawn once between 5 and 50 ms (the
same delays for every transport), comparisons back to back. HTTP suppliers are
bench_suppliers.py's lean ones; broker suppliers are bench_broker_suppliers.py, one
connection per broker serving every supplier's queue/subject/topic: RabbitMQ and NATS on
127.0.0.1 (as the tests use them), Kafka a Tansu broker started here.
Overhead = decision latency − ideal (slowest delay for ``all``, fastest for ``first``).
CPU = the client process's CPU per comparison (brokers and suppliers not counted).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

# run as a script: the repo root on the path, for tests.support
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench_core import ideal_ms, percentile, start_fleet

import core
from tests.support.tansu import start_tansu, stop

HERE = Path(__file__).parent
AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/"
NATS_URL = "nats://127.0.0.1:4222"
PLACE = {"amqp": "queue", "nats": "subject", "kafka": "topic"}


def start_broker_suppliers(
    kind: str, url: str, prefix: str, delays: list[float]
) -> subprocess.Popen[bytes]:
    ready = Path(tempfile.mkdtemp()) / "ready"
    command = [
        sys.executable,
        str(HERE / "bench_broker_suppliers.py"),
        kind,
        url,
        prefix,
        json.dumps(delays),
        str(ready),
    ]
    process = subprocess.Popen(command)
    deadline = time.monotonic() + 120
    while not ready.exists():
        if time.monotonic() > deadline or process.poll() is not None:
            process.kill()
            raise RuntimeError(f"the {kind} bench suppliers did not start")
        time.sleep(0.05)
    return process


async def measure(
    config: core.Config, strategy: str, runs: int, delays: list[float]
) -> dict[str, float]:
    overheads, cpus, undecided = [], [], 0
    async with core.PriceComparator(config) as comparator:
        for index in range(runs + 3):
            cpu0 = time.process_time()
            comparison = await comparator.compare("SKU-123", 40, strategy=strategy)
            cpu = (time.process_time() - cpu0) * 1000
            if index < 3:
                continue  # warm-up: connections, reply consumers
            undecided += not comparison.decided
            overheads.append(comparison.elapsed_ms - ideal_ms(strategy, delays))
            cpus.append(cpu)
    return {
        "median": statistics.median(overheads),
        "p95": percentile(overheads, 95),
        "cpu": statistics.median(cpus),
        "undecided": undecided,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suppliers", type=int, default=100)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--transports", default="http,amqp,nats,kafka")
    parser.add_argument("--strategies", default="all,first")
    args = parser.parse_args()
    rng = random.Random(7)
    delays = [rng.uniform(0.005, 0.050) for _ in range(args.suppliers)]
    defaults = {"timeout": 10.0, "supplier_timeout": 10.0}
    rows = []
    for kind in args.transports.split(","):
        processes: list[subprocess.Popen[bytes]] = []
        tansu = None
        try:
            if kind == "http":
                process, ports = start_fleet(delays, "lean")
                processes.append(process)
                suppliers = [
                    {"name": f"s{i}", "url": f"http://127.0.0.1:{port}/quote"}
                    for i, port in enumerate(ports)
                ]
            else:
                if kind == "kafka":
                    tansu, url = start_tansu(Path(tempfile.mkdtemp()) / "tansu.log")
                else:
                    url = AMQP_URL if kind == "amqp" else NATS_URL
                prefix = f"bench.{uuid.uuid4().hex[:8]}"
                processes.append(start_broker_suppliers(kind, url, prefix, delays))
                suppliers = [
                    {
                        "name": f"s{i}",
                        "transport": kind,
                        "broker": url,
                        PLACE[kind]: f"{prefix}.{i}",
                    }
                    for i in range(len(delays))
                ]
            config = core.parse_config({"defaults": defaults, "suppliers": suppliers})
            for strategy in args.strategies.split(","):
                result = asyncio.run(measure(config, strategy, args.runs, delays))
                rows.append((kind, strategy, result))
                print(
                    f"  {kind:<5} {strategy:<6} median {result['median']:.1f} ms  "
                    f"p95 {result['p95']:.1f} ms  cpu {result['cpu']:.1f} ms",
                    file=sys.stderr,
                )
        finally:
            for process in processes:
                process.terminate()
                process.wait()
            if tansu is not None:
                stop(tansu)
    print()
    print(
        f"| transport ({args.suppliers} suppliers) | strategy | overhead median (ms) "
        "| overhead p95 (ms) | client CPU / comparison (ms) | undecided |"
    )
    print("|---|---|---:|---:|---:|---:|")
    for kind, strategy, result in rows:
        print(
            f"| {kind} | {strategy} | {result['median']:.1f} | {result['p95']:.1f} "
            f"| {result['cpu']:.1f} | {result['undecided']:.0f} |"
        )


if __name__ == "__main__":
    main()
