"""The fleet's own added latency: handler time minus the drawn delay, per reply."""

from __future__ import annotations

from collections import deque
from typing import Any

__all__ = ["OverheadStats"]


class OverheadStats:
    def __init__(self, keep: int = 200_000) -> None:
        self.replies = 0
        self._overhead_s: deque[float] = deque(maxlen=keep)

    def record(self, overhead_s: float) -> None:
        self.replies += 1
        self._overhead_s.append(overhead_s)

    def reset(self) -> None:
        self.replies = 0
        self._overhead_s.clear()

    def percentile_ms(self, q: float) -> float | None:
        """The q-th percentile (0–100) of the recent overheads, in milliseconds."""
        if not self._overhead_s:
            return None
        ordered = sorted(self._overhead_s)
        index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
        return ordered[index] * 1000

    def summary(self) -> dict[str, Any]:
        return {
            "replies": self.replies,
            "overhead_ms": {
                "p50": self.percentile_ms(50),
                "p90": self.percentile_ms(90),
                "p99": self.percentile_ms(99),
                "samples": len(self._overhead_s),
            },
        }
