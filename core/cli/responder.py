"""``scatterdash responder``: serve one broker supplier of a config as a simulated supplier.

It answers the supplier's requests on its broker (its ``queue``, ``subject`` or
``topic``) with the demo fleet's simulation (the supplier's ``sim`` table, or defaults)
until interrupted. Run several for one supplier and they share its work. Exit codes: 0
after SIGINT/SIGTERM, 1 when the broker cannot be reached or the connection is lost, 2
for usage or config errors.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from typing import TextIO

from core._broker_config import mask_url
from core._config import load_config
from core._errors import TransportError
from core.cli._common import (
    EXIT_OK,
    Subparsers,
    add_command,
    add_verbose,
    described,
    stop_signals,
    write_out,
)
from core.cli._types import number_between
from core.fleet._broker_responder import BrokerResponder
from core.fleet._fleet import DEFAULT_SEED

__all__ = ["add_parser", "run_responder"]

EXIT_BROKER = 1


def add_parser(subparsers: Subparsers) -> None:
    parser = add_command(subparsers, "responder", __doc__)
    parser.add_argument(
        "--config",
        required=True,
        metavar="FILE",
        help="TOML config with the broker supplier to serve (required)",
    )
    parser.add_argument(
        "--name",
        required=True,
        metavar="SUPPLIER",
        help="name of the broker supplier in that config to serve (required)",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=DEFAULT_SEED,
        metavar="S",
        help=described("simulation seed, a whole number", DEFAULT_SEED),
    )
    parser.add_argument(
        "--latency-scale",
        type=number_between(0, 1000),
        default=1.0,
        metavar="X",
        help=described("multiply every drawn latency by X, 0 to 1000 (0: answer at once)", 1.0),
    )
    add_verbose(parser, "log more on stderr: -v each request, -vv for debug")
    parser.set_defaults(handler=run_responder)


async def _run(responder: BrokerResponder, out: TextIO) -> None:
    serving = asyncio.current_task()
    assert serving is not None

    def ready() -> None:
        write_out(
            out,
            f"responder ready: {responder.name} on {responder.kind} "
            f"{mask_url(responder.url)} {responder.destination}; Ctrl-C to stop\n",
        )

    with stop_signals(serving.cancel), contextlib.suppress(asyncio.CancelledError):
        await responder.serve(ready)


def run_responder(args: argparse.Namespace, out: TextIO = sys.stdout) -> int:
    config = load_config(args.config)  # ConfigError: exit 2, from core.cli.main
    responder = BrokerResponder(config, args.name, seed=args.seed, latency_scale=args.latency_scale)
    try:
        asyncio.run(_run(responder, out))
    except (TransportError, OSError) as exc:
        sys.stderr.write(f"scatterdash: responder {args.name}: {exc}\n")
        return EXIT_BROKER
    return EXIT_OK
