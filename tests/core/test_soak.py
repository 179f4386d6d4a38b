"""A short soak and a cancellation storm: nothing leaks, nothing escapes, nothing is late."""

from __future__ import annotations

import pytest

from tests.support.soak import cancellation_storm, client_tasks, soak

pytestmark = pytest.mark.timeout(120)


async def test_short_soak_leaks_nothing_and_keeps_its_deadlines() -> None:
    report = await soak(8.0)
    assert report.comparisons > 50 and report.cancelled > 5
    assert report.worst_overrun_ms <= 50
    assert report.tasks_after == report.tasks_before
    assert report.sockets_idle <= 8 * 30  # bounded by the keep-alive pool: 8 per supplier
    assert report.fds_end <= report.fds_start
    assert report.rss_growth < 0.10
    assert report.sockets_closed == 0
    assert {"ok", "error", "timeout", "invalid"} <= set(report.statuses)


async def test_cancellation_storm() -> None:
    before = client_tasks()
    cancelled, finished, sockets_left = await cancellation_storm(1000)
    assert cancelled == 1000 and finished == 0
    assert sockets_left == 0
    assert client_tasks() == before
