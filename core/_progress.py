"""How far a comparison has got, counted honestly: one tally per kind of outcome.

Shared by the CLI's live progress line and the window's progress bar, so both say the
same thing: "7/12 replied · 1 failed · 4 in flight".
"""

from __future__ import annotations

from dataclasses import dataclass

from core._results import Status

__all__ = ["ProgressCounts"]


@dataclass(slots=True)
class ProgressCounts:
    """Counts for one comparison; feed it :meth:`sent` and :meth:`finished` as events arrive."""

    total: int
    """suppliers in the comparison (called or skipped)"""
    called: int = 0
    replied: int = 0
    """valid quotes"""
    failed: int = 0
    """HTTP or connection errors and invalid replies"""
    timed_out: int = 0
    cancelled: int = 0
    skipped: int = 0
    """never called: circuit open, forced open or disabled"""
    not_called: int = 0
    """never called: the strategy decided (or the deadline came) before their turn"""

    def sent(self) -> None:
        self.called += 1

    def finished(self, status: Status, *, called: bool = True) -> None:
        if status is Status.CANCELLED and not called:
            self.not_called += 1
        elif status is Status.OK:
            self.replied += 1
        elif status in (Status.ERROR, Status.INVALID):
            self.failed += 1
        elif status is Status.TIMEOUT:
            self.timed_out += 1
        elif status is Status.CANCELLED:
            self.cancelled += 1
        else:
            self.skipped += 1

    @property
    def done(self) -> int:
        """calls that have their result"""
        return self.replied + self.failed + self.timed_out + self.cancelled

    @property
    def in_flight(self) -> int:
        return max(0, self.called - self.done)

    def text(self) -> str:
        parts = [f"{self.replied}/{self.total} replied"]
        for count, label in (
            (self.failed, "failed"),
            (self.timed_out, "timed out"),
            (self.cancelled, "cancelled"),
            (self.skipped, "skipped"),
            (self.not_called, "not called"),
            (self.in_flight, "in flight"),
        ):
            if count:
                parts.append(f"{count} {label}")
        return " · ".join(parts)
