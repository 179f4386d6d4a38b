"""The main window: docks around the live latency plot, wired to a :class:`Session`.

Build it while a qasync loop is running (``gui.MainWindow(config)``), show it, and when
it is closed (``closed`` signal) await :meth:`MainWindow.aclose`, which cancels every
comparison in flight and closes the connections. Slots here are one-line shims; the work
happens in the session (Qt-free), the live run (Qt-free) and the panels.

File → Open config… replaces the session (:meth:`MainWindow.open_config`); File → Export
result… saves the last comparison (:meth:`MainWindow.export_result`). Their dialogs are
opened with ``open()``, never ``exec()``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from html import escape
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings, QStandardPaths, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import QLabel, QMainWindow, QWidget

from core import (
    BreakerTransition,
    CallResult,
    CallSent,
    Comparison,
    ComparisonFinished,
    ComparisonStarted,
    Config,
    ConfigError,
    Event,
    ProbeCompleted,
    load_config,
)
from gui import dock_layout, exporting, theme, window_settings
from gui.config_dialogs import config_error_text, open_config_dialog, show_config_error
from gui.errors import LogBridge
from gui.health_feed import HealthFeed
from gui.health_watch import HealthWatch
from gui.history import HistoryKeeper, default_history_path, legacy_history_paths
from gui.history_browser import HistoryBrowser
from gui.icons import icon
from gui.live import LiveRun
from gui.models.destinations_model import DestinationsModel
from gui.models.history_model import HistoryEntry, HistoryModel
from gui.session import BreakerAction, Session, Ticket
from gui.tasks import TaskSet
from gui.widgets.destinations_view import DestinationsPanel
from gui.widgets.elided_label import ElidedLabel
from gui.widgets.event_log import EventLog, Level
from gui.widgets.fallback_note import FallbackNote
from gui.widgets.fleet_panel import FleetControl, FleetPanel
from gui.widgets.health_view import HealthView
from gui.widgets.history_view import HistoryPanel
from gui.widgets.latency_plot import LatencyPanel
from gui.widgets.result_panel import ResultPanel
from gui.widgets.ticket import TicketPanel
from gui.widgets.tls_warning import TlsWarning
from gui.wording import health_words, outcome_line, window_title

__all__ = ["MainWindow"]

log = logging.getLogger("scatterdash.gui")

HEALTH_REFRESH_MS = 250
"""how often the destinations table picks up changed rows and breaker countdowns"""
PROGRESS_REFRESH_MS = 100
"""the progress line is redrawn at most this often (QProgressBar repaints synchronously)"""
SETTINGS_VERSION = 4
"""bumped when docks are added or the default layout changes: an older saved layout is
not restored"""
DEFAULT_SIZE = (1440, 900)
STATUS_MESSAGE_MS = 10_000
DEMO_SOURCE = "resources/demo.toml"
"""what the title names as the embedded demo fleet's config"""
FINISHING_GRACE_S = 0.5
"""on close, history lines, exports and session closes under way get this long to finish"""


class MainWindow(QMainWindow):
    closed = Signal()
    """emitted from ``closeEvent``: time to await :meth:`aclose`"""

    def __init__(
        self,
        config: Config,
        *,
        fleet: FleetControl | None = None,
        session: Session | None = None,
        settings: QSettings | None = None,
        remember_layout: bool = True,
        history_path: Path | None = None,
        probing: bool = True,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("mainWindow")
        # the Event log and the log bridge first: core logs warnings (TLS verification off)
        # while the comparator is built, and the operator must see them
        self.event_log = EventLog(self)
        self.log_bridge = LogBridge(self)
        self.log_bridge.record.connect(self._on_log_record)
        self.log_bridge.attach()
        try:
            self.session = session or Session(config)  # ConfigError: an API key is not set
        except BaseException:
            self.log_bridge.detach()
            raise
        self.config = config
        self.fleet = fleet
        self.settings = settings or QSettings()
        self.remember_layout = remember_layout
        """restore and save geometry, dock layout and ticket in ``settings``"""
        self.probing = probing
        """probe the suppliers' health while the window is open (the ``[health]`` interval)"""
        self.tasks = TaskSet()
        self.finishing = TaskSet()
        """work that should finish rather than be cut short (history lines, exports, closing
        a replaced session): on close it gets a moment before it is cancelled"""
        self.run: LiveRun | None = None
        """the comparison the plot and the progress line follow (the latest started)"""
        self.comparison: Comparison | None = None
        self.comparison_task: asyncio.Task[Comparison | None] | None = None
        self._closing = False
        self._close_task: asyncio.Task[None] | None = None
        self._progress_pending = False
        self._health_pending = False
        self._cancel_reason = "cancelled by the operator"
        self._replacing = False
        """another config's session is being swapped in: no new comparison meanwhile"""
        self._unsubscribe_events: Callable[[], None] = lambda: None
        self._dialog_dir = Path(
            QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
            or Path.home()
        )

        self.setWindowIcon(icon("scatterdash"))
        self.setDockOptions(
            QMainWindow.DockOption.AnimatedDocks
            | QMainWindow.DockOption.AllowTabbedDocks
            | QMainWindow.DockOption.AllowNestedDocks
        )

        # -- panels ------------------------------------------------------------------------
        self.destinations_model = DestinationsModel(config, self)
        self.destinations = DestinationsPanel(self.destinations_model, self)
        self.latency = LatencyPanel(self)
        self.latency_plot = self.latency.plot
        self.ticket = TicketPanel(config.defaults, len(config.suppliers), self)
        self.result = ResultPanel(self)
        self.history_model = HistoryModel(self)
        self.history_panel = HistoryPanel(self.history_model, self)
        self.history = HistoryKeeper(
            history_path or default_history_path(),
            self.history_model,
            keep_days=config.history.keep_days,
            legacy=() if history_path else legacy_history_paths(),
        )
        self.fallback_note = FallbackNote.below_headline(self.result)
        self.fleet_panel = FleetPanel(fleet, self._spawn, self) if fleet is not None else None
        self.health_view = HealthView(self)

        self.setCentralWidget(self.latency)
        self.docks = dock_layout.arrange(
            self,
            dock_layout.Panes(
                destinations=self.destinations,
                ticket=self.ticket,
                result=self.result,
                event_log=self.event_log,
                history=self.history_panel,
                health=self.health_view,
                fleet=self.fleet_panel,
            ),
        )
        self._laid_out = False
        """the dock layout is applied on the first show, when the window has its size"""

        # -- status bar ----------------------------------------------------------------------
        status = self.statusBar()
        status.setObjectName("statusBar")
        self.health_label = QLabel(self)
        self.health_label.setObjectName("healthLabel")
        self.health_label.setTextFormat(Qt.TextFormat.RichText)
        self.last_label = ElidedLabel("no comparison yet", self)
        self.last_label.setObjectName("lastComparisonLabel")
        self.tls_warning = TlsWarning(self)
        self.source_label = QLabel(self)
        self.source_label.setObjectName("sourceLabel")
        status.addWidget(self.health_label)
        status.addWidget(self.last_label, 1)
        status.addPermanentWidget(self.tls_warning)
        status.addPermanentWidget(self.source_label)

        self.health_watch = HealthWatch(
            self.health_view, self.destinations_model, self.event_log, status, self
        )

        # -- menus and keys ------------------------------------------------------------------
        self._build_menus()
        self.menuBar().addMenu("&Health").addAction(self.health_watch.pause_action)
        for keys in ("Ctrl+Return", "Ctrl+Enter"):
            QShortcut(QKeySequence(keys), self, self.start_comparison)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, self.cancel_comparison)

        # -- wiring ----------------------------------------------------------------------------
        self.ticket.compareRequested.connect(self.start_comparison)
        self.ticket.cancelRequested.connect(self.cancel_comparison)
        self.destinations.actionRequested.connect(self.apply_breaker_action)
        self.history_panel.entryActivated.connect(self.ask_again)
        self.history_browser = HistoryBrowser(self)
        self.destinations.table.selectionModel().selectionChanged.connect(
            lambda *_: self._show_selected_health()
        )
        self._handlers: dict[type, Callable[[Any], None]] = {
            CallSent: self._on_sent,
            CallResult: self._on_result,
            ComparisonStarted: self._on_started,
            ComparisonFinished: self._on_finished_event,
            BreakerTransition: self._on_transition,
            ProbeCompleted: self._on_probe,
        }
        self.health_feed: HealthFeed  # one per session, built by _attach
        self._attach(self.session, DEMO_SOURCE if fleet is not None else config.source)
        self._health_timer = QTimer(self)
        self._health_timer.setInterval(HEALTH_REFRESH_MS)
        self._health_timer.timeout.connect(self.refresh_health)
        self._health_timer.start()
        self._default_state = self.saveState(SETTINGS_VERSION)
        if remember_layout:
            self._restore_settings()
        else:
            self.resize(*DEFAULT_SIZE)
        self.tasks.spawn(self.history.load(), name="history load")

    # -- layout helpers --------------------------------------------------------------------

    def _default_dock_sizes(self) -> None:
        dock_layout.default_dock_sizes(self, self.docks, self.destinations)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._laid_out:
            self._laid_out = True
            self.ticket.product_edit.setFocus()  # keyboard first: type a SKU, Ctrl+Return
            state = window_settings.saved_layout(self.settings) if self.remember_layout else None
            if state is None or not self.restoreState(state, SETTINGS_VERSION):
                self._default_dock_sizes()

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        self.open_config_action = QAction("&Open config…", self)
        self.open_config_action.setObjectName("openConfigAction")
        self.open_config_action.setShortcut(QKeySequence("Ctrl+O"))
        self.open_config_action.setStatusTip("Replace the suppliers with those of a config file")
        self.open_config_action.triggered.connect(self.choose_config)
        self.export_action = QAction("&Export result…", self)
        self.export_action.setObjectName("exportAction")
        self.export_action.setShortcut(QKeySequence("Ctrl+E"))
        self.export_action.setStatusTip("Save the last comparison as JSON or CSV")
        self.export_action.setEnabled(False)
        self.export_action.triggered.connect(self.choose_export)
        file_menu.addAction(self.open_config_action)
        file_menu.addAction(self.export_action)
        file_menu.addSeparator()
        quit_action = QAction("&Quit", self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)

        compare_menu = bar.addMenu("&Comparison")
        compare_action = QAction(icon("compare"), "&Compare", self)
        compare_action.setShortcutVisibleInContextMenu(True)
        compare_action.setToolTip("Ctrl+Return")
        compare_action.triggered.connect(self.start_comparison)
        cancel_action = QAction(icon("cancel"), "C&ancel", self)
        cancel_action.setToolTip("Esc")
        cancel_action.triggered.connect(self.cancel_comparison)
        compare_menu.addAction(compare_action)
        compare_menu.addAction(cancel_action)

        breaker_menu = bar.addMenu("&Breakers")
        for action in self.destinations.actions_by_kind.values():
            breaker_menu.addAction(action)

        view_menu = self.view_menu = bar.addMenu("&View")
        for dock in self.docks.values():
            view_menu.addAction(dock.toggleViewAction())
        view_menu.addSeparator()
        reset_layout = QAction("Reset &layout", self)
        reset_layout.triggered.connect(self.reset_layout)
        view_menu.addAction(reset_layout)

    # -- comparisons -----------------------------------------------------------------------

    @property
    def comparing(self) -> bool:
        return self.comparison_task is not None and not self.comparison_task.done()

    def start_comparison(
        self, ticket: Ticket | None = None
    ) -> asyncio.Task[Comparison | None] | None:
        """Start a comparison from the ticket (unless one is already running)."""
        if self.comparing or self._closing or self._replacing:
            return None
        ticket = ticket if isinstance(ticket, Ticket) else self.ticket.ticket()
        self.comparison_task = self.tasks.spawn(self._compare(ticket), name="comparison")
        return self.comparison_task

    async def _compare(self, ticket: Ticket) -> Comparison | None:
        self.ticket.set_running(True)
        # what Export saves is what is shown: the previous result until this one ends
        # is no longer on screen (a cancel or a refused ticket shows none either)
        self.comparison = None
        self.export_action.setEnabled(False)
        try:
            return await self.session.compare(ticket)
        except ValueError as exc:
            self.result.show_error(str(exc))
            self.event_log.add(Level.ERROR, "ticket", str(exc))
            return None
        except asyncio.CancelledError:
            if not self._closing:
                self._on_cancelled()
            raise
        finally:
            if not self._closing:
                self.ticket.set_running(False)

    def cancel_comparison(self) -> bool:
        """Cancel the running comparison; every call in flight is abandoned."""
        if not self.comparing or self.comparison_task is None:
            return False
        self._cancel_reason = "cancelled by the operator"
        self.comparison_task.cancel()
        return True

    def _on_cancelled(self) -> None:
        self.latency_plot.finish()
        self.result.show_cancelled(self.run)
        self.event_log.add(Level.WARNING, "comparison", self._cancel_reason)
        self.last_label.setText("last comparison cancelled")
        if self.run is not None:
            run = self.run
            self.ticket.set_progress(run.finished, run.sent, f"cancelled · {run.progress_text()}")

    # -- engine events (synchronous, on the loop's thread) --------------------------------

    def on_event(self, event: Event) -> None:
        handler = self._handlers.get(type(event))
        if handler is not None:
            handler(event)

    def _on_sent(self, event: CallSent) -> None:
        self.health_feed.mark(event.supplier)
        run = self.run
        if run is not None and event.correlation_id == run.correlation_id:
            run.on_sent(event)
            self._schedule_progress()

    def _on_transition(self, event: BreakerTransition) -> None:
        self.event_log.add_transition(event)
        self.health_feed.mark(event.supplier)
        # not refresh_health() here: this event may come from inside one (an open breaker
        # turns half-open when the feed reads its state), and a tick must not re-enter
        self._schedule_health()

    def _on_probe(self, event: ProbeCompleted) -> None:
        self.health_feed.mark(event.supplier)  # the row shows probes as it shows calls

    def _on_started(self, event: ComparisonStarted) -> None:
        self.fallback_note.clear()
        self.run = LiveRun(event, self.session.supplier_names)
        # drawn now, the first frame (and its paint) would land in the middle of a fast
        # comparison: `first` with instant suppliers took 1 ms longer (bench_gui.py)
        self.latency_plot.follow(self.run, draw_now=False)
        self.latency.title.setText(
            f"Live latency — {event.strategy} · deadline {event.deadline_s:g} s"
        )
        self.result.show_running(self.run)

    def _on_result(self, event: CallResult) -> None:
        self.health_feed.mark(event.result.name)
        run = self.run
        if run is None or event.correlation_id != run.correlation_id:
            return
        run.on_result(event)
        self._schedule_progress()

    def _schedule_progress(self) -> None:
        """Show the progress once per event-loop turn, however many events arrived."""
        if not self._progress_pending:
            self._progress_pending = True
            QTimer.singleShot(PROGRESS_REFRESH_MS, self, self._show_progress)

    def _show_progress(self) -> None:
        self._progress_pending = False
        run = self.run
        if run is not None and not self._closing:
            self.ticket.set_progress(run.finished, run.sent, run.progress_text())

    def _on_finished_event(self, event: ComparisonFinished) -> None:
        self.history.record(event.comparison)  # every comparison of the session
        self._on_finished(event.comparison)

    def _on_finished(self, comparison: Comparison) -> None:
        run = self.run
        if run is None or comparison.correlation_id != run.correlation_id:
            return
        self.comparison = comparison
        self.export_action.setEnabled(True)
        self.latency_plot.finish(comparison)
        self.result.show_comparison(comparison)
        self.ticket.set_progress(run.finished, run.sent, run.progress_text())
        text = outcome_line(comparison)
        if comparison.decided and comparison.winner is not None:
            self.event_log.add(Level.INFO, "comparison", text)
        else:
            self.event_log.add(Level.WARNING, "comparison", text)
            self.history_browser.suggest_fallback(comparison)
        self.last_label.setText(f"{text} · {comparison.elapsed_ms:.0f} ms")

    def ask_again(self, entry: HistoryEntry) -> None:
        """Put a past comparison's product, quantity and strategy back on the ticket."""
        self.ticket.fill(entry.product_id, entry.quantity, entry.strategy)

    # -- the session: at start, and when another config is opened ----------------------

    def _attach(self, session: Session, source: str) -> None:
        """Point the window at ``session``: its events, its suppliers' rows and bars."""
        config = session.config
        self.session, self.config = session, config
        self.health_feed = HealthFeed(session, self.destinations_model)  # before any event
        self.history.follow(session)
        if not self.tasks.closed:  # before any event: the restored history goes first
            restoring = self.history.restore_health(session)
            if restoring is not None:
                self.tasks.spawn(restoring, name="restore the health history")
        self._unsubscribe_events = session.subscribe(self.on_event)
        self.destinations_model.set_config(config)
        self.latency_plot.set_suppliers(session.supplier_names)
        self.ticket.apply_config(config.defaults, len(config.suppliers))
        self.tls_warning.show_for(config)
        self.health_watch.attach(session, probing=self.probing)
        self.setWindowTitle(window_title(source, len(config.suppliers)))
        self.source_label.setText("embedded demo fleet" if source == DEMO_SOURCE else source)
        self.refresh_health(full=True)

    def choose_config(self) -> None:
        """File → Open config…: ask for a file (non-blocking), then :meth:`open_config`."""
        open_config_dialog(self, self._dialog_dir, self._config_chosen)

    def _config_chosen(self, path: Path) -> None:
        self._dialog_dir = path.parent
        self.open_config(path)

    def open_config(self, path: str | Path) -> asyncio.Task[bool] | None:
        """Read a config and run on it; a bad one is shown in a dialog, nothing changes."""
        if self._closing:
            return None
        return self.tasks.spawn(self._open_config(Path(path)), name="open config")

    async def _open_config(self, path: Path) -> bool:
        try:
            config = await asyncio.to_thread(load_config, path)
            session = Session(config)  # ConfigError when an api_key_env variable is not set
        except (ConfigError, OSError, ValueError) as exc:  # load_config wraps OSError
            self._refuse_config(config_error_text(exc, path))
            return False
        if self._closing or self._replacing:
            if not self._closing:  # said, not dropped without a word
                self.event_log.add(
                    Level.WARNING, "config", f"not opened {path}: another config is being opened"
                )
            await session.aclose()
            return False
        try:
            await self.replace_session(session)
        except BaseException:
            if self.session is not session:  # never swapped in: nobody else will close it
                self.finishing.spawn(session.aclose(), name="close an unused session")
            raise
        return True

    def _refuse_config(self, message: str) -> None:
        self.event_log.add(Level.ERROR, "config", message)
        if not self._closing:
            show_config_error(self, message)

    async def replace_session(self, session: Session) -> None:
        """Run on ``session`` from now on: cancel the running comparison, close the old one."""
        self._replacing = True
        try:
            task = self.comparison_task
            if task is not None and not task.done():
                self._cancel_reason = "cancelled: another config was opened"
                task.cancel()
                await asyncio.wait([task])
            old = self.session
            self._unsubscribe_events()
            self._drop_fleet()  # its controls only apply to the embedded demo fleet
            self.run = None
            self.comparison = None
            self.export_action.setEnabled(False)
            self.latency_plot.forget_run()  # not the old comparison's bars beside the new names
            self.latency.title.setText("No comparison yet — press Compare (Ctrl+Return)")
            self.result.clear()
            self.fallback_note.clear()
            self.last_label.setText("no comparison yet")
            self.ticket.set_progress(0, 1, "idle")
            self._attach(session, session.config.source)
            # not cancelled with this task if the window closes meanwhile: awaited on close
            closing = self.finishing.spawn(old.aclose(), name="close the replaced session")
            await asyncio.wait([closing])
            count = len(session.config.suppliers)
            self.event_log.add(
                Level.INFO,
                "config",
                f"opened {session.config.source}: {count} supplier{'s' if count != 1 else ''}",
            )
        finally:
            self._replacing = False

    def _drop_fleet(self) -> None:
        dock = self.docks.pop("fleetDock", None)
        self.fleet = None
        self.fleet_panel = None
        if dock is not None:
            self.view_menu.removeAction(dock.toggleViewAction())
            self.removeDockWidget(dock)
            dock.hide()
            dock.deleteLater()

    # -- export ----------------------------------------------------------------------------

    def choose_export(self) -> None:
        """File → Export result…: ask where (non-blocking), then :meth:`export_result`."""
        if self.comparison is not None:
            exporting.open_export_dialog(
                self, self.comparison, self._dialog_dir, self._export_chosen
            )

    def _export_chosen(self, path: Path) -> None:
        self._dialog_dir = path.parent
        self.export_result(path)

    def export_result(self, path: str | Path) -> asyncio.Task[Path | None] | None:
        """Save the last comparison (.json or .csv) off the GUI thread; the Event log tells."""
        if self.comparison is None or self.finishing.closed:
            return None
        return self.finishing.spawn(self._export(self.comparison, Path(path)), name="export")

    async def _export(self, comparison: Comparison, path: Path) -> Path | None:
        try:
            written = await exporting.export(comparison, path)
        except (OSError, ValueError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            message = f"cannot export to {path}: {reason}"
            self.event_log.add(Level.ERROR, "export", message)
            # the Event log may be a tab behind History or Health: said where it is seen
            self.statusBar().showMessage(f"Export failed: {message}", STATUS_MESSAGE_MS)
            return None
        what = f"{comparison.quantity} × {comparison.product_id} ({comparison.strategy})"
        self.event_log.add(Level.INFO, "export", f"exported {what} to {written}")
        return written

    # -- breakers and health ---------------------------------------------------------------

    def apply_breaker_action(self, name: str, action: Any) -> None:
        self.session.apply(name, BreakerAction(action))
        self.health_feed.mark(name)
        self.refresh_health()

    @property
    def health_refresh_pending(self) -> bool:
        """A refresh is scheduled for the next event-loop turn (after a breaker transition)."""
        return self._health_pending

    def _schedule_health(self) -> None:
        """Refresh the health once, on the next event-loop turn, however many events came."""
        if not self._health_pending:
            self._health_pending = True
            QTimer.singleShot(0, self, self._scheduled_health)

    def _scheduled_health(self) -> None:
        self._health_pending = False
        if not self._closing:
            self.refresh_health()

    def refresh_health(self, full: bool = False) -> None:
        """Re-read the rows that changed (and every open breaker, for its countdown)."""
        if full:
            self.health_feed.full()
        else:
            self.health_feed.tick()
        self._show_health()

    def _show_health(self) -> None:
        healthy, total = self.destinations_model.healthy_count()
        words = health_words(healthy, total, self.destinations_model.unhealthy_states())
        color = theme.breaker_swatch(words.worst, theme.is_dark(self.palette())).fill
        text = f'<span style="color:{color.name()}">●</span> <b>{words.summary}</b>'
        if words.detail:
            text += f" — {escape(words.detail)}"
        self.health_label.setText(text)

    def _show_selected_health(self) -> None:
        selected = self.destinations.selected_names()
        if selected:
            self.health_view.show_supplier(selected[0])

    def health_text(self) -> str:
        """The status bar's plain summary, e.g. ``"11/12 healthy"``."""
        healthy, total = self.destinations_model.healthy_count()
        return f"{healthy}/{total} healthy"

    # -- errors ----------------------------------------------------------------------------

    def _on_log_record(self, level: str, source: str, message: str, at: float) -> None:
        self.event_log.add(Level.ERROR if level == "error" else Level.WARNING, source, message, at)

    def _spawn(self, awaitable: Any) -> object:
        async def wait() -> None:
            await awaitable

        return self.tasks.spawn(wait(), name="fleet control")

    # -- settings --------------------------------------------------------------------------

    def _restore_settings(self) -> None:
        window_settings.restore_window(self, self.ticket, self.settings, DEFAULT_SIZE)

    def save_settings(self) -> None:
        window_settings.save_window(self, self.ticket, self.settings, SETTINGS_VERSION)

    def reset_layout(self) -> None:
        self.restoreState(self._default_state, SETTINGS_VERSION)
        for dock in self.docks.values():
            dock.show()
        self._default_dock_sizes()

    # -- closing ---------------------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.remember_layout:
            self.save_settings()
        event.accept()
        self._begin_closing()
        self.closed.emit()

    def _begin_closing(self) -> asyncio.Task[None] | None:
        """Closing ends the window's work whoever created it: comparisons are cancelled and
        connections released without waiting for anyone to call :meth:`aclose`."""
        if self._close_task is None:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:  # no loop: nothing can be in flight either
                return None
            self._closing = True
            if self.comparison_task is not None:
                self.comparison_task.cancel()
            self._close_task = loop.create_task(self._close(), name="close the window")
        return self._close_task

    async def aclose(self) -> None:
        """Cancel everything in flight and release the connections; every caller waits
        for the same close (idempotent, and a cancelled caller does not stop it)."""
        task = self._begin_closing()
        if task is not None:
            await asyncio.shield(task)

    async def _close(self) -> None:
        self._health_timer.stop()
        self.history_panel.stop_filter_timer()  # it would start a read on closed tasks
        self.health_watch.stop()
        self.latency_plot.finish()
        self.log_bridge.detach()
        await self.tasks.aclose()
        await self.finishing.drain(FINISHING_GRACE_S)
        await self.finishing.aclose()
        await self.session.aclose()
        await self.history.aclose()  # after the session: its last events are recorded too
