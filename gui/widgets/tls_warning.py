"""A status-bar note that stays while any supplier's TLS certificate goes unverified."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget

from core import Config
from gui.icons import icon

__all__ = ["TlsWarning"]

SHOWN_NAMES = 3


class TlsWarning(QWidget):
    """Hidden unless the config has ``verify = false`` suppliers; then names them."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("tlsWarning")
        self.icon = QLabel(self)
        self.icon.setPixmap(icon("warning").pixmap(16, 16))
        self.text = QLabel(self)
        self.text.setObjectName("tlsWarningLabel")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 6, 0)
        layout.setSpacing(4)
        layout.addWidget(self.icon)
        layout.addWidget(self.text)
        self.names: tuple[str, ...] = ()
        self.hide()

    def show_for(self, config: Config) -> None:
        self.names = tuple(s.name for s in config.suppliers if not s.verify)
        if not self.names:
            self.text.clear()
            self.setToolTip("")
            self.hide()
            return
        shown = ", ".join(self.names[:SHOWN_NAMES])
        if len(self.names) > SHOWN_NAMES:
            shown += f" +{len(self.names) - SHOWN_NAMES}"
        self.text.setText(f"TLS unverified: {shown}")
        self.setToolTip(
            "TLS verification is OFF (verify = false) for "
            + ", ".join(self.names)
            + ": their certificates are not checked, so their replies could be forged."
        )
        self.show()
