"""What ``compare`` does with the history: record the comparison, offer a stale fallback.

Kept out of ``compare.py``: that module runs the comparison, this one remembers it.
"""

from __future__ import annotations

import argparse
import contextlib
import time
from collections.abc import AsyncIterator
from typing import Any

from core._comparator import PriceComparator
from core._comparison import Comparison
from core._events import ComparisonFinished, Event
from core.storage import (
    FallbackQuote,
    HistoryRecorder,
    HistoryService,
    data_dir,
    default_database_path,
    find_fallback,
    legacy_paths,
)

__all__ = ["CliHistory", "add_fallback_argument"]


def add_fallback_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--fallback",
        action="store_true",
        help="when undecided, also offer the newest good recorded quote for this product and "
        "quantity (within [fallback] max_age, default 24 h): never the result, marked stale",
    )


class CliHistory:
    """One ``compare`` run's history: every comparison is recorded (and, with
    ``--fallback``, an undecided one gets the newest good quote on record)."""

    def __init__(self, want_fallback: bool) -> None:
        self.want_fallback = want_fallback
        self.fallback: FallbackQuote | None = None
        self.history_off: str | None = None
        """why the history could not be used (``None`` when it could)"""
        self._finished: Comparison | None = None

    def _observe(self, event: Event) -> None:
        if isinstance(event, ComparisonFinished) and isinstance(event.comparison, Comparison):
            self._finished = event.comparison

    @contextlib.asynccontextmanager
    async def recording(self, comparator: PriceComparator) -> AsyncIterator[None]:
        config = comparator.config
        service = HistoryService(
            default_database_path(),
            keep_days=config.history.keep_days,
            legacy=legacy_paths(data_dir()),
        )
        recorder = HistoryRecorder(service, source="cli")
        stop_recording = recorder.attach(comparator.events)
        stop_observing = comparator.events.subscribe(self._observe)
        try:
            yield
        finally:
            stop_observing()
            stop_recording()
            finished = self._finished
            if self.want_fallback and finished is not None and not finished.decided:
                max_age, currency = config.fallback.max_age, config.defaults.currency
                self.fallback = await service.call(
                    lambda db: find_fallback(
                        db, finished, max_age_s=max_age, now=time.time(), currency=currency
                    ),
                    None,
                )
            await service.aclose()
            self.history_off = service.problem

    def document(self, comparison: Comparison) -> dict[str, Any]:
        """``compare --json``'s object; with ``--fallback`` also its ``fallback`` key."""
        document = comparison.to_dict()
        if self.want_fallback:
            document["fallback"] = self.fallback.to_dict() if self.fallback else None
        return document

    def fallback_text(self) -> str:
        """The table output's fallback lines ("" without ``--fallback`` or when decided)."""
        if not self.want_fallback or self._finished is None or self._finished.decided:
            return ""
        found = self.fallback
        if found is None:
            why = "history off" if self.history_off else "no good quote on record within max_age"
            return f"\nfallback:         none ({why})\n"
        quote = found.quote
        return (
            f"\nfallback (STALE, not the result): {found.supplier}: "
            f"{quote['total_price']:,.2f} {quote['currency']} ({quote['delivery_days']} d), "
            f"recorded {found.age_text} ago in {found.correlation_id}\n"
        )
