"""The stale fallback: when a comparison is undecided, the newest good quote on record.

It is offered, never the result: ``compare --fallback`` prints it under ``fallback``
(with ``stale: true`` and its age) while ``result`` stays ``null``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from core._comparison import Comparison
from core.storage._database import HistoryDatabase
from core.storage._records import iso

__all__ = ["FallbackQuote", "find_fallback"]


@dataclass(frozen=True, slots=True)
class FallbackQuote:
    supplier: str
    quote: dict[str, Any]
    """the protocol fields, as in ``compare --json``'s quotes"""
    latency_ms: float | None
    recorded_at: float
    correlation_id: str
    """the recorded comparison it comes from"""
    age_s: float

    @property
    def age_text(self) -> str:
        """How old it is, for people: ``"45 s"``, ``"12 min"``, ``"3.5 h"``."""
        if self.age_s < 120:
            return f"{self.age_s:.0f} s"
        if self.age_s < 7200:
            return f"{self.age_s / 60:.0f} min"
        return f"{self.age_s / 3600:.1f} h"

    def to_dict(self) -> dict[str, Any]:
        return {
            "supplier": self.supplier,
            **self.quote,
            "latency_ms": self.latency_ms,
            "stale": True,
            "age_s": round(self.age_s, 1),
            "recorded_at": iso(self.recorded_at),
            "correlation_id": self.correlation_id,
        }


def find_fallback(
    database: HistoryDatabase,
    comparison: Comparison,
    *,
    max_age_s: float,
    now: float,
    currency: str | None = None,
) -> FallbackQuote | None:
    """For an undecided ``comparison``: the newest valid, in-stock, unexpired quote for the
    same product and quantity recorded within ``max_age_s`` (not from ``comparison``
    itself). ``None`` for a decided comparison or when there is none."""
    if comparison.decided:
        return None
    found = database.newest_good_quote(
        comparison.product_id,
        comparison.quantity,
        since=now - max_age_s,
        exclude=comparison.correlation_id,
        currency=currency,
        now=now,
    )
    if found is None:
        return None
    summary, outcome = found
    assert outcome.quote is not None
    return FallbackQuote(
        supplier=outcome.supplier,
        quote={"supplier_id": outcome.quote["supplier_id"], "product_id": summary.product_id}
        | {k: v for k, v in outcome.quote.items() if k != "supplier_id"},
        latency_ms=outcome.latency_ms,
        recorded_at=summary.recorded_at,
        correlation_id=summary.correlation_id,
        age_s=max(0.0, now - summary.recorded_at),
    )
