"""Colours for breaker states and call outcomes, readable on light and dark palettes.

The window follows the system colour scheme: Qt's palette decides light or dark, and
every colour here comes in a light and a dark variant picked from that palette.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QColor, QGuiApplication, QPalette

from core import BreakerState, Status

__all__ = [
    "IN_FLIGHT",
    "WINNER",
    "Swatch",
    "breaker_swatch",
    "is_dark",
    "outcome_color",
    "outcome_label",
    "winner_color",
]


@dataclass(frozen=True, slots=True)
class Swatch:
    """A badge's fill and the text colour that reads on it."""

    fill: QColor
    text: QColor


_GREEN = ("#2f9e44", "#37b24d")
_AMBER = ("#f59f00", "#fab005")
_RED = ("#e03131", "#f03e3e")
_GREY = ("#868e96", "#5c636a")
_ORANGE = ("#f76707", "#fd7e14")
_PURPLE = ("#9c36b5", "#be4bdb")
_BLUE = ("#1c7ed6", "#4dabf7")
_SLATE = ("#ced4da", "#495057")
_STONE = ("#868e96", "#8f98a1")
_GOLD = ("#f08c00", "#ffd43b")

IN_FLIGHT = _BLUE
WINNER = _GOLD

_BREAKER: dict[BreakerState, tuple[tuple[str, str], str, str]] = {
    # state: (fill light/dark, text on light, text on dark)
    BreakerState.CLOSED: (_GREEN, "#ffffff", "#0b1f0f"),
    BreakerState.HALF_OPEN: (_AMBER, "#212529", "#212529"),
    BreakerState.OPEN: (_RED, "#ffffff", "#ffffff"),
    BreakerState.FORCED_OPEN: (_GREY, "#ffffff", "#f1f3f5"),
    BreakerState.FORCED_CLOSED: (_GREY, "#ffffff", "#f1f3f5"),
    BreakerState.DISABLED: (_GREY, "#ffffff", "#f1f3f5"),
}

_OUTCOME: dict[Status, tuple[str, str]] = {
    Status.OK: _GREEN,
    Status.TIMEOUT: _ORANGE,
    Status.ERROR: _RED,
    Status.INVALID: _PURPLE,
    Status.CIRCUIT_OPEN: _STONE,
    Status.CANCELLED: _SLATE,
}

_OUTCOME_LABEL: dict[Status, str] = {
    Status.OK: "ok",
    Status.TIMEOUT: "timeout",
    Status.ERROR: "error",
    Status.INVALID: "invalid",
    Status.CIRCUIT_OPEN: "circuit open",
    Status.CANCELLED: "cancelled",
}


def is_dark(palette: QPalette | None = None) -> bool:
    """True when the window background is darker than its text (a dark palette)."""
    if palette is None:
        palette = QGuiApplication.palette()
    window = palette.color(QPalette.ColorRole.Window)
    text = palette.color(QPalette.ColorRole.WindowText)
    return window.lightness() < text.lightness()


def _pick(pair: tuple[str, str], dark: bool) -> QColor:
    return QColor(pair[1] if dark else pair[0])


def breaker_swatch(state: BreakerState, dark: bool | None = None) -> Swatch:
    dark = is_dark() if dark is None else dark
    fill, on_light, on_dark = _BREAKER[state]
    return Swatch(_pick(fill, dark), QColor(on_dark if dark else on_light))


def outcome_color(status: Status | None, dark: bool | None = None) -> QColor:
    """The colour of a call outcome; ``None`` means still in flight."""
    dark = is_dark() if dark is None else dark
    return _pick(IN_FLIGHT if status is None else _OUTCOME[status], dark)


def outcome_label(status: Status | None) -> str:
    return "in flight" if status is None else _OUTCOME_LABEL[status]


def winner_color(dark: bool | None = None) -> QColor:
    return _pick(WINNER, is_dark() if dark is None else dark)
