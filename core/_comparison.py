"""The outcome of one price comparison, and its JSON form (the CLI's ``--json`` contract)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from core._quotes import Quote
from core._results import SupplierResult

__all__ = ["Comparison", "PricedQuote"]


def _ms(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


@dataclass(frozen=True, slots=True)
class PricedQuote:
    """A valid quote with the configured supplier it came from."""

    supplier: str
    latency_ms: float
    quote: Quote

    @classmethod
    def from_result(cls, result: SupplierResult[Quote]) -> PricedQuote:
        assert result.reply is not None
        assert result.latency_ms is not None
        return cls(result.name, result.latency_ms, result.reply)

    def to_dict(self) -> dict[str, Any]:
        return {
            "supplier": self.supplier,
            **self.quote.to_dict(),
            "latency_ms": _ms(self.latency_ms),
        }


@dataclass(frozen=True, slots=True)
class Comparison:
    correlation_id: str
    strategy: str
    product_id: str
    quantity: int
    decided: bool
    partial: bool
    error: str | None
    winner: PricedQuote | None
    """the deciding quote (for ``all``: the cheapest in-stock one, for display)"""
    ranked: tuple[PricedQuote, ...] | None
    """``all`` only: every valid quote, by total price"""
    cheapest: PricedQuote | None
    fastest_delivery: PricedQuote | None
    quotes: tuple[PricedQuote, ...]
    suppliers: tuple[SupplierResult[Quote], ...]
    elapsed_ms: float

    @property
    def result(self) -> PricedQuote | tuple[PricedQuote, ...] | None:
        if not self.decided:
            return None
        return self.ranked if self.strategy == "all" else self.winner

    def to_dict(self) -> dict[str, Any]:
        # each quote is turned into a dict once: `all` lists every quote twice (ranked and
        # quotes), and the cheapest and fastest are among them
        forms: dict[int, dict[str, Any]] = {}

        def form(quote: PricedQuote) -> dict[str, Any]:
            known = forms.get(id(quote))
            if known is None:
                known = forms[id(quote)] = quote.to_dict()
                return known
            return dict(known)  # a copy: no caller sees one dict in two places

        quotes = [form(quote) for quote in self.quotes]
        result = self.result
        return {
            "correlation_id": self.correlation_id,
            "strategy": self.strategy,
            "decided": self.decided,
            "partial": self.partial,
            "error": self.error,
            "result": (
                [form(quote) for quote in result]
                if isinstance(result, tuple)
                else (form(result) if result is not None else None)
            ),
            "cheapest": form(self.cheapest) if self.cheapest else None,
            "fastest_delivery": form(self.fastest_delivery) if self.fastest_delivery else None,
            "quotes": quotes,
            "suppliers": [
                {
                    "name": r.name,
                    "status": r.status.value,
                    "latency_ms": _ms(r.latency_ms),
                    "error": r.error,
                }
                for r in self.suppliers
            ],
            "elapsed_ms": _ms(self.elapsed_ms),
        }
