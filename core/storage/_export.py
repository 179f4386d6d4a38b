"""Exports: one comparison (the window's File → Export), or the whole history (the CLI).

Everything exported comes from ``Comparison.to_dict()`` or the history, which hold no
config and no headers: API keys cannot end up here.
"""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TextIO

from core._comparison import Comparison
from core._whole_file import write_whole
from core.storage._records import QUOTE_FIELDS, HistorySummary, OutcomeRecord, iso

__all__ = ["HISTORY_CSV_COLUMNS", "export_comparison", "write_history_csv", "write_history_json"]

QUOTE_COLUMNS = (
    "winner",
    "supplier",
    "supplier_id",
    "product_id",
    "unit_price",
    "total_price",
    "currency",
    "in_stock",
    "delivery_days",
    "valid_until",
    "latency_ms",
)


def _entry(comparison: Comparison) -> dict[str, Any]:
    return {
        "recorded_at": time.time(),
        "product_id": comparison.product_id,
        "quantity": comparison.quantity,
        **comparison.to_dict(),
    }


def export_comparison(comparison: Comparison, path: str | Path) -> Path:
    """Write one comparison as ``.json`` (the CLI's object) or ``.csv`` (its quotes).

    Written whole or not at all (:func:`core._whole_file.write_whole`): a failure (a full
    disk) never leaves half a file, nor destroys the one it was to replace."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".json", ".csv"):
        raise ValueError(f"{path.name}: export as .json or .csv")
    if suffix == ".json":
        text = json.dumps(_entry(comparison), indent=2) + "\n"
    else:
        rows = io.StringIO(newline="")
        _write_quotes_csv(comparison, rows)
        text = rows.getvalue()
    write_whole(path, text)
    return path


def _write_quotes_csv(comparison: Comparison, file: TextIO) -> None:
    winner = comparison.winner.supplier if comparison.winner and comparison.decided else None
    writer = csv.DictWriter(file, fieldnames=QUOTE_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    for quote in comparison.quotes:
        writer.writerow({"winner": quote.supplier == winner, **quote.to_dict()})


HISTORY_CSV_COLUMNS = (
    "correlation_id",
    "recorded_at",
    "product_id",
    "quantity",
    "strategy",
    "decided",
    "supplier",
    "status",
    "latency_ms",
    "error",
    *QUOTE_FIELDS,
)


def write_history_csv(rows: Iterable[tuple[HistorySummary, OutcomeRecord]], out: TextIO) -> int:
    """One row per supplier outcome; the quote's fields are empty without a quote."""
    writer = csv.DictWriter(out, fieldnames=HISTORY_CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    count = 0
    for summary, outcome in rows:
        quote = outcome.quote or {}
        writer.writerow(
            {
                "correlation_id": summary.correlation_id,
                "recorded_at": iso(summary.recorded_at),
                "product_id": summary.product_id,
                "quantity": summary.quantity,
                "strategy": summary.strategy,
                "decided": summary.decided,
                "supplier": outcome.supplier,
                "status": outcome.status,
                "latency_ms": "" if outcome.latency_ms is None else round(outcome.latency_ms, 3),
                "error": outcome.error or "",
                **{name: quote.get(name, "") for name in QUOTE_FIELDS},
            }
        )
        count += 1
    return count


def write_history_json(
    documents: Iterable[tuple[HistorySummary, dict[str, Any]]], out: TextIO
) -> int:
    """One JSON array: each comparison's ``compare --json`` object plus ``recorded_at``
    (ISO-8601), ``product_id`` and ``quantity``."""
    count = 0
    out.write("[")
    for summary, document in documents:
        entry = {
            "recorded_at": iso(summary.recorded_at),
            "product_id": summary.product_id,
            "quantity": summary.quantity,
            **document,
        }
        out.write(("," if count else "") + "\n" + json.dumps(entry))
        count += 1
    out.write("\n]\n")
    return count
