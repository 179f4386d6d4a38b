"""``scatterdash fleet``: run simulated suppliers in the foreground until interrupted.

Of a ``--profile`` config it runs the HTTP suppliers; broker suppliers are served by
``scatterdash responder`` (a note on stderr names each). Without ``--profile`` or
``--suppliers`` it runs the demo profile (resources/demo.toml)
on that file's ports, 9101–9112, so ``scatterdash compare --config resources/demo.toml``
works against it. Exit codes: 0 after SIGINT/SIGTERM, 1 when a port cannot be bound,
2 for usage or config errors.
"""

from __future__ import annotations

import argparse
import asyncio
import shlex
import sys
from pathlib import Path
from typing import TextIO

from core._config import load_config
from core._file_limit import lift_file_limit
from core._resources import resource
from core._whole_file import write_whole
from core.cli._common import (
    EXIT_OK,
    Subparsers,
    add_command,
    add_verbose,
    described,
    stop_signals,
    write_out,
)
from core.cli._types import number_between, whole_number
from core.fleet._build import DEMO_PROFILE, fleet_from_profile, generated_fleet
from core.fleet._fleet import DEFAULT_SEED, Fleet
from core.fleet._toml import dump_config

__all__ = ["add_parser", "run_fleet", "write_config"]

EXIT_PORT = 1
MAX_SUPPLIERS = 5000


def add_parser(subparsers: Subparsers) -> None:
    parser = add_command(subparsers, "fleet", __doc__)
    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        "--profile",
        metavar="FILE",
        help=described(
            "config whose suppliers (and their sim tables) to run, on the ports of their "
            "URLs (port 0: any free port)",
            "the demo profile, resources/demo.toml",
        ),
    )
    source.add_argument(
        "--suppliers",
        type=whole_number(1, MAX_SUPPLIERS),
        metavar="N",
        help=described(
            "run N generated suppliers on free ports (at most a fifth misbehave), "
            f"1 to {MAX_SUPPLIERS}",
            "the demo profile's 12",
        ),
    )
    parser.add_argument(
        "--seed",
        type=int,
        metavar="S",
        help=described("simulation seed, a whole number", DEFAULT_SEED),
    )
    parser.add_argument(
        "--write-config",
        metavar="PATH",
        help=described(
            "write a client config for the running fleet here once every supplier listens",
            "none is written",
        ),
    )
    parser.add_argument(
        "--control-port",
        type=whole_number(0, 65535),
        default=0,
        metavar="PORT",
        help=described("TCP port of the loopback control endpoint, 0 to 65535", "0: any free port"),
    )
    parser.add_argument(
        "--latency-scale",
        type=number_between(0, 1000),
        default=1.0,
        metavar="X",
        help=described("multiply every drawn latency by X, 0 to 1000 (0: answer at once)", 1.0),
    )
    add_verbose(parser)
    parser.set_defaults(handler=run_fleet)


def _build(args: argparse.Namespace) -> Fleet:
    seed = DEFAULT_SEED if args.seed is None else args.seed
    if args.suppliers is not None:
        return generated_fleet(
            args.suppliers,
            seed,
            latency_scale=args.latency_scale,
            control_port=args.control_port,
        )
    path = args.profile or resource(DEMO_PROFILE)
    fleet = fleet_from_profile(
        path, seed, latency_scale=args.latency_scale, control_port=args.control_port
    )
    for supplier in load_config(path).suppliers:
        if supplier.transport != "http":
            sys.stderr.write(
                f"scatterdash: fleet: {supplier.name} ({supplier.transport}) is not run here: "
                f"broker suppliers are served by `scatterdash responder --config "
                f"{shlex.quote(str(path))} --name {shlex.quote(supplier.name)}`\n"
            )
    return fleet


def write_config(fleet: Fleet, path: str | Path, header: str = "") -> None:
    """Write the fleet's client config atomically: a reader never sees half a file.

    The file is created readable by its owner only (``mkstemp``): a profile's broker URL
    may carry credentials, and the written config holds it as the profile did.
    """
    write_whole(path, dump_config(fleet.config, header), private=True)


def _header(fleet: Fleet) -> str:
    header = (
        f"client config for a running `scatterdash fleet` (seed {fleet.seed});\n"
        f"run it again with `scatterdash fleet --profile THIS_FILE --seed {fleet.seed}`"
    )
    if any(s.transport != "http" for s in fleet.config.suppliers):
        header += (
            ";\nits broker suppliers are served by "
            "`scatterdash responder --config THIS_FILE --name NAME`"
        )
    return header


async def _run(fleet: Fleet, args: argparse.Namespace, out: TextIO) -> None:
    stop = asyncio.Event()
    with stop_signals(stop.set):
        async with fleet:
            width = max(len(s.name) for s in fleet.suppliers)
            lines = []
            for supplier in fleet.suppliers:
                note = f"  ({', '.join(supplier.faults.active)})" if supplier.faults.active else ""
                lines.append(f"{supplier.name:<{width}}  {supplier.url}{note}")
            lines.append(f"{'control':<{width}}  {fleet.control_url}/suppliers")
            if args.write_config:
                write_config(fleet, args.write_config, _header(fleet))
                lines.append(f"wrote the client config to {args.write_config}")
            lines.append(
                f"fleet ready: {len(fleet.suppliers)} suppliers on 127.0.0.1 "
                f"(seed {fleet.seed}); Ctrl-C to stop"
            )
            write_out(out, "\n".join(lines) + "\n")  # a reader that left: serve on, quietly
            await stop.wait()


def run_fleet(args: argparse.Namespace, out: TextIO = sys.stdout) -> int:
    if args.write_config:  # said now, not once the fleet runs (and as a usage error)
        target = Path(args.write_config)
        if target.is_dir():
            raise ValueError(f"--write-config: {target} is a directory")
        if not target.parent.is_dir():
            raise ValueError(f"--write-config: no directory {target.parent}")
    fleet = _build(args)  # ConfigError and ValueError: exit 2, from core.cli.main
    lift_file_limit(len(fleet.suppliers))  # a listening socket and connections each
    try:
        asyncio.run(_run(fleet, args, out))
    except OSError as exc:
        sys.stderr.write(f"scatterdash: cannot run the fleet: {exc}\n")
        return EXIT_PORT
    return EXIT_OK
