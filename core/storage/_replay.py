"""A recorded comparison brought back: as it was, or re-decided under another strategy.

:func:`recorded_comparison` rebuilds the :class:`Comparison` exactly as it was decided.
:func:`replay` feeds the recorded results, in the order they arrived, to a fresh
strategy from ``core._strategies`` (the same classes the engine uses, with the same
price judging) and stops where that strategy would have settled: results that arrived
later become ``cancelled``, as the engine would have made them, and ``elapsed_ms`` is
the moment it would have decided. No network: a supplier the recording has no reply
from (cancelled or cut off then) has none in the replay either.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from core._comparator import _comparison, _judging
from core._comparison import Comparison, PricedQuote
from core._config import STRATEGIES
from core._engine import ScatterOutcome
from core._quotes import PriceRequest, Quote
from core._results import Status, SupplierResult
from core._strategies import make_strategy
from core.storage._records import OutcomeRecord, StoredComparison

__all__ = ["recorded_comparison", "replay", "replay_document"]


def _result(product_id: str, outcome: OutcomeRecord) -> SupplierResult[Quote]:
    quote = None
    if outcome.quote is not None:
        quote = Quote.model_validate({**outcome.quote, "product_id": product_id})
    return SupplierResult(
        outcome.supplier, Status(outcome.status), outcome.latency_ms, quote, outcome.error
    )


def replay(
    stored: StoredComparison,
    strategy: str,
    *,
    quorum: int | None = None,
    min_responses: int = 1,
) -> Comparison:
    """``stored`` re-decided by ``strategy``; ``ValueError`` for an unknown strategy."""
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown strategy {strategy!r} (expected all, first, majority or best)")
    product_id = stored.summary.product_id
    results = [_result(product_id, outcome) for outcome in stored.outcomes]
    chosen = make_strategy(
        strategy, _judging(product_id), quorum=quorum, min_responses=min_responses
    )
    queried = [o for o in stored.outcomes if o.status != Status.CIRCUIT_OPEN]
    chosen.begin(len(queried))
    decided_at: float | None = None
    reason = ""
    for outcome in sorted(queried, key=lambda o: o.arrival_order):
        arrived = outcome.arrival_ms or 0.0
        if decided_at is not None:  # the engine would have cancelled it at decided_at
            results[outcome.position] = SupplierResult(
                outcome.supplier, Status.CANCELLED, decided_at, error=reason
            )
            continue
        if chosen.offer(results[outcome.position]):
            decided_at = arrived
            reason = chosen.cut_off_reason  # the engine's words: decided, or out of reach
    settled_early = decided_at is not None
    if decided_at is None:
        arrivals = [o.arrival_ms or 0.0 for o in queried]
        decided_at = max(arrivals, default=stored.summary.elapsed_ms or 0.0)
    final = tuple(results)
    scattered = ScatterOutcome(
        correlation_id=str(uuid.uuid4()),
        results=final,
        decision=chosen.conclude(final),
        partial=stored.summary.partial and not settled_early,
        elapsed_ms=decided_at,
    )
    return _comparison(PriceRequest(product_id, stored.summary.quantity), strategy, scattered)


def replay_document(replayed: Comparison, stored: StoredComparison) -> dict[str, Any]:
    """``compare --json``'s object for the replay, plus ``replayed_from``."""
    return {**replayed.to_dict(), "replayed_from": stored.correlation_id}


def _priced(entry: Any, product_id: str) -> PricedQuote | None:
    if not isinstance(entry, Mapping):
        return None
    fields = {k: v for k, v in entry.items() if k not in ("supplier", "latency_ms")}
    quote = Quote.model_validate({**fields, "product_id": product_id})
    return PricedQuote(str(entry.get("supplier")), float(entry.get("latency_ms") or 0.0), quote)


def recorded_comparison(stored: StoredComparison) -> Comparison:
    """The comparison as it was decided and shown (``ValueError`` if the record is damaged)."""
    document = stored.document
    summary = stored.summary
    product_id = summary.product_id
    try:
        result = document.get("result")
        ranked = (
            tuple(q for q in (_priced(e, product_id) for e in result) if q is not None)
            if isinstance(result, list)
            else None
        )
        cheapest = _priced(document.get("cheapest"), product_id)
        winner = cheapest if ranked is not None else _priced(result, product_id)
        quotes = tuple(
            q for q in (_priced(e, product_id) for e in document.get("quotes") or ()) if q
        )
        suppliers = tuple(_result(product_id, outcome) for outcome in stored.outcomes)
        return Comparison(
            correlation_id=summary.correlation_id,
            strategy=summary.strategy,
            product_id=product_id,
            quantity=summary.quantity,
            decided=summary.decided,
            partial=summary.partial,
            error=summary.error,
            winner=winner if summary.decided else None,
            ranked=ranked if summary.decided else None,
            cheapest=cheapest,
            fastest_delivery=_priced(document.get("fastest_delivery"), product_id),
            quotes=quotes,
            suppliers=suppliers,
            elapsed_ms=summary.elapsed_ms or 0.0,
        )
    except (ValueError, TypeError) as exc:  # pydantic's ValidationError is a ValueError
        raise ValueError(f"comparison {summary.correlation_id}: damaged record ({exc})") from None
