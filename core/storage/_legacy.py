"""The one-time import of ``history.jsonl``, the JSON Lines history of earlier versions.

Each line was ``Comparison.to_dict()`` plus ``recorded_at``, ``product_id`` and
``quantity``. Arrival order was not recorded then: the latency stands in for it, which
is what a replay of an imported comparison goes by.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from core._results import Status
from core.storage._records import QUOTE_FIELDS, ComparisonRecord, OutcomeRecord

__all__ = ["legacy_record", "read_legacy"]


def read_legacy(source: Path) -> tuple[list[ComparisonRecord], int]:
    """The usable comparisons of ``source`` and how many non-empty lines were not
    (``OSError`` if it cannot be read)."""
    records, skipped = [], 0
    for line in source.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            entry = None
        record = legacy_record(entry) if isinstance(entry, dict) else None
        if record is None:
            skipped += bool(line.strip())
        else:
            records.append(record)
    return records, skipped


def legacy_record(entry: Mapping[str, Any]) -> ComparisonRecord | None:
    """One line of an old ``history.jsonl`` (``None`` if it cannot be used)."""
    recorded_at = _number(entry.get("recorded_at"))
    correlation_id = entry.get("correlation_id")
    product_id = entry.get("product_id")
    quantity = entry.get("quantity")
    suppliers = entry.get("suppliers")
    if (
        recorded_at is None
        or not isinstance(correlation_id, str)
        or not correlation_id
        or not isinstance(product_id, str)
        or type(quantity) is not int
    ):
        return None
    quotes = {
        q["supplier"]: q
        for q in entry.get("quotes") or ()
        if isinstance(q, Mapping) and isinstance(q.get("supplier"), str)
    }
    listed = suppliers if isinstance(suppliers, list) else []
    rows = [s for s in listed if isinstance(s, Mapping)]
    by_latency = sorted(range(len(rows)), key=lambda i: _number(rows[i].get("latency_ms")) or 0)
    order = {index: n for n, index in enumerate(by_latency)}
    outcomes = []
    for position, row in enumerate(rows):
        name, status = row.get("name"), row.get("status")
        if not isinstance(name, str) or not isinstance(status, str):
            return None
        if status not in Status._value2member_map_:
            return None
        latency = _number(row.get("latency_ms"))
        quote = quotes.get(name) if status == Status.OK else None
        outcomes.append(
            OutcomeRecord(
                position=position,
                supplier=name,
                status=status,
                latency_ms=latency,
                arrival_ms=latency,
                arrival_order=order[position],
                error=row.get("error") if isinstance(row.get("error"), str) else None,
                quote={k: quote.get(k) for k in QUOTE_FIELDS} if quote else None,
            )
        )
    decided = entry.get("decided") is True
    result = entry.get("result")
    chosen = result if isinstance(result, Mapping) else entry.get("cheapest")
    chosen = chosen if decided and isinstance(chosen, Mapping) else {}
    document = {
        k: v for k, v in entry.items() if k not in ("recorded_at", "product_id", "quantity")
    }
    strategy = entry.get("strategy")
    return ComparisonRecord(
        correlation_id=correlation_id,
        recorded_at=recorded_at,
        product_id=product_id,
        quantity=quantity,
        strategy=strategy if isinstance(strategy, str) else "?",
        decided=decided,
        partial=entry.get("partial") is True,
        error=entry.get("error") if isinstance(entry.get("error"), str) else None,
        winner=chosen.get("supplier") if isinstance(chosen.get("supplier"), str) else None,
        total_price=_number(chosen.get("total_price")),
        currency=chosen.get("currency") if isinstance(chosen.get("currency"), str) else None,
        elapsed_ms=_number(entry.get("elapsed_ms")),
        deadline_s=None,
        source="import",
        document=document,
        outcomes=tuple(outcomes),
    )


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None
