"""Live latency: one horizontal bar per supplier, growing while its call is in flight.

Drawing rules (see the notes on pyqtgraph): one single-colour ``BarGraphItem`` per outcome
(so each paints with the ``drawRects`` fast path), items updated in place with
``setOpts`` and never re-created, auto-range off, and one ``QTimer`` that redraws at
30 fps only while a call is in flight and stops as soon as the comparison is over.

Beyond as many rows as the plot's height has room for (``ROW_PX`` each, between
``ROWS_AT_LEAST`` and ``ROWS_SHOWN``) the plot shows that many rows at a time, each named,
and the mouse wheel scrolls through the rest: a thousand bars in one view would be slivers
a pixel high, none of them readable.
"""

from __future__ import annotations

import math
import time
from collections import deque

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtGui import QPaintEvent, QPalette, QWheelEvent
from PySide6.QtWidgets import QGraphicsItem, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from core import Comparison, Status
from gui import theme
from gui.live import CATEGORIES, IN_FLIGHT, LiveRun
from gui.widgets.plot_style import style_plot

__all__ = ["LatencyPanel", "LatencyPlot"]

FRAME_MS = 33
"""redraw period while calls are in flight (about 30 fps)"""
BAR_THICKNESS = 0.72
_NICE = (1.0, 2.0, 2.5, 5.0)
_MIN_RANGE_MS = 100.0
ROWS_SHOWN = 40
"""the most rows in view at once; the wheel scrolls through the others"""
ROWS_AT_LEAST = 12
"""the fewest rows in view, however short the plot (the demo fleet's twelve, all at once)"""
ROW_PX = 14
"""the height a named row needs for its label not to run into the next one"""
WHEEL_ROWS = 3
"""rows scrolled per wheel notch"""
HEADROOM = 1.08
"""the axis reaches this much past the longest bar, so that the bar never touches its end"""
SHRINK_BELOW = 0.4
"""a new comparison starts on the last one's scale unless that one used less than this share
of it: a scale that jumps back and forth between comparisons is harder to read, and each
change re-renders the axis and grid"""


def nice_ceiling(value: float) -> float:
    """The smallest 1, 2, 2.5 or 5 × 10^k that is ≥ ``value``."""
    if value <= 0:
        return _MIN_RANGE_MS
    exponent = math.floor(math.log10(value))
    for step in _NICE:
        candidate = step * 10**exponent
        if candidate >= value:
            return float(candidate)
    return float(10 ** (exponent + 1))


def _empty() -> np.ndarray:
    return np.zeros(0)


class LatencyPlot(pg.PlotWidget):  # type: ignore[misc]  # pyqtgraph is untyped
    """The ``latencyPlot`` widget; call :meth:`follow` with a run, the timer does the rest."""

    def __init__(self, parent: QWidget | None = None) -> None:
        self._ready = False  # Qt sends change events while the base class is built
        super().__init__(parent, background=None)
        self.setObjectName("latencyPlot")
        self.setMinimumSize(320, 220)
        self.run: LiveRun | None = None
        self.frames = 0
        """frames drawn since start (for tests and the benchmark)"""
        self.update_ms: deque[float] = deque(maxlen=4096)
        """how long each recent :meth:`redraw` took to update the bar items"""
        self.paint_ms: deque[float] = deque(maxlen=4096)
        """how long each recent paint of the plot took"""
        self._names: tuple[str, ...] = ()
        self._range_ms = _MIN_RANGE_MS
        self._last_longest_ms = 0.0
        self.top_row = 0
        """the first row in view (not 0 only when there are more rows than fit)"""
        self.rows_shown = ROWS_SHOWN
        """how many rows are in view at most (from the plot's height)"""

        item = self.getPlotItem()
        item.setMenuEnabled(False)
        item.hideButtons()
        item.showGrid(x=True, y=False, alpha=0.25)
        item.setLabel("bottom", "latency", units="ms")
        item.getAxis("bottom").enableAutoSIPrefix(False)
        for side in ("left", "bottom"):
            # the axes rarely change but their text is the dearest part of a frame
            # (~1 ms each): paint them from a pixmap cache unless they did change
            item.getAxis(side).setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        view = item.getViewBox()
        view.setMouseEnabled(x=False, y=False)
        view.disableAutoRange()
        view.invertY(True)
        view.sigResized.connect(self._fit_rows)

        self._bars: dict[Status | str, pg.BarGraphItem] = {}
        for category in CATEGORIES:
            bar = pg.BarGraphItem(
                x0=_empty(), y=_empty(), width=_empty(), height=BAR_THICKNESS, pen=pg.mkPen(None)
            )
            bar.setZValue(1)
            item.addItem(bar)
            self._bars[category] = bar
        self._winner_outline = pg.BarGraphItem(
            x0=_empty(), y=_empty(), width=_empty(), height=BAR_THICKNESS + 0.16, brush=None
        )
        self._winner_outline.setZValue(2)
        item.addItem(self._winner_outline)
        self._winner_star = pg.ScatterPlotItem(symbol="star", size=18, pxMode=True)
        self._winner_star.setZValue(3)
        item.addItem(self._winner_star)
        self._winner_label = pg.TextItem(anchor=(0.0, 0.5))
        self._winner_label.setZValue(3)
        item.addItem(self._winner_label)
        self._deadline = pg.InfiniteLine(angle=90, movable=False, label="", labelOpts={})
        self._deadline.setZValue(4)
        self._deadline.hide()
        item.addItem(self._deadline)

        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(FRAME_MS)
        self._timer.timeout.connect(self.redraw)
        self._ready = True
        self.apply_theme()
        self.set_suppliers(())

    # -- set-up --------------------------------------------------------------------------

    def set_suppliers(self, names: tuple[str, ...]) -> None:
        """The rows, top to bottom (config order)."""
        self._names = names
        self.top_row = 0
        self._show_rows()
        self._set_range(_MIN_RANGE_MS)

    @property
    def scrolls(self) -> bool:
        return len(self._names) > self.rows_shown

    def scroll_to(self, top_row: int) -> None:
        """Show the rows from ``top_row`` on (clamped to the rows there are)."""
        self.top_row = max(0, min(top_row, len(self._names) - self.rows_shown))
        self._show_rows()

    def _fit_rows(self) -> None:
        height = self.getPlotItem().getViewBox().height()
        fit = max(ROWS_AT_LEAST, min(ROWS_SHOWN, int(height // ROW_PX)))
        if height > 0 and fit != self.rows_shown:
            self.rows_shown = fit
            self.scroll_to(self.top_row)

    def _show_rows(self) -> None:
        shown = min(max(len(self._names), 1), self.rows_shown)
        top = self.top_row
        # only the rows in view get a tick: the axis measures every label it is given, and
        # a thousand of them made its repaint cost 10 ms
        names = self._names[top : top + shown]
        ticks = [(float(top + i), name) for i, name in enumerate(names)]
        self.getPlotItem().getAxis("left").setTicks([ticks, []])
        self.getPlotItem().getViewBox().setYRange(top - 0.6, top + shown - 0.4, padding=0)
        if self.scrolls:
            label = f"suppliers {top + 1}–{top + shown} of {len(self._names)} · scroll"
            self.getPlotItem().setLabel("left", label)
        else:
            self.getPlotItem().getAxis("left").showLabel(False)

    def wheelEvent(self, event: QWheelEvent) -> None:
        if not self.scrolls:
            super().wheelEvent(event)
            return
        notches = event.angleDelta().y() / 120.0
        self.scroll_to(self.top_row - round(notches * WHEEL_ROWS))
        event.accept()

    def apply_theme(self) -> None:
        dark = style_plot(self)
        text = self.palette().color(QPalette.ColorRole.Text)
        for category, bar in self._bars.items():
            status = None if category == IN_FLIGHT else Status(category)
            bar.setOpts(brush=pg.mkBrush(theme.outcome_color(status, dark)))
        gold = theme.winner_color(dark)
        self._winner_outline.setOpts(pen=pg.mkPen(gold, width=2.5), brush=None)
        self._winner_star.setBrush(pg.mkBrush(gold))
        self._winner_star.setPen(pg.mkPen(text, width=1))
        self._winner_label.setColor(text)
        red = theme.outcome_color(Status.ERROR, dark)
        self._deadline.setPen(pg.mkPen(red, width=2, style=Qt.PenStyle.DashLine))
        self._deadline.label.setColor(red)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if self._ready and event.type() == QEvent.Type.PaletteChange:
            self.apply_theme()

    def paintEvent(self, event: QPaintEvent) -> None:
        started = time.perf_counter()
        super().paintEvent(event)
        self.paint_ms.append((time.perf_counter() - started) * 1000.0)

    # -- driving -------------------------------------------------------------------------

    def follow(self, run: LiveRun, *, draw_now: bool = True) -> None:
        """Draw ``run`` from now on; the previous run's bars are replaced.

        ``draw_now=False``: the first frame comes with the redraw timer, one frame later.
        """
        self.run = run
        if run.names != self._names:
            self.set_suppliers(run.names)
        self._clear_winner()
        wanted_ms = self._last_longest_ms * HEADROOM
        if wanted_ms < self._range_ms * SHRINK_BELOW:
            self._set_range(wanted_ms)
        if self._deadline.value() != run.deadline_ms:
            self._deadline.setPos(run.deadline_ms)
            self._deadline.label.setFormat(f"deadline {run.deadline_ms / 1000.0:g} s")
        self._deadline.setVisible(run.deadline_ms <= self._range_ms)
        if draw_now:  # else a new run's first frame draws every group (all start dirty)
            self.redraw(all_groups=True)
        if not self._timer.isActive():
            self._timer.start()

    @property
    def animating(self) -> bool:
        return self._timer.isActive()

    def redraw(self, *, all_groups: bool = False) -> float:
        """Apply the run's latest bars; returns the time it took in ms."""
        started = time.perf_counter()
        run = self.run
        if run is None:
            self._timer.stop()
            return 0.0
        frame = run.frame(all_groups=all_groups)
        wanted_ms = frame.longest_ms * HEADROOM
        if wanted_ms > self._range_ms:
            self._set_range(wanted_ms)
        stub = self._range_ms * 0.012
        for category, (rows, lengths) in frame.groups.items():
            if category == Status.CIRCUIT_OPEN:
                lengths = np.full(len(rows), stub)
            self._bars[category].setOpts(x0=0.0, y=rows, width=lengths, height=BAR_THICKNESS)
        if run.done:
            self._last_longest_ms = frame.longest_ms
            self._timer.stop()
            if run.comparison is not None:
                self._mark_winner(run.comparison)
        self.frames += 1
        elapsed = (time.perf_counter() - started) * 1000.0
        self.update_ms.append(elapsed)
        return elapsed

    def finish(self, comparison: Comparison | None = None) -> None:
        """The comparison is over (or was cancelled): draw its final bars and stop."""
        if self.run is None:
            return
        if comparison is not None:
            self.run.on_finished(comparison)
        self.redraw()
        self._timer.stop()

    def forget_run(self) -> None:
        """Nothing to show (another config was opened): no bars, no winner, no deadline.
        (Not ``clear``: PlotWidget sets that on each instance, to PlotItem.clear.)"""
        self._timer.stop()
        self.run = None
        for bar in self._bars.values():
            bar.setOpts(x0=0.0, y=_empty(), width=_empty(), height=BAR_THICKNESS)
        self._clear_winner()
        self._deadline.setVisible(False)

    # -- helpers -------------------------------------------------------------------------

    def _set_range(self, needed_ms: float) -> None:
        self._range_ms = nice_ceiling(max(needed_ms, _MIN_RANGE_MS))
        deadline = self.run.deadline_ms if self.run is not None else math.inf
        self._deadline.setVisible(deadline <= self._range_ms)
        self.getPlotItem().getViewBox().setXRange(0.0, self._range_ms, padding=0.02)
        if self.run is not None:
            circuit_open = self._bars[Status.CIRCUIT_OPEN]
            rows = circuit_open.opts.get("y")
            if rows is not None and len(rows):
                circuit_open.setOpts(width=np.full(len(rows), self._range_ms * 0.012))

    def _clear_winner(self) -> None:
        if self.winner_row() is None:
            return
        self._winner_outline.setOpts(x0=0.0, y=_empty(), width=_empty())
        self._winner_star.setData([], [])
        self._winner_label.setText("")

    def _mark_winner(self, comparison: Comparison) -> None:
        run = self.run
        winner = comparison.winner if comparison.decided else None
        if run is None or winner is None:
            self._clear_winner()
            return
        row = run.row(winner.supplier)
        if row is None:
            return
        length = float(run.length_ms[row])
        self._winner_outline.setOpts(
            x0=0.0, y=np.array([float(row)]), width=np.array([max(length, 0.5)])
        )
        pad = self._range_ms * 0.015
        self._winner_star.setData([length + pad], [float(row)])
        self._winner_label.setText(f"winner {length:.0f} ms")
        self._winner_label.setPos(length + 2.2 * pad, float(row))

    def winner_row(self) -> int | None:
        """The row the winner marker is on (``None`` when nothing is marked)."""
        rows = self._winner_outline.opts.get("y")
        return int(rows[0]) if rows is not None and len(rows) else None

    @property
    def names(self) -> tuple[str, ...]:
        """The suppliers' rows, top to bottom."""
        return self._names

    def bar_lengths(self) -> dict[str, float]:
        """Each drawn bar's length in ms by supplier name (for tests)."""
        lengths: dict[str, float] = {}
        for category, bar in self._bars.items():
            if category == Status.CIRCUIT_OPEN:
                continue
            rows, widths = bar.opts.get("y"), bar.opts.get("width")
            if rows is None or widths is None:
                continue
            for row, width in zip(np.atleast_1d(rows), np.atleast_1d(widths), strict=False):
                lengths[self._names[int(row)]] = float(width)
        return lengths


class _LegendChip(QWidget):
    def __init__(self, status: Status | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.status = status
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        self.swatch = QLabel()
        self.swatch.setFixedSize(12, 12)
        layout.addWidget(self.swatch)
        layout.addWidget(QLabel(theme.outcome_label(status)))
        self.apply_theme()

    def apply_theme(self) -> None:
        color = theme.outcome_color(self.status, theme.is_dark(self.palette()))
        self.swatch.setStyleSheet(f"background: {color.name()}; border-radius: 2px;")


class LatencyPanel(QWidget):
    """The plot with a title line and a colour legend under it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(4)
        self.title = QLabel("No comparison yet — press Compare (Ctrl+Return)")
        self.title.setObjectName("latencyTitle")
        font = self.title.font()
        font.setBold(True)
        self.title.setFont(font)
        layout.addWidget(self.title)
        self.plot = LatencyPlot(self)
        layout.addWidget(self.plot, 1)
        legend = QHBoxLayout()
        legend.setSpacing(14)
        self._chips = [_LegendChip(None if c == IN_FLIGHT else Status(c), self) for c in CATEGORIES]
        for chip in self._chips:
            legend.addWidget(chip)
        star = QLabel("★ winner")
        legend.addWidget(star)
        legend.addStretch(1)
        layout.addLayout(legend)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            for chip in self._chips:
                chip.apply_theme()
