"""Storage: a history of finished comparisons, and exports of one comparison.

The history is JSON Lines, one ``Comparison.to_dict()`` per line plus the product,
quantity and wall-clock time, appended as comparisons finish and trimmed to the newest
``max_entries``. Everything stored or exported comes from ``to_dict()``, which holds no
config and no headers: API keys cannot end up here. File I/O runs in a worker thread, so
recording never blocks the event loop the GUI draws on.
"""

from __future__ import annotations

import asyncio
import csv
import json
import logging
import os
import time
from pathlib import Path
from typing import Any

from core._comparison import Comparison

__all__ = ["ComparisonHistory", "export_comparison"]

log = logging.getLogger("scatterdash.history")

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


def _entry(comparison: Comparison, recorded_at: float | None = None) -> dict[str, Any]:
    return {
        "recorded_at": time.time() if recorded_at is None else recorded_at,
        "product_id": comparison.product_id,
        "quantity": comparison.quantity,
        **comparison.to_dict(),
    }


class ComparisonHistory:
    def __init__(self, path: str | Path, *, max_entries: int = 1000) -> None:
        self.path = Path(path)
        self.max_entries = max_entries
        self._lock = asyncio.Lock()
        self._lines: int | None = None

    async def record(self, comparison: Comparison, *, recorded_at: float | None = None) -> None:
        entry = _entry(comparison, recorded_at)
        line = json.dumps(entry, separators=(",", ":")) + "\n"
        async with self._lock:  # appends and trims never interleave
            await asyncio.to_thread(self._append, line)

    def _append(self, line: str) -> None:
        if self._lines is None:  # counted once; afterwards appends never read the file
            self.path.parent.mkdir(parents=True, exist_ok=True)
            try:
                with self.path.open("rb") as file:
                    self._lines = sum(1 for _ in file)
            except FileNotFoundError:
                self._lines = 0
        with self.path.open("a", encoding="utf-8") as file:
            file.write(line)
        self._lines += 1
        if self._lines > self.max_entries * 1.1:  # trim in batches, not on every append
            lines = self.path.read_text(encoding="utf-8").splitlines(keepends=True)
            kept = lines[-self.max_entries :]
            self._replace("".join(kept))
            self._lines = len(kept)

    def _replace(self, text: str) -> None:
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, self.path)

    async def load(self, limit: int | None = None) -> list[dict[str, Any]]:
        """The newest entries last; a damaged line is skipped (and logged), never fatal."""
        return await asyncio.to_thread(self._load, limit)

    def _load(self, limit: int | None) -> list[dict[str, Any]]:
        try:
            lines = self.path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return []
        entries = []
        for number, line in enumerate(lines, start=1):
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                log.warning("%s:%d: skipping a damaged history line", self.path, number)
                continue
            if isinstance(entry, dict):
                entries.append(entry)
        return entries[-limit:] if limit else entries


def export_comparison(comparison: Comparison, path: str | Path) -> Path:
    """Write one comparison as ``.json`` (the CLI's object) or ``.csv`` (its quotes)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".json":
        path.write_text(json.dumps(_entry(comparison), indent=2) + "\n", encoding="utf-8")
    elif suffix == ".csv":
        winner = comparison.winner.supplier if comparison.winner and comparison.decided else None
        with path.open("w", newline="", encoding="utf-8") as file:
            writer = csv.DictWriter(file, fieldnames=QUOTE_COLUMNS, extrasaction="ignore")
            writer.writeheader()
            for quote in comparison.quotes:
                writer.writerow({"winner": quote.supplier == winner, **quote.to_dict()})
    else:
        raise ValueError(f"{path.name}: export as .json or .csv")
    return path
