"""tune_gc: what long-running applications call once started (the library never does)."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

import core


@pytest.fixture
def restored_gc() -> Iterator[None]:
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


def test_tune_gc_freezes_start_up_and_collects_the_young_less_often(restored_gc: None) -> None:
    older = gc.get_threshold()[1:]
    core.tune_gc()
    assert gc.get_freeze_count() > 0
    assert gc.get_threshold() == (core._gc.GEN0_THRESHOLD, *older)


def test_the_library_leaves_the_collector_alone() -> None:
    threshold = gc.get_threshold()
    config = core.parse_config({"suppliers": [{"name": "a", "url": "http://127.0.0.1:9/q"}]})
    core.PriceComparator(config)
    assert gc.get_threshold() == threshold


@pytest.mark.parametrize(("command", "tuned"), [("compare", True), ("history", False)])
def test_the_command_line_tunes_the_collector_for_the_commands_that_scatter(
    command: str, tuned: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gui import launcher

    calls: list[None] = []
    monkeypatch.setattr(core, "tune_gc", lambda: calls.append(None))
    monkeypatch.setattr("sys.argv", ["scatterdash", command, "--help"])
    with pytest.raises(SystemExit):
        launcher.main()  # the process's own command line
    assert calls == ([None] if tuned else [])
    calls.clear()
    with pytest.raises(SystemExit):
        launcher.main([command, "--help"])  # in-process use leaves the collector alone
    assert calls == []
