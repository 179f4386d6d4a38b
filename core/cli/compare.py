"""``scatterdash compare``: one price comparison, headless.

Exit codes: 0 decided, 1 undecided, 2 usage or config error (one line on stderr).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import TextIO

from core._comparator import PriceComparator
from core._comparison import Comparison, PricedQuote
from core._config import STRATEGIES, Config, load_config
from core.cli._common import EXIT_DECIDED, EXIT_UNDECIDED, add_verbose
from core.cli._recording import CliHistory, add_fallback_argument
from core.cli._types import product_id, seconds, whole_number

__all__ = ["add_compare_parser", "format_table", "run_compare"]


def add_compare_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "compare", help="run one price comparison headless and print the outcome"
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--config", metavar="FILE", help="TOML config with the suppliers")
    source.add_argument(
        "--demo", action="store_true", help="compare against the embedded demo fleet"
    )
    parser.add_argument("--product", required=True, type=product_id, metavar="SKU")
    parser.add_argument("--quantity", required=True, type=whole_number(1), metavar="N")
    parser.add_argument("--strategy", choices=STRATEGIES)
    parser.add_argument("--quorum", type=whole_number(1), metavar="K")
    parser.add_argument("--min-responses", type=whole_number(0), metavar="M")
    parser.add_argument("--timeout", type=seconds, metavar="SECONDS")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    add_fallback_argument(parser)
    add_verbose(parser)
    parser.set_defaults(handler=run_compare)


async def _compare(config: Config, args: argparse.Namespace, history: CliHistory) -> Comparison:
    async with PriceComparator(config) as comparator, history.recording(comparator):
        return await comparator.compare(
            args.product,
            args.quantity,
            strategy=args.strategy,
            quorum=args.quorum,
            min_responses=args.min_responses,
            timeout=args.timeout,
        )


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
        comparison = asyncio.run(_compare(config, args, history))
    if args.json:
        out.write(json.dumps(history.document(comparison)) + "\n")
    else:
        out.write(format_table(comparison) + history.fallback_text())
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
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    for row in rows:
        lines.append(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )
    return "\n".join(lines) + "\n"
