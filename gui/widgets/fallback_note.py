"""The stale-fallback suggestion under an undecided result: offered, never the result."""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QBoxLayout, QLabel, QWidget

from core import FallbackQuote

__all__ = ["FallbackNote"]


class FallbackNote(QLabel):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("fallbackSuggestion")
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.setFrameShape(QLabel.Shape.StyledPanel)
        self.setMargin(6)
        self.fallback: FallbackQuote | None = None
        self.hide()

    @classmethod
    def below_headline(cls, result_panel: QWidget) -> FallbackNote:
        """A note placed in the Result panel, right under its headline."""
        note = cls(result_panel)
        layout = result_panel.layout()
        assert isinstance(layout, QBoxLayout)
        layout.insertWidget(1, note)
        return note

    def show_fallback(self, fallback: FallbackQuote | None, *, searched: bool = True) -> None:
        """Show ``fallback`` (or that history has none, when it was looked for)."""
        self.fallback = fallback
        if fallback is None:
            if not searched:
                self.hide()
                return
            self.setText("<i>No stale fallback: no good quote on record within max_age.</i>")
        else:
            quote = fallback.quote
            self.setText(
                "<b>Stale fallback — not the result:</b> "
                f"{escape(fallback.supplier)} quoted {quote['total_price']:,.2f} "
                f"{escape(str(quote['currency']))} ({quote['delivery_days']} d) "
                f"{fallback.age_text} ago"
                f"<br><small>from comparison {escape(fallback.correlation_id)}</small>"
            )
        self.show()

    def clear(self) -> None:
        self.fallback = None
        self.hide()
