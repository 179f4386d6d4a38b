"""A supplier's recent latency as a one-line text sparkline, for the destinations table."""

from __future__ import annotations

from collections.abc import Sequence

from core.health import Bucket

__all__ = ["EMPTY", "FAILED", "TREND_BUCKET_S", "TREND_SPAN_S", "sparkline"]

TREND_SPAN_S = 300.0
TREND_BUCKET_S = 30.0
_LEVELS = "▁▂▃▄▅▆▇█"
FAILED = "✕"
"""a bucket in which every call and probe failed"""
EMPTY = "·"
"""a bucket in which nothing finished (after the first that did)"""


def sparkline(buckets: Sequence[Bucket]) -> str:
    """One character per bucket: its p95, scaled between the span's lowest and highest;
    a gap is ``·``, but the time before anything finished stays blank."""
    values = [b.p95_ms for b in buckets if b.p95_ms is not None]
    if not any(b.calls for b in buckets):
        return ""
    low, high = (min(values), max(values)) if values else (0.0, 0.0)
    spread = high - low
    chars: list[str] = []
    started = False
    for bucket in buckets:
        if bucket.calls == 0:
            chars.append(EMPTY if started else " ")  # before the first data: blank
            continue
        started = True
        if bucket.errors == bucket.calls:
            chars.append(FAILED)
        elif bucket.p95_ms is None:
            chars.append(_LEVELS[0])
        else:
            level = 0 if spread <= 0 else round((bucket.p95_ms - low) / spread * 7)
            chars.append(_LEVELS[level])
    return "".join(chars)
