"""Benchmark: does health probing add lag to the window? Probing off, then on.

    python tests/bench/bench_probing.py [--suppliers 200] [--seconds 30] [--every 0.5]
                                        [--intervals 0,5,1]

The same load as ``bench_gui.py`` (a ``scatterdash fleet --suppliers N`` process, the
window shown offscreen at 1440×900, a comparison every ``--every`` seconds for
``--seconds``, the event-loop lag sampled every 10 ms), run once per probe interval:
``0`` is probing off, the others probe every supplier that often (the default is 5 s),
with the Health view on screen so that its chart and the trend column are redrawn too.
Target: probing on adds nothing visible to the lag p99 (≤ 20 ms, as for the window). The
window process's CPU per wall second tells what the probes cost on a machine too busy for
the lag figures to say it.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")

from bench_gui import FleetProcess, load_phase, percentile
from PySide6.QtWidgets import QApplication

import core
from gui.loop import GuiEventLoop
from gui.main_window import MainWindow


def _with_interval(config: core.Config, interval: float) -> core.Config:
    if interval <= 0:
        return config
    health = config.health.model_copy(update={"interval": interval})
    return config.model_copy(update={"health": health})


async def one_run(fleet: FleetProcess, interval: float, args: argparse.Namespace) -> dict[str, Any]:
    config = _with_interval(fleet.config, interval)
    window = MainWindow(config, remember_layout=False, probing=interval > 0)
    window.resize(1440, 900)
    window.show()
    window.docks["healthDock"].raise_()
    await asyncio.sleep(0.5)
    probes: list[core.ProbeCompleted] = []
    window.session.subscribe(
        lambda event: probes.append(event) if isinstance(event, core.ProbeCompleted) else None
    )
    try:
        window.health_view.redraw_ms.clear()
        window.health_watch.tick_ms.clear()
        cpu0, wall0 = time.process_time(), time.perf_counter()
        load = await load_phase(window, args.seconds, args.every)
        load["cpu"] = (time.process_time() - cpu0) / (time.perf_counter() - wall0)
    finally:
        window.close()
        await window.aclose()
    redraws = list(window.health_view.redraw_ms)
    ticks = list(window.health_watch.tick_ms)
    load["probes_sent"] = len(probes)
    load["view_redraw_median"] = statistics.median(redraws) if redraws else float("nan")
    load["view_redraw_p99"] = percentile(redraws, 99)
    load["tick_median"] = statistics.median(ticks) if ticks else float("nan")
    load["tick_p99"] = percentile(ticks, 99)
    return load


async def all_runs(fleet: FleetProcess, args: argparse.Namespace) -> list[dict[str, Any]]:
    results = []
    for interval in args.intervals:
        label = "off" if interval <= 0 else f"every {interval:g} s"
        print(f"probing {label}: a comparison every {args.every} s…", file=sys.stderr)
        # a new window each time: a new session, fresh breakers
        results.append({"interval": interval, **await one_run(fleet, interval, args)})
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suppliers", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--every", type=float, default=0.5)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--intervals",
        type=lambda text: [float(part) for part in text.split(",")],
        default=[0.0, 5.0, 1.0],
        help="probe intervals in seconds, 0 = probing off (default 0,5,1)",
    )
    args = parser.parse_args()
    fleet = FleetProcess(args.suppliers, args.seed)
    try:
        app = QApplication.instance() or QApplication(sys.argv[:1])
        app.setQuitOnLastWindowClosed(False)
        with asyncio.Runner(loop_factory=lambda: GuiEventLoop(app)) as runner:
            results = runner.run(all_runs(fleet, args))
    finally:
        fleet.stop()

    print()
    print(
        f"Probing and the window: {args.suppliers} loopback suppliers, a comparison every "
        f"{args.every} s for {args.seconds:g} s, Health view on screen"
    )
    print()
    print(
        "| probing | probes | comparisons | window CPU (s/s) | lag p50 | lag p99 | lag max "
        "| fps | health view redraw median / p99 | health tick median / p99 |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        label = "off" if r["interval"] <= 0 else f"every {r['interval']:g} s"
        print(
            f"| {label} | {r['probes_sent']} | {r['finished']}/{r['started']} | {r['cpu']:.2f} "
            f"| {r['lag_p50']:.1f} ms | {r['lag_p99']:.1f} ms | {r['lag_max']:.1f} ms "
            f"| {r['fps']:.0f} | {r['view_redraw_median']:.2f} / {r['view_redraw_p99']:.2f} ms "
            f"| {r['tick_median']:.2f} / {r['tick_p99']:.2f} ms |"
        )


if __name__ == "__main__":
    # the window records its comparisons: into a throwaway directory, never the user's history
    os.environ.setdefault("SCATTERDASH_DATA_DIR", tempfile.mkdtemp(prefix="scatterdash-bench-"))
    main()
