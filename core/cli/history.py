"""``scatterdash history list|show|export|replay``: the recorded comparisons, headless.

The history is the SQLite database in the per-user data directory (``SCATTERDASH_DATA_DIR``
overrides it). Exit codes: 0 done (for ``replay``: the replay decided), 1 the replay is
undecided, 2 a usage error, an unknown correlation id or a history that cannot be read.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TextIO

from core._config import STRATEGIES
from core.cli._common import (
    EXIT_DECIDED,
    EXIT_OK,
    EXIT_UNDECIDED,
    EXIT_USAGE,
    OutputFailed,
    Subparsers,
    add_command,
    add_verbose,
    aligned,
    described,
    write_out,
)
from core.cli._types import iso_date, product_id, whole_number
from core.cli.compare import format_table
from core.storage import (
    HistoryDatabase,
    HistoryFilter,
    HistorySummary,
    HistoryUnavailable,
    StoredComparison,
    data_dir,
    default_database_path,
    legacy_paths,
    recorded_comparison,
    replay,
    replay_document,
    write_history_csv,
    write_history_json,
)

__all__ = ["add_parser"]

Handler = Callable[[HistoryDatabase, argparse.Namespace, TextIO], int]


def add_parser(subparsers: Subparsers) -> None:
    parser = add_command(subparsers, "history", __doc__)
    commands = parser.add_subparsers(
        dest="history_command",
        required=True,
        title="commands",
        metavar="COMMAND",
        help="what to do with the history (required)",
    )

    listing = add_command(commands, "list", summary="recorded comparisons, newest first")
    listing.add_argument(
        "--product",
        type=product_id,
        metavar="SKU",
        help=described("only comparisons for this product id", "every product"),
    )
    listing.add_argument(
        "--supplier",
        metavar="NAME",
        help=described("only comparisons this supplier was in", "every supplier"),
    )
    _add_since(listing)
    listing.add_argument(
        "--limit",
        type=whole_number(0, 1_000_000),
        default=100,
        metavar="N",
        help=described("at most this many comparisons, 0 for all", 100),
    )
    listing.add_argument("--json", action="store_true", help="print one JSON array on stdout")
    listing.set_defaults(handler=_with_history(_list))

    show = add_command(commands, "show", summary="one comparison, as compare printed it")
    _add_correlation_id(show)
    show.add_argument("--json", action="store_true", help="print the object compare --json printed")
    show.set_defaults(handler=_with_history(_show))

    export = add_command(commands, "export", summary="every recorded comparison as CSV or JSON")
    export.add_argument(
        "--format",
        required=True,
        choices=("csv", "json"),
        help="csv: one row per supplier outcome; json: one array of compare --json "
        "objects (required)",
    )
    _add_since(export)
    export.add_argument(
        "--output",
        type=Path,
        metavar="PATH",
        help=described("file to write the export to", "stdout"),
    )
    export.set_defaults(handler=_with_history(_export))

    what_if = add_command(
        commands,
        "replay",
        summary="re-decide a recorded comparison under another strategy, offline",
    )
    _add_correlation_id(what_if)
    what_if.add_argument(
        "--strategy",
        required=True,
        choices=STRATEGIES,
        help="strategy to re-decide with: all, first, majority or best (required)",
    )
    what_if.add_argument(
        "--quorum",
        type=whole_number(1),
        metavar="K",
        help=described(
            "for majority: agreeing quotes needed",
            "more than half of the suppliers the recording queried",
        ),
    )
    what_if.add_argument(
        "--min-responses",
        type=whole_number(1),
        default=1,
        metavar="M",
        help=described("for all and best: valid quotes needed to decide, at least 1", 1),
    )
    what_if.add_argument(
        "--json",
        action="store_true",
        help="print one JSON object on stdout: compare --json's, plus replayed_from",
    )
    what_if.set_defaults(handler=_with_history(_replay))

    for sub in (listing, show, export, what_if):
        add_verbose(sub)


def _add_since(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--since",
        type=iso_date,
        metavar="ISO-DATE",
        help=described(
            "only comparisons recorded from then on, e.g. 2026-11-28 or 2026-11-28T14:00 "
            "(local time unless it names a zone)",
            "all recorded",
        ),
    )


def _add_correlation_id(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "correlation_id",
        metavar="CORRELATION_ID",
        help="the comparison's correlation id, or any unique start of it (required)",
    )


def _open(path: Path) -> HistoryDatabase:
    try:
        # no pruning here: keep_days lives in a config these commands do not read
        return HistoryDatabase.open(path, keep_days=None, legacy=legacy_paths(data_dir()))
    except HistoryUnavailable as exc:
        if not path.is_file():
            raise
        try:  # these commands only read: a read-only or locked file is enough
            return HistoryDatabase.open_read_only(path)
        except HistoryUnavailable:
            raise exc from None


def _with_history(handler: Handler) -> Callable[[argparse.Namespace], int]:
    """The sub-command's handler, given the history database opened (and closed after)."""

    def run(args: argparse.Namespace, out: TextIO = sys.stdout) -> int:
        path = default_database_path()
        try:
            database = _open(path)
        except HistoryUnavailable as exc:
            print(f"scatterdash: history unavailable: {exc}", file=sys.stderr)
            return EXIT_USAGE
        try:
            return handler(database, args, out)
        except HistoryUnavailable as exc:
            print(f"scatterdash: history unavailable: {exc}", file=sys.stderr)
            return EXIT_USAGE
        except BrokenPipeError:
            raise  # the reader left: main() ends quietly
        except OSError as exc:  # the exports write as they go: a full disk, say
            raise OutputFailed(f"cannot write the output: {exc.strerror or exc}") from None
        finally:
            database.close()

    return run


def _list(database: HistoryDatabase, args: argparse.Namespace, out: TextIO) -> int:
    where = HistoryFilter(
        product=args.product,
        supplier=args.supplier,
        since=args.since,
        limit=args.limit or None,
    )
    summaries = database.comparisons(where)
    if args.json:
        write_out(out, json.dumps([s.to_dict() for s in summaries]) + "\n")
    else:
        write_out(out, _list_table(summaries))
    return EXIT_OK


def _outcome(summary: HistorySummary) -> str:
    if not summary.decided:
        return f"undecided: {summary.error or 'no decision'}"
    if summary.winner is None:
        return "decided"
    price = f" {summary.total_price:,.2f} {summary.currency or ''}" if summary.total_price else ""
    return f"{summary.winner}{price}".rstrip()


def _list_table(summaries: list[HistorySummary]) -> str:
    if not summaries:
        return "no recorded comparisons\n"
    header = ("recorded", "correlation id", "request", "strategy", "elapsed", "from", "outcome")
    rows = [header]
    for s in summaries:
        rows.append(
            (
                datetime.fromtimestamp(s.recorded_at).strftime("%Y-%m-%d %H:%M:%S"),
                s.correlation_id,
                f"{s.quantity} × {s.product_id}",
                s.strategy,
                "" if s.elapsed_ms is None else f"{s.elapsed_ms:.0f} ms",
                s.source,
                _outcome(s),
            )
        )
    return "".join(line + "\n" for line in aligned(rows))


def _find(database: HistoryDatabase, correlation_id: str) -> StoredComparison | None:
    stored = database.find(correlation_id)
    if stored is None:
        print(
            f"scatterdash: history: no comparison with correlation id {correlation_id!r} "
            f"in {database.path}",
            file=sys.stderr,
        )
    return stored


def _show(database: HistoryDatabase, args: argparse.Namespace, out: TextIO) -> int:
    stored = _find(database, args.correlation_id)
    if stored is None:
        return EXIT_USAGE
    if args.json:
        write_out(out, json.dumps(stored.document) + "\n")
        return EXIT_OK
    when = datetime.fromtimestamp(stored.summary.recorded_at).isoformat(sep=" ", timespec="seconds")
    write_out(
        out,
        f"recorded {when} (from the {stored.summary.source})\n"
        + format_table(recorded_comparison(stored)),
    )
    return EXIT_OK


def _export(database: HistoryDatabase, args: argparse.Namespace, out: TextIO) -> int:
    if args.output is None:
        _write_export(database, args, out)  # a reader that leaves early: see core.cli.main
        return EXIT_OK
    try:
        with args.output.open("w", newline="", encoding="utf-8") as file:
            _write_export(database, args, file)
    except OSError as exc:
        print(f"scatterdash: {args.output}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_USAGE
    return EXIT_OK


def _write_export(database: HistoryDatabase, args: argparse.Namespace, out: TextIO) -> None:
    if args.format == "csv":
        write_history_csv(database.outcome_rows(args.since), out)
    else:
        write_history_json(database.documents(args.since), out)


def _replay(database: HistoryDatabase, args: argparse.Namespace, out: TextIO) -> int:
    stored = _find(database, args.correlation_id)
    if stored is None:
        return EXIT_USAGE
    replayed = replay(stored, args.strategy, quorum=args.quorum, min_responses=args.min_responses)
    if args.json:
        write_out(out, json.dumps(replay_document(replayed, stored)) + "\n")
    else:
        recorded = stored.summary
        outcome = "would have decided" if replayed.decided else "would have ended undecided"
        write_out(
            out,
            f"replay of {recorded.correlation_id} (recorded as {recorded.strategy}, "
            f"{_outcome(recorded)}) under {args.strategy}: "
            f"{outcome} after {replayed.elapsed_ms:.1f} ms; no supplier was called\n"
            + format_table(replayed),
        )
    return EXIT_DECIDED if replayed.decided else EXIT_UNDECIDED
