"""Benchmark: decision overhead and client CPU per comparison, per transport.

    python tests/bench/bench_brokers.py [--suppliers 100] [--runs 30] [--transports http,amqp,nats,kafka]

bench_core.py's method, through its own functions: suppliers in their own process pinned
to one core, the client on the other; each supplier draws its delay anew for every
request from the correlation id (bench_suppliers.request_delay, so HTTP and broker
suppliers delay the same request alike); comparisons back to back; overhead = decision
latency − that comparison's ideal (the slowest delay for ``all``, the fastest for
``first``); CPU = the client process's whole CPU over the run / comparisons (brokers and
suppliers not counted). HTTP suppliers are bench_suppliers.py's lean ones; broker
suppliers are bench_broker_suppliers.py, one connection per broker serving every
supplier's queue/subject/topic: RabbitMQ and NATS on 127.0.0.1 (as the tests use them,
not pinned), Kafka a Tansu broker started here (on the suppliers' core).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

# run as a script: the repo root on the path, for tests.support
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench_core import (
    DEADLINE_S,
    Pinning,
    fleet_config,
    print_table,
    report,
    run_scatterdash,
    start_fleet,
)
from bench_suppliers import supplier_medians

import core
from tests.support.tansu import start_tansu, stop

HERE = Path(__file__).parent
AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/"
NATS_URL = "nats://127.0.0.1:4222"
PLACE = {"amqp": "queue", "nats": "subject", "kafka": "topic"}


def start_broker_suppliers(
    kind: str, url: str, prefix: str, medians: list[float], pinning: Pinning
) -> subprocess.Popen[bytes]:
    ready = Path(tempfile.mkdtemp()) / "ready"
    command = [
        sys.executable,
        str(HERE / "bench_broker_suppliers.py"),
        kind,
        url,
        prefix,
        json.dumps(medians),
        str(ready),
    ]
    process = subprocess.Popen(command, preexec_fn=pinning.suppliers())
    deadline = time.monotonic() + 120
    while not ready.exists():
        if time.monotonic() > deadline or process.poll() is not None:
            process.kill()
            raise RuntimeError(f"the {kind} bench suppliers did not start")
        time.sleep(0.05)
    return process


def broker_config(kind: str, url: str, prefix: str, size: int) -> core.Config:
    return core.parse_config(
        {
            "defaults": {"timeout": DEADLINE_S, "supplier_timeout": DEADLINE_S},
            "suppliers": [
                {"name": f"s{i}", "transport": kind, "broker": url, PLACE[kind]: f"{prefix}.{i}"}
                for i in range(size)
            ],
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suppliers", type=int, default=100)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--transports", default="http,amqp,nats,kafka")
    parser.add_argument("--strategies", default="all,first")
    parser.add_argument("--no-pin", action="store_true", help="let the OS place the processes")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    pinning = Pinning(not args.no_pin)
    if pinning.enabled:
        os.sched_setaffinity(0, pinning.client_cores)
    size = args.suppliers
    medians = supplier_medians(size, args.seed + size)  # the same as bench_core's at this size
    load = [f"{os.getloadavg()[0]:.2f}"]
    rows = []
    for kind in args.transports.split(","):
        processes: list[subprocess.Popen[bytes]] = []
        tansu = None
        try:
            if kind == "http":
                process, ports = start_fleet(medians, "lean", pinning)
                processes.append(process)
                config = fleet_config(ports)
            else:
                if kind == "kafka":
                    tansu, url = start_tansu(Path(tempfile.mkdtemp()) / "tansu.log")
                    if pinning.enabled:
                        os.sched_setaffinity(tansu.pid, pinning.supplier_cores)
                else:
                    url = AMQP_URL if kind == "amqp" else NATS_URL
                prefix = f"bench.{uuid.uuid4().hex[:8]}"
                processes.append(start_broker_suppliers(kind, url, prefix, medians, pinning))
                config = broker_config(kind, url, prefix, size)
            # warm the suppliers (and the broker's queues/subjects/topics) before measuring
            asyncio.run(run_scatterdash(config, "all", 5, medians, 0.0))
            for strategy in args.strategies.split(","):
                run = asyncio.run(run_scatterdash(config, strategy, args.runs, medians, 0.0))
                rows.append(report(size, kind, strategy, run))
        finally:
            for process in processes:
                process.terminate()
                process.wait()
            if tansu is not None:
                stop(tansu)
        load.append(f"{os.getloadavg()[0]:.2f}")
    print()
    print(
        "back to back, delays drawn per request, "
        f"{'pinned: suppliers 1 core, client the other' if pinning.enabled else 'not pinned'}; "
        f"load average (1 min) before/after each transport: {' -> '.join(load)}"
    )
    print()
    print_table(rows, column="transport")


if __name__ == "__main__":
    main()
