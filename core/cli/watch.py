"""``scatterdash watch``: probe every supplier and print each probe and breaker transition.

Runs until interrupted (Ctrl-C, SIGTERM) or for ``--duration`` seconds, then exits 0.
With ``--json``, one object per line: ``ts`` (ISO-8601 with the time zone), ``supplier``,
``event`` (``probe`` or ``breaker``), ``state`` (the breaker's state after the event),
``latency_ms`` and ``error``; probes add ``status``, transitions ``previous`` and ``reason``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
from datetime import datetime
from typing import Any, TextIO

from core._comparator import PriceComparator
from core._config import Config, HealthSettings, load_config
from core._events import BreakerTransition, Event, ProbeCompleted
from core._file_limit import lift_file_limit
from core.cli._common import (
    EXIT_OK,
    OutputFailed,
    Subparsers,
    add_command,
    add_verbose,
    described,
    stop_signals,
    write_out,
)
from core.cli._recording import CliHistory
from core.cli._types import number_between, seconds

__all__ = ["add_parser", "describe_event", "run_watch"]


def add_parser(subparsers: Subparsers) -> None:
    parser = add_command(subparsers, "watch", __doc__)
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--config",
        metavar="FILE",
        help="TOML config with the suppliers to probe (required: this or --demo)",
    )
    source.add_argument(
        "--demo", action="store_true", help="watch the embedded demo fleet instead of a config"
    )
    parser.add_argument(
        "--interval",
        type=number_between(0.05, 3600),
        metavar="S",
        help=described(
            "time between two probes of one supplier, in seconds, 0.05 to 3600",
            "the config's [health] interval, 5",
        ),
    )
    parser.add_argument(
        "--duration",
        type=seconds,
        metavar="S",
        help=described("stop after this long, in seconds", "run until interrupted"),
    )
    parser.add_argument(
        "--json", action="store_true", help="print one JSON object per line on stdout"
    )
    add_verbose(parser)
    parser.set_defaults(handler=run_watch)


def _timestamp(at: float) -> str:
    return datetime.fromtimestamp(at).astimezone().isoformat(timespec="milliseconds")


def describe_event(event: Event) -> dict[str, Any] | None:
    """The JSON object for a probe or a breaker transition (``None`` for other events)."""
    if isinstance(event, ProbeCompleted):
        return {
            "ts": _timestamp(event.at),
            "supplier": event.supplier,
            "event": "probe",
            "state": event.state,
            "status": event.status,
            "latency_ms": None if event.latency_ms is None else round(event.latency_ms, 3),
            "error": event.error,
        }
    if isinstance(event, BreakerTransition):
        return {
            "ts": _timestamp(event.at),
            "supplier": event.supplier,
            "event": "breaker",
            "state": event.new,
            "previous": event.old,
            "reason": event.reason,
            "latency_ms": None,
            "error": None,
        }
    return None


def _line(entry: dict[str, Any]) -> str:
    if entry["event"] == "probe":
        latency = "" if entry["latency_ms"] is None else f"{entry['latency_ms']:.1f} ms"
        what = f"probe {entry['status']:<7} {latency:>10}  breaker {entry['state']}"
        if entry["error"]:
            what += f"  ({entry['error']})"
    else:
        what = f"breaker {entry['previous']} → {entry['state']}  ({entry['reason']})"
    return f"{entry['ts']}  {entry['supplier']}  {what}"


def _with_interval(config: Config, interval: float | None) -> Config:
    if interval is None:
        return config
    health = HealthSettings.model_validate({**config.health.model_dump(), "interval": interval})
    return config.model_copy(update={"health": health})


async def _watch(config: Config, args: argparse.Namespace, out: TextIO) -> None:
    stop = asyncio.Event()
    failed: list[OutputFailed] = []

    def show(event: Event) -> None:
        entry = describe_event(event)
        if entry is None or stop.is_set():
            return
        try:
            written = write_out(out, (json.dumps(entry) if args.json else _line(entry)) + "\n")
        except OutputFailed as exc:  # raised here, the emitter would log it and go on
            failed.append(exc)
            written = False
        if not written:
            stop.set()  # the reader went away (`watch | head`): stop watching, quietly

    with stop_signals(stop.set):
        async with (
            PriceComparator(_with_interval(config, args.interval)) as comparator,
            CliHistory(want_fallback=False).recording(comparator),  # probes and transitions
        ):
            comparator.events.subscribe(show)
            comparator.start_health_monitor()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(args.duration):
                    await stop.wait()
    if failed:
        raise failed[0]


async def _watch_demo(args: argparse.Namespace, out: TextIO) -> None:
    from core.fleet import embedded_demo_fleet  # the simulation is only loaded when asked for

    async with embedded_demo_fleet() as fleet:
        await _watch(fleet.config, args, out)


def run_watch(args: argparse.Namespace, out: TextIO = sys.stdout) -> int:
    if args.demo:
        asyncio.run(_watch_demo(args, out))
    else:
        config = load_config(args.config)
        lift_file_limit(len(config.suppliers))
        asyncio.run(_watch(config, args, out))
    return EXIT_OK
