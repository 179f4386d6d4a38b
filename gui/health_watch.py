"""Live health in the window: probing, the health view, the trend column and the alerts.

:class:`HealthWatch` is built once by the main window and attached to each session. It
starts the session's probing (the monitor stops when the session closes), owns the
"Pause probing" action, feeds the health view and the destinations table's trend column,
and raises an alert (status bar, Event log, tray message where a tray exists) when a
breaker opens or a supplier's p95 reaches its timeout. One 250 ms timer does the
periodic work, each part within a small time budget (2.5 ms in all).
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer
from PySide6.QtGui import QAction, QIcon
from PySide6.QtWidgets import QLabel, QStatusBar, QSystemTrayIcon, QWidget

from core import Event
from core.health import Alert, HealthAlerts
from gui.models.destinations_model import DestinationsModel
from gui.session import Session
from gui.sparkline import TREND_BUCKET_S, TREND_SPAN_S, sparkline
from gui.widgets.elided_label import ElidedLabel
from gui.widgets.event_log import EventLog, Level
from gui.widgets.health_view import HealthView

__all__ = ["HealthWatch"]

TICK_MS = 250
ALERT_SHOWN_MS = 30_000
"""how long the status bar keeps showing the last alert"""
TREND_BUDGET_S = 0.0015
"""per tick, at most this long recomputing trend cells (the rest wait for the next tick):
the loop-lag probe of the window benchmark saw a 7 ms tick once a second in its p99"""


class HealthWatch(QObject):
    def __init__(
        self,
        view: HealthView,
        model: DestinationsModel,
        event_log: EventLog,
        status_bar: QStatusBar,
        parent: QWidget,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(parent)
        self.view = view
        self.model = model
        self.event_log = event_log
        self.clock = clock
        self.session: Session | None = None
        self.alerts: deque[Alert] = deque(maxlen=200)
        """the latest alerts raised, oldest first"""
        self.tick_ms: deque[float] = deque(maxlen=4096)
        """how long each recent :meth:`tick` took (for the benchmark)"""
        self._watcher: HealthAlerts | None = None
        self._trend_row = 0
        self._tray: QSystemTrayIcon | None = None
        self._window = parent

        self.pause_action = QAction("&Pause probing", self)
        self.pause_action.setObjectName("pauseProbingAction")
        self.pause_action.setCheckable(True)
        self.pause_action.setStatusTip("Stop sending health probes (comparisons still run)")
        self.pause_action.toggled.connect(self.set_paused)
        view.pause_button.setDefaultAction(self.pause_action)

        self.probing_label = QLabel(parent)
        self.probing_label.setObjectName("probingLabel")
        self.alert_label = ElidedLabel(parent=parent)
        self.alert_label.setObjectName("alertLabel")
        # the comparison's outcome beside it matters more: the alert is in the Event log too
        self.alert_label.setMaximumWidth(self.alert_label.fontMetrics().averageCharWidth() * 48)
        status_bar.addPermanentWidget(self.alert_label)
        status_bar.addPermanentWidget(self.probing_label)
        self._alert_expiry = QTimer(self)
        self._alert_expiry.setSingleShot(True)
        self._alert_expiry.setInterval(ALERT_SHOWN_MS)
        self._alert_expiry.timeout.connect(self.alert_label.clear)

        self._timer = QTimer(self)
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(self.tick)
        self._timer.start()

    # -- sessions --------------------------------------------------------------------------

    def attach(self, session: Session, *, probing: bool) -> None:
        """Watch ``session`` from now on (its probing starts unless ``probing`` is False)."""
        self.session = session
        self._watcher = watcher = HealthAlerts(
            session.config, session.health_window, self._raise, clock=self.clock
        )

        def observe(event: Event) -> None:
            if self.session is session:  # a replaced session's last events are not ours
                watcher.observe(event)

        session.subscribe(observe)
        self.view.set_source(session.health_window, session.supplier_names)
        self._trend_row = 0
        if probing:
            session.start_probing()
            session.set_probing_paused(self.pause_action.isChecked())
        self.pause_action.setEnabled(probing)
        self._show_probing()

    def set_paused(self, paused: bool) -> None:
        if self.session is not None:
            self.session.set_probing_paused(paused)
        self._show_probing()

    def _show_probing(self) -> None:
        session = self.session
        if session is None or session.comparator.health_monitor is None:
            self.probing_label.setText("probing off")
        elif self.pause_action.isChecked():
            self.probing_label.setText("probing paused")
        else:
            self.probing_label.setText(f"probing every {session.config.health.interval:g} s")

    # -- periodic work -----------------------------------------------------------------------

    def tick(self) -> None:
        started = time.perf_counter()
        if self._watcher is not None:
            self._watcher.check()
        self.refresh_trends()
        self.tick_ms.append((time.perf_counter() - started) * 1000.0)

    def refresh_trends(self, budget_s: float = TREND_BUDGET_S) -> None:
        """Recompute trend cells round-robin, for at most ``budget_s``."""
        session = self.session
        if session is None:
            return
        names = session.supplier_names
        if not names:
            return
        now = self.clock()
        ends = time.perf_counter() + budget_s
        for _ in range(len(names)):
            row = self._trend_row % len(names)
            self._trend_row = row + 1
            buckets = session.health_window.series(
                names[row], span_s=TREND_SPAN_S, bucket_s=TREND_BUCKET_S, now=now
            )
            self.model.set_trend(row, sparkline(buckets))
            if time.perf_counter() >= ends:
                break

    # -- alerts ------------------------------------------------------------------------------

    def _raise(self, alert: Alert) -> None:
        self.alerts.append(alert)
        # a warning, as the transition's own line: errors in this log are the app's faults
        self.event_log.add(Level.WARNING, "health", alert.message, alert.at)
        self.alert_label.setText(f"⚠ {alert.message}")
        self._alert_expiry.start()
        tray = self._tray_icon()
        if tray is not None:
            tray.showMessage(
                "Scatterdash", alert.message, QSystemTrayIcon.MessageIcon.Warning, 10_000
            )

    def _tray_icon(self) -> QSystemTrayIcon | None:
        if self._tray is None and QSystemTrayIcon.isSystemTrayAvailable():
            icon: QIcon = self._window.windowIcon()
            self._tray = QSystemTrayIcon(icon, self)
            self._tray.setToolTip("Scatterdash")
            self._tray.show()
        return self._tray

    def stop(self) -> None:
        self._timer.stop()
        self._alert_expiry.stop()
        self.view.stop()
        if self._tray is not None:
            self._tray.hide()
