"""What the window says, in words, computed without Qt: its title, the health line and
the line a finished comparison leaves in the Event log and the status bar."""

from __future__ import annotations

from collections.abc import Sequence

from core import BreakerState, Comparison, PricedQuote

__all__ = [
    "DOWN",
    "RECOVERING",
    "HealthWords",
    "describe_quote",
    "health_words",
    "outcome_line",
    "window_title",
]

DOWN = frozenset({BreakerState.OPEN, BreakerState.FORCED_OPEN, BreakerState.DISABLED})
"""not called at all"""
RECOVERING = frozenset({BreakerState.HALF_OPEN})
"""trial calls only, after being down; any other unhealthy supplier is "failing": its
breaker is closed but its last call failed"""
_SHOWN = 6


def window_title(source: str, suppliers: int) -> str:
    """ "Scatterdash — resources/demo.toml · 12 suppliers": each thing once."""
    noun = "supplier" if suppliers == 1 else "suppliers"
    return f"Scatterdash — {source} · {suppliers} {noun}"


class HealthWords:
    def __init__(
        self,
        healthy: int,
        total: int,
        down: list[str],
        recovering: list[str],
        failing: list[str] | None = None,
    ) -> None:
        self.healthy, self.total = healthy, total
        self.down, self.recovering = down, recovering
        self.failing = failing or []
        """called as usual (breaker closed), but the last call failed"""

    @property
    def worst(self) -> BreakerState:
        """The state whose colour the health dot takes: open when a supplier is down,
        half-open (amber, a warning) when some recover or fail, else closed."""
        if self.down:
            return BreakerState.OPEN
        if self.recovering or self.failing:
            return BreakerState.HALF_OPEN
        return BreakerState.CLOSED

    @property
    def summary(self) -> str:
        return f"{self.healthy}/{self.total} healthy"

    @property
    def detail(self) -> str:
        """ "down: a, b · recovering: c · failing: d" (empty when every supplier is healthy)."""
        parts = []
        for label, names in (
            ("down", self.down),
            ("recovering", self.recovering),
            ("failing", self.failing),
        ):
            if names:
                more = f" +{len(names) - _SHOWN}" if len(names) > _SHOWN else ""
                parts.append(f"{label}: {', '.join(names[:_SHOWN])}{more}")
        return " · ".join(parts)


def health_words(
    healthy: int, total: int, states: Sequence[tuple[str, BreakerState]]
) -> HealthWords:
    """``states``: (name, breaker state) of every supplier that is not healthy."""
    down = [name for name, state in states if state in DOWN]
    recovering = [name for name, state in states if state in RECOVERING]
    failing = [name for name, state in states if state not in DOWN | RECOVERING]
    return HealthWords(healthy, total, down, recovering, failing)


def describe_quote(priced: PricedQuote | None) -> str:
    """ "acme: 1,225.50 EUR · 8 d · 49 ms" (supplier, total, delivery, latency)."""
    if priced is None:
        return "—"
    quote = priced.quote
    return (
        f"{priced.supplier}: {quote.total_price:,.2f} {quote.currency}"
        f" · {quote.delivery_days} d · {priced.latency_ms:.0f} ms"
    )


def outcome_line(comparison: Comparison) -> str:
    """ "best: winner acme: …" or "majority: undecided: quorum not reached: …"."""
    winner = comparison.winner if comparison.decided else None
    if winner is not None:
        return f"{comparison.strategy}: winner {describe_quote(winner)}"
    return f"{comparison.strategy}: undecided: {comparison.error or 'no decision'}"
