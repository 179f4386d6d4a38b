"""``scatterdash compare``: one price comparison, headless.

Exit codes: 0 decided, 1 undecided, 2 usage or config error (one line on stderr).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import TextIO

from core._comparator import MAX_QUANTITY, PriceComparator
from core._comparison import Comparison, PricedQuote
from core._config import STRATEGIES, Config, load_config
from core._file_limit import lift_file_limit
from core.cli._common import (
    EXIT_DECIDED,
    EXIT_UNDECIDED,
    Subparsers,
    UsageError,
    add_command,
    add_verbose,
    aligned,
    described,
    write_out,
)
from core.cli._progress import LiveProgress
from core.cli._recording import CliHistory, add_fallback_argument
from core.cli._report import report_suppliers
from core.cli._types import product_id, seconds, whole_number

__all__ = ["add_parser", "check_reachable", "format_table", "run_compare"]


def add_parser(subparsers: Subparsers) -> None:
    parser = add_command(subparsers, "compare", __doc__)
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--config",
        metavar="FILE",
        help="TOML config with the suppliers, see resources/example.toml "
        "(required: this or --demo)",
    )
    source.add_argument(
        "--demo",
        action="store_true",
        help="compare against the embedded demo fleet instead of a config",
    )
    parser.add_argument(
        "--product",
        required=True,
        type=product_id,
        metavar="SKU",
        help="product id to ask every supplier for, 1 to 200 characters (required)",
    )
    parser.add_argument(
        "--quantity",
        required=True,
        type=whole_number(1, MAX_QUANTITY),
        metavar="N",
        help=f"units wanted, a whole number, 1 to {MAX_QUANTITY:,} (required)",
    )
    parser.add_argument(
        "--strategy",
        choices=STRATEGIES,
        help=described(
            "how replies are aggregated: all, first, majority or best", "defaults.strategy, best"
        ),
    )
    parser.add_argument(
        "--quorum",
        type=whole_number(1),
        metavar="K",
        help=described(
            "for majority: agreeing quotes needed, at most the suppliers configured",
            "defaults.quorum, else more than half of the suppliers queried",
        ),
    )
    parser.add_argument(
        "--min-responses",
        type=whole_number(1),
        metavar="M",
        help=described(
            "for all and best: valid quotes needed to decide, at least 1 and at most the "
            "suppliers configured",
            "defaults.min_responses, 1",
        ),
    )
    parser.add_argument(
        "--timeout",
        type=seconds,
        metavar="SECONDS",
        help=described("deadline for the whole comparison, in seconds", "defaults.timeout, 5.0"),
    )
    parser.add_argument(
        "--json", action="store_true", help="print exactly one JSON object on stdout"
    )
    add_verbose(
        parser, "on stderr: -v what each supplier did, -vv adds connection detail and debug logs"
    )
    add_fallback_argument(parser)
    parser.set_defaults(handler=run_compare)


def check_reachable(config: Config, args: argparse.Namespace) -> None:
    """A quorum or minimum no comparison on this config can meet: a usage error, at once."""
    count = len(config.suppliers)
    for flag, given, key, configured in (
        ("--quorum", args.quorum, "defaults.quorum", config.defaults.quorum),
        (
            "--min-responses",
            args.min_responses,
            "defaults.min_responses",
            config.defaults.min_responses,
        ),
    ):
        value, name = (given, flag) if given is not None else (configured, key)
        if value is not None and value > count:
            raise UsageError(
                f"{name} {value}: more than the {count} supplier{'s' if count != 1 else ''} "
                "configured, so it can never be met"
            )


async def _compare(config: Config, args: argparse.Namespace, history: CliHistory) -> Comparison:
    check_reachable(config, args)
    strategy = args.strategy or config.defaults.strategy
    if args.quorum is not None and strategy != "majority":  # said, and the rest goes on
        sys.stderr.write(
            f"scatterdash: --quorum is ignored: only majority reads it, not {strategy}\n"
        )
    async with PriceComparator(config) as comparator, history.recording(comparator):
        with LiveProgress(comparator.events, sys.stderr) as progress:
            comparison = await comparator.compare(
                args.product,
                args.quantity,
                strategy=args.strategy,
                quorum=args.quorum,
                min_responses=args.min_responses,
                timeout=args.timeout,
            )
    if args.verbose:
        report_suppliers(
            comparison,
            config,
            sys.stderr,
            detail=args.verbose > 1,
            sent_at_ms=progress.sent_at_ms,
        )
    return comparison


async def _compare_demo(args: argparse.Namespace, history: CliHistory) -> Comparison:
    from core.fleet import embedded_demo_fleet  # the simulation is only loaded when asked for

    async with embedded_demo_fleet() as fleet:
        return await _compare(fleet.config, args, history)


def run_compare(args: argparse.Namespace, out: TextIO = sys.stdout) -> int:
    history = CliHistory(args.fallback)
    if args.demo:
        comparison = asyncio.run(_compare_demo(args, history))
    else:
        config = load_config(args.config)
        check_reachable(config, args)  # before any connection is made
        lift_file_limit(len(config.suppliers))
        comparison = asyncio.run(_compare(config, args, history))
    if args.json:
        write_out(out, json.dumps(history.document(comparison)) + "\n")
    else:
        write_out(out, format_table(comparison) + history.fallback_text())
    return EXIT_DECIDED if comparison.decided else EXIT_UNDECIDED


def _money(quote: PricedQuote | None) -> str:
    if quote is None:
        return "—"
    q = quote.quote
    return f"{quote.supplier}: {q.total_price:,.2f} {q.currency} ({q.delivery_days} d)"


def format_table(comparison: Comparison) -> str:
    by_supplier = {q.supplier: q for q in comparison.quotes}
    winner = comparison.winner.supplier if comparison.winner and comparison.decided else None
    lines = [
        f"{comparison.strategy} for {comparison.quantity} × {comparison.product_id}: "
        + ("decided" if comparison.decided else f"UNDECIDED: {comparison.error}")
        + (" (partial: the deadline cut some suppliers off)" if comparison.partial else ""),
        f"winner:           {_money(comparison.winner) if comparison.decided else '—'}",
        f"cheapest:         {_money(comparison.cheapest)}",
        f"fastest delivery: {_money(comparison.fastest_delivery)}",
        f"elapsed:          {comparison.elapsed_ms:.1f} ms",
        f"correlation id:   {comparison.correlation_id}",
        "",
    ]
    header = ("", "supplier", "status", "latency", "total", "unit", "stock", "days", "note")
    rows = [header]
    for result in comparison.suppliers:
        quote = by_supplier.get(result.name)
        q = quote.quote if quote else None
        rows.append(
            (
                "*" if result.name == winner else "",
                result.name,
                result.status.value,
                "" if result.latency_ms is None else f"{result.latency_ms:.1f} ms",
                f"{q.total_price:,.2f} {q.currency}" if q else "",
                f"{q.unit_price:,.2f}" if q else "",
                ("in stock" if q.in_stock else "out") if q else "",
                str(q.delivery_days) if q else "",
                result.error or "",
            )
        )
    return "\n".join(lines + aligned(rows)) + "\n"
