"""Breakers that reach half-open together: the health refresh is not re-entered.

``CircuitBreaker.state`` turns open → half-open when it is read, so reading a row's health
in :meth:`HealthFeed.tick` emits a ``BreakerTransition`` synchronously. The window must
not tick again from inside that event, and a tick re-entered anyway must not fail.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import pytest

import gui.main_window
from core import BreakerTransition, Config, Event, Outcome, PriceComparator
from core.fleet import Fleet
from gui.health_feed import HealthFeed
from gui.main_window import MainWindow
from gui.models.destinations_model import Column, DestinationsModel
from gui.session import Session
from gui.widgets.event_log import Level
from tests.gui.conftest import AsyncLoop, compare, healthy, record_instances, set_strategy

pytestmark = pytest.mark.gui

VICTIMS = ("northwind", "swiftship-direct")


class FakeClock:
    """The breakers' clock: time moves only when the test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _session(config: Config, clock: FakeClock) -> Session:
    return Session(config, PriceComparator(config, clock=clock))


def _breaker_cell(model: DestinationsModel, name: str) -> str:
    row = model.row_of(name)
    assert row is not None
    return str(model.index(row, Column.BREAKER).data())


def test_a_tick_re_entered_from_a_breaker_transition_does_not_fail(
    aloop: AsyncLoop, fleet: Fleet, caplog: pytest.LogCaptureFixture
) -> None:
    """The feed itself: a tick run from inside a transition event leaves the outer one intact."""
    clock = FakeClock()
    session = _session(fleet.config, clock)
    model = DestinationsModel(fleet.config)
    feed = HealthFeed(session, model, budget_s=60.0)  # the budget is not what is tested here

    def re_enter(event: Event) -> None:  # what MainWindow._on_transition used to do
        if isinstance(event, BreakerTransition):
            feed.mark(event.supplier)
            feed.tick()

    session.subscribe(re_enter)
    try:
        for name in VICTIMS:
            breaker = session.comparator.breakers[name]
            for _ in range(fleet.config.breaker.consecutive_failures):
                assert breaker.try_acquire()
                breaker.record(Outcome.FAILURE)
        feed.full()
        assert [_breaker_cell(model, name) for name in VICTIMS] == ["open", "open"]

        clock.now += fleet.config.breaker.open_seconds
        caplog.set_level(logging.WARNING, logger="scatterdash")
        feed.tick()  # reading the rows turns both breakers half-open, each re-entering tick()

        assert [_breaker_cell(model, name) for name in VICTIMS] == ["half-open", "half-open"]
        assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text
    finally:
        aloop.run(session.aclose())


def test_two_breakers_reaching_half_open_refresh_without_an_error(
    aloop: AsyncLoop, fleet: Fleet, make_window: Callable[..., MainWindow]
) -> None:
    """The window on the demo fleet: two outages open two breakers; their cool-down ends."""
    healthy(fleet)
    clock = FakeClock()
    session = _session(fleet.config, clock)
    window = make_window(fleet.config, session=session)
    model = window.destinations_model
    set_strategy(window, "all")
    for name in VICTIMS:
        fleet.set_faults(name, outage=True)
    for _ in range(fleet.config.breaker.consecutive_failures):
        compare(aloop, window)
    aloop.until(lambda: all(_breaker_cell(model, name) == "open" for name in VICTIMS))
    feed = window.health_feed
    feed.budget_s = 60.0  # every dirty row in one tick: the case that failed
    depth, deepest = [0], [0]
    tick = feed.tick

    def watched_tick() -> None:
        depth[0] += 1
        deepest[0] = max(deepest[0], depth[0])
        try:
            tick()
        finally:
            depth[0] -= 1

    feed.tick = watched_tick  # type: ignore[method-assign]

    clock.now += fleet.config.breaker.open_seconds
    window.refresh_health()  # as the health timer does; both breakers turn half-open in it

    assert [_breaker_cell(model, name) for name in VICTIMS] == ["half-open", "half-open"]
    assert deepest[0] == 1, "the transitions re-entered the health refresh"
    # the transitions' own refresh comes later, from the event loop, and finds nothing wrong
    aloop.until(lambda: feed.pending == 0 and not window.health_refresh_pending)
    assert [_breaker_cell(model, name) for name in VICTIMS] == ["half-open", "half-open"]
    assert window.event_log.counts[Level.ERROR] == 0, window.event_log.messages()
    messages = window.event_log.messages()
    for name in VICTIMS:
        assert any(m.startswith(f"{name}: breaker open → half-open") for m in messages), messages
    assert window.health_text() == f"{len(fleet.suppliers) - len(VICTIMS)}/12 healthy"


def test_one_feed_per_session(
    aloop: AsyncLoop,
    fleet: Fleet,
    make_window: Callable[..., MainWindow],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The window builds a feed when it attaches a session: at start, and per opened config."""
    built = record_instances(monkeypatch, gui.main_window, "HealthFeed")
    window = make_window()
    assert built == [window.health_feed]
    assert window.health_feed.session is window.session

    path = tmp_path / "two.toml"
    path.write_text(
        "".join(
            f'[[suppliers]]\nname = "{s.name}"\nurl = "{s.url}"\n\n'
            for s in fleet.config.suppliers[:2]
        ),
        encoding="utf-8",
    )
    task = window.open_config(path)
    assert task is not None
    aloop.until(task.done)
    assert task.result()
    assert built[1:] == [window.health_feed]
    assert window.health_feed.session is window.session
    assert window.health_feed.model is window.destinations_model
