"""The health view: one supplier's last 15 minutes of call and probe latency.

A pyqtgraph chart of the p50 and p95 per 15-second bucket (the band between them filled),
the buckets with failures marked along the top, and the breaker's states other than
closed as coloured spans behind. Drawn from :class:`core.HealthWindow` by one 1-second
timer while the view is visible; every item is updated in place, never re-created, and
time comes from an injectable clock (tests draw from a fake one).
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QToolButton, QVBoxLayout, QWidget

from core import BreakerState, BreakerTransition, HealthWindow, Status
from gui import theme
from gui.widgets.latency_plot import nice_ceiling
from gui.widgets.plot_style import style_plot

__all__ = ["SPAN_S", "HealthChart", "HealthView", "breaker_spans"]

SPAN_S = 15 * 60.0
BUCKET_S = 15.0
REDRAW_MS = 1000
_SPAN_STATES = (
    BreakerState.OPEN,
    BreakerState.HALF_OPEN,
    BreakerState.FORCED_OPEN,
    BreakerState.DISABLED,
)


def breaker_spans(
    transitions: Sequence[BreakerTransition], since: float, now: float
) -> dict[BreakerState, list[tuple[float, float]]]:
    """(start, end) wall-clock spans of each state other than closed, clipped to the span."""
    spans: dict[BreakerState, list[tuple[float, float]]] = {}
    for index, transition in enumerate(transitions):
        end = transitions[index + 1].at if index + 1 < len(transitions) else now
        start = max(transition.at, since)
        state = BreakerState(transition.new)
        if end > start and state in _SPAN_STATES:
            spans.setdefault(state, []).append((start, end))
    return spans


def _minutes(values: Sequence[float] | np.ndarray, now: float) -> np.ndarray:
    return (np.asarray(values, dtype=np.float64) - now) / 60.0


class HealthChart(pg.PlotWidget):  # type: ignore[misc]  # pyqtgraph is untyped
    """The ``healthChart``: x in minutes before now (−15 … 0), y in milliseconds."""

    def __init__(self, parent: QWidget | None = None) -> None:
        self._ready = False
        super().__init__(parent, background=None)
        self.setObjectName("healthChart")
        self.setMinimumSize(320, 110)  # the bottom tabs leave the destinations every row
        item = self.getPlotItem()
        item.setMenuEnabled(False)
        item.hideButtons()
        item.showGrid(x=True, y=True, alpha=0.2)
        item.setLabel("bottom", "minutes ago")
        item.setLabel("left", "latency", units="ms")
        item.getAxis("left").enableAutoSIPrefix(False)
        view = item.getViewBox()
        view.setMouseEnabled(x=False, y=False)
        view.disableAutoRange()
        view.setXRange(-SPAN_S / 60.0, 0.0, padding=0.01)
        self.top_ms = 100.0

        self.spans: dict[BreakerState, pg.BarGraphItem] = {}
        for state in _SPAN_STATES:
            span = pg.BarGraphItem(
                x0=np.zeros(0), width=np.zeros(0), y0=0.0, height=1.0, pen=pg.mkPen(None)
            )
            span.setZValue(-10)
            item.addItem(span)
            self.spans[state] = span
        self.p50 = pg.PlotDataItem(connect="finite", name="p50")
        self.p95 = pg.PlotDataItem(connect="finite", name="p95")
        self.band = pg.FillBetweenItem(self.p50, self.p95)
        self.band.setZValue(-1)
        item.addItem(self.band)
        item.addItem(self.p95)
        item.addItem(self.p50)
        # a dot per bucket as well as the lines: a lone bucket (the first 15 s, or one
        # between gaps) has no neighbour to draw a line to
        self.dots = pg.ScatterPlotItem(symbol="o", size=4, pxMode=True)
        item.addItem(self.dots)
        self.failures = pg.ScatterPlotItem(symbol="x", size=9, pxMode=True)
        item.addItem(self.failures)
        self._ready = True
        self.apply_theme()

    def apply_theme(self) -> None:
        dark = style_plot(self)
        blue = QColor(theme.IN_FLIGHT[1 if dark else 0])
        self.p50.setPen(pg.mkPen(blue, width=1))
        self.p95.setPen(pg.mkPen(blue, width=1, style=Qt.PenStyle.DashLine))
        self.dots.setPen(pg.mkPen(blue))
        self.dots.setBrush(pg.mkBrush(blue))
        fill = QColor(blue)
        fill.setAlpha(60)
        self.band.setBrush(pg.mkBrush(fill))
        red = theme.outcome_color(Status.ERROR, dark)
        self.failures.setPen(pg.mkPen(red, width=1.5))
        self.failures.setBrush(pg.mkBrush(red))
        for state, span in self.spans.items():
            color = QColor(theme.breaker_swatch(state, dark).fill)
            color.setAlpha(70)
            span.setOpts(brush=pg.mkBrush(color))

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if self._ready and event.type() == QEvent.Type.PaletteChange:
            self.apply_theme()

    def draw(self, window: HealthWindow, supplier: str, now: float) -> None:
        buckets = window.series(supplier, span_s=SPAN_S, bucket_s=BUCKET_S, now=now)
        middles = _minutes([b.start + BUCKET_S / 2 for b in buckets], now)
        p50 = np.array([np.nan if b.p50_ms is None else b.p50_ms for b in buckets])
        p95 = np.array([np.nan if b.p95_ms is None else b.p95_ms for b in buckets])
        highest = float(np.nanmax(p95)) if np.isfinite(p95).any() else 0.0
        self.top_ms = nice_ceiling(highest * 1.15)
        self.getPlotItem().getViewBox().setYRange(0.0, self.top_ms, padding=0)
        # a gap where nothing finished; the band follows the curves (NaN = gap)
        self.p50.setData(middles, p50)
        self.p95.setData(middles, p95)
        both = np.concatenate((p50, p95))
        drawn = np.isfinite(both)  # NaN: no call finished in that bucket
        self.dots.setData(np.concatenate((middles, middles))[drawn], both[drawn])
        failed = [i for i, b in enumerate(buckets) if b.errors]
        self.failures.setData(middles[failed], np.full(len(failed), self.top_ms * 0.95))
        since = now - SPAN_S
        spans = breaker_spans(window.transitions(supplier, since), since, now)
        for state, item in self.spans.items():
            ranges = spans.get(state, [])
            starts = _minutes([start for start, _ in ranges], now)
            widths = np.array([(end - start) / 60.0 for start, end in ranges])
            item.setOpts(x0=starts, width=widths, y0=0.0, height=self.top_ms)

    def span_minutes(self, state: BreakerState) -> list[tuple[float, float]]:
        """The drawn spans of ``state`` as (start, end) in minutes before now (for tests)."""
        item = self.spans[state]
        starts, widths = item.opts.get("x0"), item.opts.get("width")
        if starts is None or widths is None:
            return []
        return [(float(s), float(s + w)) for s, w in zip(starts, widths, strict=True)]


class HealthView(QWidget):
    """The ``healthView``: pick a supplier, see its last 15 minutes."""

    supplierChanged = Signal(str)

    def __init__(
        self, parent: QWidget | None = None, *, clock: Callable[[], float] = time.time
    ) -> None:
        super().__init__(parent)
        self.setObjectName("healthView")
        self.clock = clock
        self.source: HealthWindow | None = None
        self.redraw_ms: deque[float] = deque(maxlen=4096)
        """how long each recent :meth:`redraw` took (for the benchmark)"""

        self.supplier_combo = QComboBox(self)
        self.supplier_combo.setObjectName("healthSupplierCombo")
        self.supplier_combo.setMinimumContentsLength(16)
        self.supplier_combo.currentTextChanged.connect(self._on_supplier)
        self.stats_label = QLabel(self)
        self.stats_label.setObjectName("healthStatsLabel")
        self.pause_button = QToolButton(self)
        self.pause_button.setObjectName("pauseProbingButton")
        self.pause_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.chart = HealthChart(self)

        header = QHBoxLayout()
        header.setSpacing(8)
        header.addWidget(QLabel("Supplier:"))
        header.addWidget(self.supplier_combo)
        header.addWidget(self.stats_label, 1)
        header.addWidget(self.pause_button)
        legend = QLabel(
            "solid: p50 · dashed: p95 (15 s buckets) · ✕ failures · "
            "red span: open · amber: half-open · grey: held open or disabled"
        )
        legend.setObjectName("healthLegend")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.setSpacing(4)
        layout.addLayout(header)
        layout.addWidget(self.chart, 1)
        layout.addWidget(legend)

        self._timer = QTimer(self)
        self._timer.setInterval(REDRAW_MS)
        self._timer.timeout.connect(self._tick)
        self._timer.start()

    def set_source(self, window: HealthWindow, names: Sequence[str]) -> None:
        """Another session: its rolling statistics and suppliers."""
        self.source = window
        current = self.supplier
        self.supplier_combo.blockSignals(True)
        self.supplier_combo.clear()
        self.supplier_combo.addItems(list(names))
        if current in names:
            self.supplier_combo.setCurrentText(current)
        self.supplier_combo.blockSignals(False)
        self.redraw()

    @property
    def supplier(self) -> str:
        return self.supplier_combo.currentText()

    def show_supplier(self, name: str) -> None:
        if self.supplier_combo.findText(name) >= 0:
            self.supplier_combo.setCurrentText(name)

    def _on_supplier(self, name: str) -> None:
        self.redraw()
        self.supplierChanged.emit(name)

    def _tick(self) -> None:
        if self.isVisible():  # a hidden or tabbed-away view costs nothing
            self.redraw()

    def redraw(self) -> None:
        window, supplier = self.source, self.supplier
        if window is None or not supplier:
            return
        started = time.perf_counter()
        now = self.clock()
        self.chart.draw(window, supplier, now)
        self.stats_label.setText(self._stats_text(window, supplier, now))
        self.redraw_ms.append((time.perf_counter() - started) * 1000.0)

    @staticmethod
    def _stats_text(window: HealthWindow, supplier: str, now: float) -> str:
        stats = window.stats(supplier, now)
        if not stats.calls:
            return f"no calls or probes in the last {window.window_s:g} s"

        def ms(value: float | None) -> str:
            return "—" if value is None else f"{value:.0f} ms"

        rate = stats.error_rate or 0.0
        return (
            f"last {window.window_s:g} s: p50 {ms(stats.p50_ms)} · p95 {ms(stats.p95_ms)} · "
            f"p99 {ms(stats.p99_ms)} · errors {stats.errors}/{stats.calls} ({rate:.0%})"
        )

    def stop(self) -> None:
        self._timer.stop()
