"""What the window remembers between runs (``QSettings``): its geometry, its dock layout
and the ticket's product, quantity and strategy."""

from __future__ import annotations

import contextlib

from PySide6.QtCore import QByteArray, QSettings
from PySide6.QtWidgets import QMainWindow

from gui.widgets.ticket import TicketPanel

__all__ = ["restore_window", "save_window", "saved_layout"]

_GEOMETRY = "mainWindow/geometry"
_STATE = "mainWindow/state"
_PRODUCT = "ticket/product"
_QUANTITY = "ticket/quantity"
_STRATEGY = "ticket/strategy"


def restore_window(
    window: QMainWindow, ticket: TicketPanel, settings: QSettings, default_size: tuple[int, int]
) -> None:
    """The saved geometry (else ``default_size``) and ticket; the layout waits for the
    first show (:func:`saved_layout`), when the window has its size."""
    geometry = settings.value(_GEOMETRY)
    restored = isinstance(geometry, QByteArray) and window.restoreGeometry(geometry)
    if not restored:  # none saved, or not a geometry Qt can read
        window.resize(*default_size)
    product = settings.value(_PRODUCT)
    if isinstance(product, str) and product.strip():
        ticket.product_edit.setText(product)
    quantity = settings.value(_QUANTITY)
    if quantity is not None:
        with contextlib.suppress(ValueError):
            ticket.quantity_spin.setValue(int(str(quantity)))
    strategy = settings.value(_STRATEGY)
    if isinstance(strategy, str):
        ticket.set_strategy(strategy)


def saved_layout(settings: QSettings) -> QByteArray | None:
    state = settings.value(_STATE)
    return state if isinstance(state, QByteArray) and not state.isEmpty() else None


def save_window(
    window: QMainWindow, ticket: TicketPanel, settings: QSettings, version: int
) -> None:
    settings.setValue(_GEOMETRY, window.saveGeometry())
    settings.setValue(_STATE, window.saveState(version))
    settings.setValue(_PRODUCT, ticket.product_edit.text())
    settings.setValue(_QUANTITY, ticket.quantity_spin.value())
    settings.setValue(_STRATEGY, ticket.strategy)
    settings.sync()
