"""What the history stores and gives back, as plain typed values."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from core._comparison import Comparison
from core._results import Status

__all__ = [
    "QUOTE_FIELDS",
    "ComparisonRecord",
    "HistoryFilter",
    "HistorySummary",
    "OutcomeRecord",
    "StoredComparison",
    "iso",
]

#: a quote's protocol fields other than ``product_id`` (the comparison's)
QUOTE_FIELDS = (
    "supplier_id",
    "unit_price",
    "total_price",
    "currency",
    "valid_until",
    "in_stock",
    "delivery_days",
)


def iso(timestamp: float) -> str:
    """Wall-clock seconds as an ISO-8601 UTC time, to the millisecond."""
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="milliseconds")


@dataclass(frozen=True, slots=True)
class OutcomeRecord:
    """One supplier's outcome in one recorded comparison."""

    position: int
    """the supplier's place in the config"""
    supplier: str
    status: str
    latency_ms: float | None
    arrival_ms: float | None
    """when the result arrived, in ms after the comparison started"""
    arrival_order: int
    """0 for the first result the strategy saw"""
    error: str | None
    quote: Mapping[str, Any] | None
    """the quote's fields (:data:`QUOTE_FIELDS`) when the reply was a valid quote"""


@dataclass(frozen=True, slots=True)
class ComparisonRecord:
    correlation_id: str
    recorded_at: float
    product_id: str
    quantity: int
    strategy: str
    decided: bool
    partial: bool
    error: str | None
    winner: str | None
    total_price: float | None
    currency: str | None
    elapsed_ms: float | None
    deadline_s: float | None
    source: str
    """``window``, ``cli`` or ``import``"""
    document: Mapping[str, Any]
    """the comparison as ``compare --json`` prints it"""
    outcomes: tuple[OutcomeRecord, ...]

    @classmethod
    def from_comparison(
        cls,
        comparison: Comparison,
        *,
        recorded_at: float,
        source: str,
        arrivals: Mapping[str, float] | None = None,
        deadline_s: float | None = None,
    ) -> ComparisonRecord:
        """``arrivals``: each supplier's arrival offset in ms, in arrival order (from the
        engine's events); without them the latency stands in for it."""
        known = dict(arrivals or {})
        order = {name: n for n, name in enumerate(known)}
        unknown = sorted(
            (r for r in comparison.suppliers if r.name not in order),
            key=lambda r: -1.0 if r.latency_ms is None else r.latency_ms,
        )
        for result in unknown:
            order[result.name] = len(order)
            known[result.name] = result.latency_ms or 0.0
        quotes = {q.supplier: q.quote.to_dict() for q in comparison.quotes}
        outcomes = tuple(
            OutcomeRecord(
                position=position,
                supplier=result.name,
                status=result.status.value,
                latency_ms=result.latency_ms,
                arrival_ms=known[result.name],
                arrival_order=order[result.name],
                error=result.error,
                quote=quotes.get(result.name) if result.status is Status.OK else None,
            )
            for position, result in enumerate(comparison.suppliers)
        )
        winner = comparison.winner if comparison.decided else None
        return cls(
            correlation_id=comparison.correlation_id,
            recorded_at=recorded_at,
            product_id=comparison.product_id,
            quantity=comparison.quantity,
            strategy=comparison.strategy,
            decided=comparison.decided,
            partial=comparison.partial,
            error=comparison.error,
            winner=winner.supplier if winner else None,
            total_price=winner.quote.total_price if winner else None,
            currency=winner.quote.currency if winner else None,
            elapsed_ms=comparison.elapsed_ms,
            deadline_s=deadline_s,
            source=source,
            document=comparison.to_dict(),
            outcomes=outcomes,
        )


@dataclass(frozen=True, slots=True)
class HistorySummary:
    """One comparison in a listing."""

    correlation_id: str
    recorded_at: float
    product_id: str
    quantity: int
    strategy: str
    decided: bool
    partial: bool
    error: str | None
    winner: str | None
    total_price: float | None
    currency: str | None
    elapsed_ms: float | None
    source: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "correlation_id": self.correlation_id,
            "recorded_at": iso(self.recorded_at),
            "product_id": self.product_id,
            "quantity": self.quantity,
            "strategy": self.strategy,
            "decided": self.decided,
            "partial": self.partial,
            "error": self.error,
            "winner": self.winner,
            "total_price": self.total_price,
            "currency": self.currency,
            "elapsed_ms": self.elapsed_ms,
            "source": self.source,
        }


@dataclass(frozen=True, slots=True)
class StoredComparison:
    """A recorded comparison, whole: enough to show it again and to replay it."""

    summary: HistorySummary
    deadline_s: float | None
    document: Mapping[str, Any]
    outcomes: tuple[OutcomeRecord, ...]
    """in config order"""

    @property
    def correlation_id(self) -> str:
        return self.summary.correlation_id


@dataclass(frozen=True, slots=True)
class HistoryFilter:
    """Which comparisons to list; every field narrows, ``None`` does not."""

    product: str | None = None
    supplier: str | None = None
    """comparisons this supplier took part in"""
    since: float | None = None
    """wall-clock seconds"""
    until: float | None = None
    search: str | None = None
    """part of a correlation id"""
    limit: int | None = None
