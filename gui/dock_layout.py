"""Where the main window's panes go, and how big they start.

Destinations across the top, the live latency plot in the middle, the Event log, History
and Health tabbed below it; the ticket over the Result (tabbed with the Demo fleet) in a
right column that runs the window's full height. The default sizes give the destinations
table room for every supplier's row and the right column room for every quote column.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget, QMainWindow, QWidget

from gui.widgets.destinations_view import DestinationsPanel

__all__ = ["RIGHT_COLUMN_WIDTH", "Panes", "add_dock", "arrange", "default_dock_sizes"]

RIGHT_COLUMN_WIDTH = 575
"""the ticket and the Result: wide enough for every column of the quotes table"""
_RESULT_HEIGHT = 900
"""asked of the Result: more than there is, so it takes what the ticket leaves"""
_BOTTOM_HEIGHT = 140
"""asked of the bottom tabs: less than their least, so the destinations get the rest"""

_Area = Qt.DockWidgetArea


class Panes:
    """The widgets each dock holds (``fleet`` only for the embedded demo fleet)."""

    def __init__(
        self,
        *,
        destinations: DestinationsPanel,
        ticket: QWidget,
        result: QWidget,
        event_log: QWidget,
        history: QWidget,
        health: QWidget,
        fleet: QWidget | None,
    ) -> None:
        self.destinations, self.ticket, self.result = destinations, ticket, result
        self.event_log, self.history, self.health, self.fleet = event_log, history, health, fleet


def add_dock(
    window: QMainWindow,
    docks: dict[str, QDockWidget],
    name: str,
    title: str,
    widget: QWidget,
    area: Qt.DockWidgetArea,
) -> QDockWidget:
    dock = QDockWidget(title, window)
    dock.setObjectName(name)
    dock.setWidget(widget)
    dock.setFeatures(
        QDockWidget.DockWidgetFeature.DockWidgetMovable
        | QDockWidget.DockWidgetFeature.DockWidgetFloatable
        | QDockWidget.DockWidgetFeature.DockWidgetClosable
    )
    window.addDockWidget(area, dock)
    docks[name] = dock
    return dock


def arrange(window: QMainWindow, panes: Panes) -> dict[str, QDockWidget]:
    """Build every dock around the window's central widget; returns them by objectName."""
    docks: dict[str, QDockWidget] = {}
    add_dock(
        window,
        docks,
        "destinationsDock",
        "Destinations",
        panes.destinations,
        _Area.TopDockWidgetArea,
    )
    add_dock(
        window, docks, "ticketDock", "Comparison ticket", panes.ticket, _Area.RightDockWidgetArea
    )
    add_dock(window, docks, "resultDock", "Result", panes.result, _Area.RightDockWidgetArea)
    add_dock(
        window, docks, "eventLogDock", "Event log", panes.event_log, _Area.BottomDockWidgetArea
    )
    add_dock(window, docks, "historyDock", "History", panes.history, _Area.BottomDockWidgetArea)
    window.tabifyDockWidget(docks["eventLogDock"], docks["historyDock"])
    if panes.fleet is not None:
        add_dock(window, docks, "fleetDock", "Demo fleet", panes.fleet, _Area.RightDockWidgetArea)
        # beside the Result, in the tall right column: every supplier's controls show
        window.tabifyDockWidget(docks["resultDock"], docks["fleetDock"])
        docks["resultDock"].raise_()
    add_dock(window, docks, "healthDock", "Health", panes.health, _Area.BottomDockWidgetArea)
    window.tabifyDockWidget(docks["eventLogDock"], docks["healthDock"])
    docks["eventLogDock"].raise_()
    window.setCorner(Qt.Corner.TopRightCorner, _Area.RightDockWidgetArea)
    window.setCorner(Qt.Corner.BottomRightCorner, _Area.RightDockWidgetArea)
    return docks


def default_dock_sizes(
    window: QMainWindow, docks: dict[str, QDockWidget], destinations: DestinationsPanel
) -> None:
    """The first-run sizes; call once the window is shown at its size."""
    ticket, result = docks["ticketDock"], docks["resultDock"]
    window.resizeDocks([ticket], [RIGHT_COLUMN_WIDTH], Qt.Orientation.Horizontal)
    ticket_height = ticket.widget().sizeHint().height()
    window.resizeDocks([ticket, result], [ticket_height, _RESULT_HEIGHT], Qt.Orientation.Vertical)
    top = docks["destinationsDock"]
    title = top.height() - destinations.height()  # the dock's title bar
    window.resizeDocks(
        [top, docks["eventLogDock"]],
        [destinations.height_for_every_row() + title, _BOTTOM_HEIGHT],
        Qt.Orientation.Vertical,
    )
