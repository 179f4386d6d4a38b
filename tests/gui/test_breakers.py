"""Breakers as the operator sees them: outages open them, healing closes them, actions work."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtWidgets import QCheckBox

from core import BreakerState, Config, Status
from core.fleet import Fleet
from gui.main_window import MainWindow
from gui.models.destinations_model import Column
from gui.session import BreakerAction
from tests.gui.conftest import AsyncLoop, compare, healthy, set_strategy
from tests.gui.conftest import destination_cell as _cell

pytestmark = pytest.mark.gui

VICTIM = "northwind"


def _fast_breakers(fleet: Fleet) -> Config:
    config = fleet.config
    breaker = config.breaker.model_copy(update={"open_seconds": 0.5})
    return config.model_copy(update={"breaker": breaker})


def test_outage_opens_the_breaker_and_healing_closes_it(
    aloop: AsyncLoop, fleet: Fleet, make_window: Callable[..., MainWindow]
) -> None:
    healthy(fleet)
    window = make_window(_fast_breakers(fleet))
    set_strategy(window, "all")
    threshold = window.config.breaker.consecutive_failures

    outage = window.findChild(QCheckBox, f"fleetOutage:{VICTIM}")
    outage.click()
    assert fleet.faults(VICTIM).outage

    for _ in range(threshold):
        comparison = compare(aloop, window)
        victim = next(r for r in comparison.suppliers if r.name == VICTIM)
        assert victim.status is Status.ERROR
        assert victim.error == "connection refused"
    aloop.until(lambda: _cell(window, VICTIM, Column.BREAKER) == "open", timeout=2)
    note = _cell(window, VICTIM, Column.NOTE)
    assert note.startswith("half-open in "), note
    assert note.endswith(" s")
    assert window.health_text() == "11/12 healthy"
    assert VICTIM in window.health_label.text()
    assert any(f"{VICTIM}: breaker closed → open" in m for m in window.event_log.messages())

    # open: the next comparison skips it without a call
    comparison = compare(aloop, window)
    assert next(r for r in comparison.suppliers if r.name == VICTIM).status is Status.CIRCUIT_OPEN

    outage.click()  # heal
    assert not fleet.faults(VICTIM).outage
    aloop.until(lambda: _cell(window, VICTIM, Column.BREAKER) == "half-open", timeout=3)
    for _ in range(window.config.breaker.half_open_calls):
        compare(aloop, window)
    aloop.until(lambda: _cell(window, VICTIM, Column.BREAKER) == "closed", timeout=2)
    assert window.health_text() == "12/12 healthy"
    transitions = [m for m in window.event_log.messages() if m.startswith(f"{VICTIM}: breaker")]
    assert [m.split(":")[1].strip() for m in reversed(transitions)] == [
        "breaker closed → open",
        "breaker open → half-open",
        "breaker half-open → closed",
    ]


def test_operator_breaker_actions(
    aloop: AsyncLoop, fleet: Fleet, make_window: Callable[..., MainWindow]
) -> None:
    healthy(fleet)
    window = make_window()
    panel = window.destinations
    panel.select(VICTIM)
    assert panel.selected_names() == [VICTIM]
    actions = panel.actions_by_kind
    assert not actions[BreakerAction.ENABLE].isEnabled()

    actions[BreakerAction.FORCE_OPEN].trigger()
    assert _cell(window, VICTIM, Column.BREAKER) == BreakerState.FORCED_OPEN.value
    comparison = compare(aloop, window)
    assert next(r for r in comparison.suppliers if r.name == VICTIM).status is Status.CIRCUIT_OPEN
    assert window.health_text() == "11/12 healthy"

    actions[BreakerAction.FORCE_CLOSED].trigger()
    assert _cell(window, VICTIM, Column.BREAKER) == "forced-closed"

    actions[BreakerAction.DISABLE].trigger()
    assert _cell(window, VICTIM, Column.BREAKER) == "disabled"
    assert actions[BreakerAction.ENABLE].isEnabled()
    assert not actions[BreakerAction.DISABLE].isEnabled()

    actions[BreakerAction.ENABLE].trigger()
    assert _cell(window, VICTIM, Column.BREAKER) == "closed"

    actions[BreakerAction.FORCE_OPEN].trigger()
    actions[BreakerAction.RESET].trigger()
    assert _cell(window, VICTIM, Column.BREAKER) == "closed"
    comparison = compare(aloop, window)
    assert next(r for r in comparison.suppliers if r.name == VICTIM).status is Status.OK
    assert window.health_text() == "12/12 healthy"
    logged = [m for m in window.event_log.messages() if m.startswith(f"{VICTIM}: breaker")]
    assert len(logged) == 6
    assert "reset by operator" in logged[0]


def test_demo_fleet_panel_drives_the_fleet(
    aloop: AsyncLoop, fleet: Fleet, make_window: Callable[..., MainWindow]
) -> None:
    window = make_window()
    panel = window.fleet_panel
    assert panel is not None
    row = panel.rows["swiftship-direct"]
    assert row.error_rate.value() == 45  # the demo profile's own misbehaviour
    row.latency.setValue(3.0)
    assert fleet.faults("swiftship-direct").latency_multiplier == 3.0
    row.toggles["malformed_json"].trigger()
    assert fleet.faults("swiftship-direct").malformed_json
    set_strategy(window, "all")
    comparison = compare(aloop, window)
    swiftship = next(r for r in comparison.suppliers if r.name == "swiftship-direct")
    assert swiftship.status in (Status.INVALID, Status.ERROR)

    fleet.set_faults("swiftship-direct", latency_multiplier=200.0)  # the fleet's own range
    panel.refresh()
    assert row.latency.value() == 200.0  # shown as it is, not clamped to the spinbox's
    assert fleet.faults("swiftship-direct").latency_multiplier == 200.0

    panel.heal_all()
    assert not fleet.faults("swiftship-direct").active
    assert row.error_rate.value() == 0
    panel.restore_profiles()
    assert fleet.faults("swiftship-direct").error_rate == pytest.approx(0.45)
    assert row.error_rate.value() == 45


def test_plain_config_window_has_no_fleet_panel(
    aloop: AsyncLoop, fleet: Fleet, make_window: Callable[..., MainWindow]
) -> None:
    window = make_window(fleet=None)
    assert window.fleet_panel is None
    assert "fleetDock" not in window.docks
