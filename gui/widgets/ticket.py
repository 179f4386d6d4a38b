"""The comparison ticket: what to compare and how, Compare/Cancel and the progress line."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from core import MAX_QUANTITY, STRATEGIES, Defaults
from gui.icons import icon
from gui.session import Ticket

__all__ = ["DEFAULT_PRODUCT", "MIN_RESPONSES_LEAST", "TicketPanel"]

DEFAULT_PRODUCT = "SKU-110"
MIN_RESPONSES_LEAST = 1
"""as ``compare --min-responses``: a comparison with no valid quote is never decided"""

_STRATEGY_TIPS = {
    "all": "every reply (or the deadline): every valid quote, by total price",
    "first": "the first valid, in-stock quote to arrive",
    "majority": "the first total price that a quorum of in-stock quotes agree on",
    "best": "the cheapest in-stock quote, once every supplier replied or the deadline passed",
}


class TicketPanel(QWidget):
    compareRequested = Signal()
    cancelRequested = Signal()

    def __init__(self, defaults: Defaults, suppliers: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.product_edit = QLineEdit(DEFAULT_PRODUCT, self)
        self.product_edit.setObjectName("productEdit")
        self.product_edit.setPlaceholderText("product id, e.g. SKU-110")
        self.product_edit.setMaxLength(200)
        self.product_edit.setClearButtonEnabled(True)

        self.quantity_spin = QSpinBox(self)
        self.quantity_spin.setObjectName("quantitySpin")
        self.quantity_spin.setRange(1, MAX_QUANTITY)  # the engine's own bound
        self.quantity_spin.setValue(10)
        self.quantity_spin.setGroupSeparatorShown(True)

        self.strategy_combo = QComboBox(self)
        self.strategy_combo.setObjectName("strategyCombo")
        for index, name in enumerate(STRATEGIES):
            self.strategy_combo.addItem(name, name)
            self.strategy_combo.setItemData(
                index, _STRATEGY_TIPS[name], Qt.ItemDataRole.ToolTipRole
            )
        self.strategy_combo.setCurrentIndex(self.strategy_combo.findData(defaults.strategy))

        self.quorum_spin = QSpinBox(self)
        self.quorum_spin.setObjectName("quorumSpin")
        self.quorum_spin.setRange(0, max(1, suppliers))
        self.quorum_spin.setSpecialValueText("auto (more than half)")
        self.quorum_spin.setValue(defaults.quorum or 0)
        self.quorum_spin.setToolTip("Agreeing quotes majority needs (majority only)")

        self.min_responses_spin = QSpinBox(self)
        self.min_responses_spin.setObjectName("minResponsesSpin")
        self.min_responses_spin.setRange(MIN_RESPONSES_LEAST, max(1, suppliers))
        self.min_responses_spin.setValue(defaults.min_responses)  # clamped to the range
        self.min_responses_spin.setToolTip("Fewer valid quotes than this leaves all/best undecided")

        self.timeout_spin = QDoubleSpinBox(self)
        self.timeout_spin.setObjectName("timeoutSpin")
        self.timeout_spin.setRange(0.01, 3600.0)  # a config's 0.25 s stays 0.25, not 0.3
        self.timeout_spin.setDecimals(2)
        self.timeout_spin.setSingleStep(0.5)
        self.timeout_spin.setSuffix(" s")
        self.timeout_spin.setValue(defaults.timeout)
        self.timeout_spin.setToolTip("Deadline for the whole comparison")

        self.compare_button = QPushButton(icon("compare"), "Compare", self)
        self.compare_button.setObjectName("compareButton")
        self.compare_button.setToolTip("Scatter the request to every supplier (Ctrl+Return)")
        self.compare_button.setDefault(True)
        self.cancel_button = QPushButton(icon("cancel"), "Cancel", self)
        self.cancel_button.setObjectName("cancelButton")
        self.cancel_button.setToolTip("Cancel the running comparison (Esc)")
        self.cancel_button.setEnabled(False)

        self.progress = QProgressBar(self)
        self.progress.setObjectName("comparisonProgress")
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.progress.setTextVisible(True)
        self.progress.setFormat("idle")

        # two fields a row: the ticket leaves the Result pane room for every supplier
        form = QGridLayout()
        form.setHorizontalSpacing(8)
        form.setVerticalSpacing(6)
        form.setColumnStretch(1, 1)
        form.setColumnStretch(3, 1)
        for row, column, text, field in (
            (0, 0, "&Product", self.product_edit),
            (1, 0, "&Quantity", self.quantity_spin),
            (1, 2, "&Strategy", self.strategy_combo),
            (2, 0, "Quo&rum", self.quorum_spin),
            (2, 2, "&Min responses", self.min_responses_spin),
            (3, 0, "&Timeout", self.timeout_spin),
        ):
            label = QLabel(text, self)
            label.setBuddy(field)
            label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            form.addWidget(label, row, column)
            form.addWidget(field, row, column + 1, 1, 3 if field is self.product_edit else 1)

        buttons = QHBoxLayout()
        buttons.addWidget(self.compare_button, 2)
        buttons.addWidget(self.cancel_button, 1)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.setSpacing(6)
        layout.addLayout(form)
        form.addLayout(buttons, 3, 2, 1, 2)
        layout.addWidget(self.progress)
        layout.addStretch(1)

        self.compare_button.clicked.connect(self.compareRequested)
        self.cancel_button.clicked.connect(self.cancelRequested)
        self.product_edit.returnPressed.connect(self.compareRequested)
        self.strategy_combo.currentIndexChanged.connect(self._strategy_changed)
        self._strategy_changed()

    def _strategy_changed(self) -> None:
        strategy = self.strategy
        self.quorum_spin.setEnabled(strategy == "majority")
        self.min_responses_spin.setEnabled(strategy in ("all", "best"))
        self.strategy_combo.setToolTip(_STRATEGY_TIPS.get(strategy, ""))

    @property
    def strategy(self) -> str:
        return str(self.strategy_combo.currentData())

    def ticket(self) -> Ticket:
        quorum = self.quorum_spin.value()
        return Ticket(
            product_id=self.product_edit.text().strip(),
            quantity=self.quantity_spin.value(),
            strategy=self.strategy,
            quorum=quorum if quorum > 0 and self.strategy == "majority" else None,
            min_responses=self.min_responses_spin.value(),
            timeout=self.timeout_spin.value(),
        )

    def set_strategy(self, name: str) -> None:
        index = self.strategy_combo.findData(name)
        if index >= 0:
            self.strategy_combo.setCurrentIndex(index)

    def apply_config(self, defaults: Defaults, suppliers: int) -> None:
        """Another config: its supplier count bounds quorum and min responses, its defaults
        set them and the timeout; product, quantity and strategy stay the operator's."""
        self.quorum_spin.setRange(0, max(1, suppliers))
        self.quorum_spin.setValue(defaults.quorum or 0)
        self.min_responses_spin.setRange(MIN_RESPONSES_LEAST, max(1, suppliers))
        self.min_responses_spin.setValue(defaults.min_responses)  # clamped to the range
        self.timeout_spin.setValue(defaults.timeout)

    def fill(self, product_id: str, quantity: int | None, strategy: str) -> None:
        """Ask again: a past comparison's product, quantity and strategy."""
        self.product_edit.setText(product_id)
        if quantity is not None:
            self.quantity_spin.setValue(quantity)
        self.set_strategy(strategy)
        self.product_edit.setFocus()

    def set_running(self, running: bool) -> None:
        self.compare_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)
        if running:
            self.progress.setRange(0, 1)
            self.progress.setValue(0)
            self.progress.setFormat("sending…")

    def set_progress(self, done: int, total: int, text: str) -> None:
        # QProgressBar.setValue repaints synchronously (~2 ms); with updates off it only
        # schedules the paint, which Qt then merges with the rest of the frame
        bar = self.progress
        bar.setUpdatesEnabled(False)
        try:
            bar.setRange(0, max(total, 1))
            bar.setValue(min(done, max(total, 1)))
            bar.setFormat(text)
        finally:
            bar.setUpdatesEnabled(True)
