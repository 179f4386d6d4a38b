"""Demo-fleet controls (embedded fleet only): break and heal suppliers while watching.

Per supplier: an outage toggle (port closed: connection refused), an error rate (HTTP 500),
a latency multiplier, and a menu with the other faults (hang, slow drip, malformed JSON,
wrong schema, absurd price). Every change goes to ``fleet.set_faults`` at once and takes
effect on the supplier's next request.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QCheckBox,
    QDoubleSpinBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from gui.icons import icon

__all__ = ["FleetControl", "FleetPanel"]

log = logging.getLogger("scatterdash.gui")

#: boolean faults offered in each row's menu: (field, label)
OTHER_FAULTS: tuple[tuple[str, str], ...] = (
    ("hang", "Hang (never reply)"),
    ("slow_drip", "Slow drip (bytes trickle in)"),
    ("malformed_json", "Malformed JSON"),
    ("wrong_schema", "Wrong schema"),
    ("absurd_price", "Absurd price"),
)


class FleetSupplier(Protocol):
    name: str
    url: str


class FleetControl(Protocol):
    """What the panel needs from ``core.fleet``'s running fleet."""

    @property
    def suppliers(self) -> Sequence[Any]: ...

    def set_faults(self, name: str, **changes: Any) -> Any: ...

    def faults(self, name: str) -> Any: ...


class _Row:
    """The controls of one supplier."""

    def __init__(self, panel: FleetPanel, name: str, grid: QGridLayout, row: int) -> None:
        self.name = name
        parent = panel.body
        label = QLabel(name, parent)
        label.setObjectName(f"fleetName:{name}")
        self.outage = QCheckBox("outage", parent)
        self.outage.setObjectName(f"fleetOutage:{name}")
        self.outage.setToolTip(f"Close {name}'s port: calls get 'connection refused'")
        self.error_rate = QSpinBox(parent)
        self.error_rate.setObjectName(f"fleetErrorRate:{name}")
        self.error_rate.setRange(0, 100)
        self.error_rate.setSuffix(" %")
        self.error_rate.setToolTip("Share of requests answered with HTTP 500")
        self.hang_rate = QSpinBox(parent)
        self.hang_rate.setObjectName(f"fleetHangRate:{name}")
        self.hang_rate.setRange(0, 100)
        self.hang_rate.setSuffix(" %")
        self.hang_rate.setToolTip("Share of requests never answered")
        self.latency = QDoubleSpinBox(parent)
        self.latency.setObjectName(f"fleetLatency:{name}")
        self.latency.setRange(0.0, 1000.0)  # FaultSettings' own: shown as set, not clamped
        self.latency.setDecimals(1)
        self.latency.setSingleStep(0.5)
        self.latency.setPrefix("× ")
        self.latency.setToolTip("Multiplies the supplier's simulated latency")
        self.more = QToolButton(parent)
        self.more.setText("faults")
        self.more.setObjectName(f"fleetFaults:{name}")
        self.more.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.more)
        self.toggles: dict[str, QAction] = {}
        for field, text in OTHER_FAULTS:
            action = menu.addAction(text)
            action.setCheckable(True)
            action.toggled.connect(lambda on, f=field: panel.change(self.name, **{f: bool(on)}))
            self.toggles[field] = action
        self.more.setMenu(menu)

        columns = (label, self.outage, self.error_rate, self.hang_rate, self.latency, self.more)
        for column, widget in enumerate(columns):
            grid.addWidget(widget, row, column)

        self.outage.toggled.connect(lambda on: panel.change(self.name, outage=bool(on)))
        self.error_rate.valueChanged.connect(
            lambda value: panel.change(self.name, error_rate=value / 100.0)
        )
        self.hang_rate.valueChanged.connect(
            lambda value: panel.change(self.name, hang_rate=value / 100.0)
        )
        self.latency.valueChanged.connect(
            lambda value: panel.change(self.name, latency_multiplier=float(value))
        )

    def show(self, faults: Any) -> None:
        """Reflect the fleet's current faults without sending them back."""
        widgets: list[QWidget] = [self.outage, self.error_rate, self.hang_rate, self.latency]
        for widget in widgets:
            widget.blockSignals(True)
        try:
            self.outage.setChecked(bool(getattr(faults, "outage", False)))
            self.error_rate.setValue(round(float(getattr(faults, "error_rate", 0.0)) * 100))
            self.hang_rate.setValue(round(float(getattr(faults, "hang_rate", 0.0)) * 100))
            self.latency.setValue(float(getattr(faults, "latency_multiplier", 1.0)))
            for field, action in self.toggles.items():
                action.blockSignals(True)
                action.setChecked(bool(getattr(faults, field, False)))
                action.blockSignals(False)
            active = [text for field, text in OTHER_FAULTS if self.toggles[field].isChecked()]
            self.more.setText(f"faults ({len(active)})" if active else "faults")
            self.more.setToolTip(", ".join(active) or "no other faults")
        finally:
            for widget in widgets:
                widget.blockSignals(False)


class FleetPanel(QWidget):
    def __init__(
        self,
        fleet: FleetControl,
        spawn: Callable[[Any], object],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("fleetPanel")
        self.fleet = fleet
        self._spawn = spawn

        intro = QLabel(
            "Embedded demo fleet: real HTTP suppliers on 127.0.0.1. "
            "Break one and watch its breaker open, then heal it.",
            self,
        )
        intro.setWordWrap(True)
        heal = QPushButton(icon("heal"), "Heal all", self)
        heal.setObjectName("fleetHealAll")
        heal.setToolTip("Clear every fault on every supplier")
        heal.clicked.connect(self.heal_all)
        restore = QPushButton(icon("reset"), "Demo faults", self)
        restore.setObjectName("fleetRestore")
        restore.setToolTip("Back to the faults each supplier's demo profile starts with")
        restore.clicked.connect(self.restore_profiles)
        restore.setVisible(callable(getattr(fleet, "reset_faults", None)))
        top = QHBoxLayout()
        top.addWidget(intro, 1)
        top.addWidget(heal)
        top.addWidget(restore)

        self.body = QWidget(self)
        grid = QGridLayout(self.body)
        grid.setContentsMargins(4, 4, 4, 4)
        grid.setHorizontalSpacing(12)
        grid.setVerticalSpacing(4)
        headers = ("Supplier", "Outage", "Error rate", "Hang rate", "Latency", "Other")
        for column, text in enumerate(headers):
            header = QLabel(f"<b>{text}</b>", self.body)
            grid.addWidget(header, 0, column)
        self.rows: dict[str, _Row] = {}
        for row, supplier in enumerate(fleet.suppliers, start=1):
            self.rows[supplier.name] = _Row(self, supplier.name, grid, row)
        grid.setColumnStretch(6, 1)
        grid.setRowStretch(len(self.rows) + 1, 1)

        scroll = QScrollArea(self)
        scroll.setWidget(self.body)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addLayout(top)
        layout.addWidget(scroll, 1)
        self.refresh()

    def refresh(self) -> None:
        for name, row in self.rows.items():
            try:
                row.show(self.fleet.faults(name))
            except Exception:
                log.exception("cannot read the faults of %s", name)

    def change(self, name: str, **changes: Any) -> None:
        """Send one change to the fleet (sync or async ``set_faults`` both work)."""
        log.info("demo fleet: %s %s", name, changes)
        try:
            result = self.fleet.set_faults(name, **changes)
        except (OSError, TypeError, ValueError, RuntimeError, KeyError) as exc:
            log.error("demo fleet: cannot change %s: %s", name, exc)
            result = None
        if inspect.isawaitable(result):
            self._spawn(result)
        row = self.rows.get(name)
        if row is not None:
            try:
                row.show(self.fleet.faults(name))
            except Exception:
                log.exception("cannot read the faults of %s", name)

    def heal_all(self) -> None:
        """Clear every fault on every supplier."""
        healthy: dict[str, Any] = {
            "outage": False,
            "error_rate": 0.0,
            "hang_rate": 0.0,
            "latency_multiplier": 1.0,
            **{field: False for field, _ in OTHER_FAULTS},
        }
        for name in self.rows:
            self.change(name, **healthy)

    def restore_profiles(self) -> None:
        """Every supplier back to the faults its profile starts with."""
        reset = getattr(self.fleet, "reset_faults", None)
        if reset is None:
            return
        for name in self.rows:
            try:
                reset(name)
            except (OSError, RuntimeError, KeyError) as exc:
                log.error("demo fleet: cannot reset %s: %s", name, exc)
        self.refresh()
