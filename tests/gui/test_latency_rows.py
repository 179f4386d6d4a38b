"""A thousand suppliers stay readable: the plot shows a screenful of named rows and scrolls."""

from __future__ import annotations

import time

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from pytestqt.qtbot import QtBot

from core import CallResult, CallSent, ComparisonStarted, Status, SupplierResult
from gui.live import LiveRun
from gui.widgets.latency_plot import (
    ROW_PX,
    ROWS_AT_LEAST,
    ROWS_SHOWN,
    WHEEL_ROWS,
    LatencyPlot,
)

pytestmark = pytest.mark.gui


def rows_in_view(plot: LatencyPlot) -> tuple[float, float]:
    (_, _), (low, high) = plot.getPlotItem().getViewBox().viewRange()
    return low, high


def wheel(plot: LatencyPlot, notches: int) -> None:
    centre = QPointF(plot.width() / 2, plot.height() / 2)
    event = QWheelEvent(
        centre,
        plot.mapToGlobal(centre),
        QPoint(0, 0),
        QPoint(0, 120 * notches),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    plot.wheelEvent(event)


def test_a_thousand_suppliers_show_a_screenful_of_rows_tall_enough_to_read(qtbot: QtBot) -> None:
    plot = LatencyPlot()
    qtbot.addWidget(plot)
    plot.resize(1000, 700)
    plot.show()
    names = tuple(f"supplier-{i:04d}" for i in range(1000))
    now = time.perf_counter()
    run = LiveRun(ComparisonStarted("c", "all", names, 5.0, now))
    for name in names:
        run.on_sent(CallSent("c", name, now))
    for name in names[:500]:
        run.on_result(CallResult("c", SupplierResult(name, Status.OK, 12.0, "q"), now))
    plot.follow(run)

    low, high = rows_in_view(plot)
    assert high - low <= ROWS_SHOWN + 0.5
    row_px = plot.getPlotItem().getViewBox().height() / (high - low)
    assert row_px >= 8  # a thousand rows in one view would be under a pixel each
    assert plot.getPlotItem().getAxis("left").labelText.startswith("suppliers 1–40 of 1000")

    ticks = plot.getPlotItem().getAxis("left")._tickLevels[0]
    assert [name for _, name in ticks][:2] == ["supplier-0000", "supplier-0001"]
    assert len(ticks) <= ROWS_SHOWN  # only the rows in view are labelled

    wheel(plot, -2)  # two notches down
    assert plot.top_row == 2 * WHEEL_ROWS
    assert rows_in_view(plot)[0] == pytest.approx(2 * WHEEL_ROWS - 0.6)
    first_tick = plot.getPlotItem().getAxis("left")._tickLevels[0][0]
    assert first_tick == (2.0 * WHEEL_ROWS, f"supplier-{2 * WHEEL_ROWS:04d}")
    plot.scroll_to(10_000)
    assert plot.top_row == 1000 - ROWS_SHOWN
    wheel(plot, 1000)
    assert plot.top_row == 0
    assert len(plot.bar_lengths()) == 1000  # every bar is drawn, the view picks the rows


def test_a_short_plot_shows_fewer_rows_each_a_label_high(qtbot: QtBot) -> None:
    plot = LatencyPlot()
    qtbot.addWidget(plot)
    plot.resize(700, 320)
    plot.show()
    plot.set_suppliers(tuple(f"supplier-{i:04d}" for i in range(200)))
    qtbot.waitUntil(lambda: plot.rows_shown < ROWS_SHOWN)
    low, high = rows_in_view(plot)
    row_px = plot.getPlotItem().getViewBox().height() / (high - low)
    assert row_px >= ROW_PX - 1  # 40 rows here would be 6 px each: labels on top of each other
    assert (
        ROWS_AT_LEAST <= plot.rows_shown == len(plot.getPlotItem().getAxis("left")._tickLevels[0])
    )
    assert (
        plot.getPlotItem()
        .getAxis("left")
        .labelText.startswith(f"suppliers 1–{plot.rows_shown} of 200")
    )
    plot.resize(700, 900)  # taller: more rows
    qtbot.waitUntil(lambda: plot.rows_shown == ROWS_SHOWN)


def test_a_few_suppliers_are_all_in_view_and_the_wheel_does_nothing(qtbot: QtBot) -> None:
    plot = LatencyPlot()
    qtbot.addWidget(plot)
    plot.set_suppliers(tuple(f"s{i}" for i in range(12)))
    low, high = rows_in_view(plot)
    assert (low, high) == pytest.approx((-0.6, 11.6))
    wheel(plot, -3)
    assert plot.top_row == 0 and rows_in_view(plot) == pytest.approx((low, high))


def test_calls_never_sent_are_counted_apart_from_replies() -> None:
    names = ("a", "b", "c")
    now = time.perf_counter()
    run = LiveRun(ComparisonStarted("c", "first", names, 5.0, now))
    run.on_sent(CallSent("c", "a", now))
    run.on_result(CallResult("c", SupplierResult("a", Status.OK, 3.0, "q"), now))
    for name in ("b", "c"):  # the strategy decided before these left
        result: SupplierResult[str] = SupplierResult(
            name, Status.CANCELLED, None, error="not called: the strategy had decided"
        )
        run.on_result(CallResult("c", result, now))
    assert (run.sent, run.finished, run.in_flight, run.uncalled) == (1, 1, 0, 2)
    assert run.done
    assert run.progress_text() == "1/3 replied · 2 not called"
