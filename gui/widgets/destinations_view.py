"""The Destinations panel: the ``destinationsTable`` and the operator's breaker actions."""

from __future__ import annotations

from PySide6.QtCore import (
    QEvent,
    QItemSelection,
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QAction, QFont, QFontMetrics, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHeaderView,
    QMenu,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from core import BreakerState
from gui.badge_delegate import BadgeDelegate
from gui.icons import icon
from gui.models.destinations_model import SORT_ROLE, Column, DestinationsModel
from gui.session import BreakerAction

__all__ = ["DestinationsPanel", "ElideMiddleDelegate"]


class ElideMiddleDelegate(QStyledItemDelegate):
    """Cuts a long text in the middle: both ends of an address tell suppliers apart."""

    def initStyleOption(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        super().initStyleOption(option, index)
        option.textElideMode = Qt.TextElideMode.ElideMiddle


_ACTIONS: tuple[tuple[BreakerAction, str, str, str], ...] = (
    (BreakerAction.FORCE_OPEN, "Force open", "force-open", "Stop calling: hold the breaker open"),
    (
        BreakerAction.FORCE_CLOSED,
        "Force closed",
        "force-closed",
        "Always call: hold the breaker closed, never trip",
    ),
    (BreakerAction.RESET, "Reset", "reset", "Back to a clean closed breaker, history cleared"),
    (BreakerAction.DISABLE, "Disable", "disable", "Take the supplier out of service"),
    (BreakerAction.ENABLE, "Enable", "enable", "Put a disabled supplier back in service"),
)


_WIDEST = {
    Column.NAME: "summit-components",
    Column.NOTE: "half-open in 10 s",
    Column.SUCCESS: "100 %",
    Column.ERRORS: "100 %",
    Column.LAST: "999 ms",
    Column.P50: "999 ms",
    Column.P95: "999 ms",
    Column.TREND: "▅" * 10,  # TREND_SPAN_S / TREND_BUCKET_S characters
    Column.IN_FLIGHT: "0",
    Column.TRANSPORT: "amqp · connected",
    Column.ADDRESS: "127.0.0.1:65535",
}
"""the widest text each column should show whole (longer ones elide, with a tooltip)"""
_WIDEST_BADGE = "half-open"
"""the widest state a breaker reaches by itself; the operator's forced-open and
forced-closed elide (the full state in the tooltip)"""
_CELL_PADDING = 8
"""the style's text margins, both sides, and a pixel of slack"""
_HEADER_PADDING = 8


def _column_widths(font: QFont) -> dict[Column, int]:
    """Each column just wide enough for its header and its widest usual text: the table
    then shows every column, Address last, beside the right column at 1440 px."""
    metrics = QFontMetrics(font)
    widths = {Column.BREAKER: BadgeDelegate.width_for(_WIDEST_BADGE, font)}
    for column, text in _WIDEST.items():
        header = DestinationsModel.headers[column]
        widths[column] = max(
            metrics.horizontalAdvance(header) + _HEADER_PADDING,
            metrics.horizontalAdvance(text) + _CELL_PADDING,
        )
    return widths


class DestinationsPanel(QWidget):
    actionRequested = Signal(str, object)
    """(supplier name, :class:`BreakerAction`) for each selected supplier"""

    def __init__(self, model: DestinationsModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(model)
        self.proxy.setSortRole(SORT_ROLE)

        self.table = QTableView(self)
        self.table.setObjectName("destinationsTable")
        self.table.setModel(self.proxy)
        self.table.setItemDelegateForColumn(Column.BREAKER, BadgeDelegate(self.table))
        self.table.setItemDelegateForColumn(Column.ADDRESS, ElideMiddleDelegate(self.table))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(-1, Qt.SortOrder.AscendingOrder)
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        self.table.setFrameShape(QFrame.Shape.NoFrame)  # the dock frames it; 2 px for columns
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(24)
        header = self.table.horizontalHeader()
        header.setHighlightSections(False)
        header.setStretchLastSection(True)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setMinimumSectionSize(40)
        widths = _column_widths(self.table.font())
        for column, width in widths.items():
            header.resizeSection(column, width)
        header.setDefaultSectionSize(widths[Column.ADDRESS])  # the least Address stretches to
        header.moveSection(header.visualIndex(Column.TREND), header.visualIndex(Column.P95) + 1)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._context_menu)

        self.toolbar = QToolBar("Breaker actions", self)
        self.toolbar.setObjectName("breakerToolbar")
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.actions_by_kind: dict[BreakerAction, QAction] = {}
        for kind, text, icon_name, tip in _ACTIONS:
            action = QAction(icon(icon_name), text, self)
            action.setToolTip(f"{text}: {tip}")
            action.setStatusTip(tip)
            action.triggered.connect(lambda _checked=False, k=kind: self._request(k))
            self.actions_by_kind[kind] = action
            self.toolbar.addAction(action)
        self.actions_by_kind[BreakerAction.RESET].setShortcut(QKeySequence("Ctrl+R"))
        self.actions_by_kind[BreakerAction.RESET].setShortcutContext(
            Qt.ShortcutContext.WidgetWithChildrenShortcut
        )
        # on the panel too: the table, where the rows are selected, is its child and not
        # the toolbar's, so Ctrl+R would fire only with the toolbar focused
        self.addAction(self.actions_by_kind[BreakerAction.RESET])

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.toolbar)
        layout.addWidget(self.table)

        self.table.selectionModel().selectionChanged.connect(self._on_selection)
        model.dataChanged.connect(lambda *_: self._update_actions())
        model.modelReset.connect(self._update_actions)
        model.modelReset.connect(self._show_transport_for_brokers)
        self._show_transport_for_brokers()
        self._update_actions()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:  # the model keeps built colours
            self.model.restyle()

    def _show_transport_for_brokers(self) -> None:
        # an all-HTTP fleet's column would say "http" on every row, and the room it takes
        # keeps the Address column off screen at 1440 px
        self.table.setColumnHidden(Column.TRANSPORT, not self.model.uses_brokers())

    def height_for_every_row(self) -> int:
        """The panel's height when the table shows every row without scrolling."""
        table = self.table
        rows = self.model.rowCount() * table.verticalHeader().defaultSectionSize()
        frame = 2 * table.frameWidth()
        return self.toolbar.sizeHint().height() + table.horizontalHeader().height() + rows + frame

    # -- selection -----------------------------------------------------------------------

    def selected_names(self) -> list[str]:
        rows = {
            self.proxy.mapToSource(index).row()
            for index in self.table.selectionModel().selectedRows()
        }
        return [self.model.name(row) for row in sorted(rows)]

    def select(self, name: str) -> None:
        row = self.model.row_of(name)
        if row is None:
            return
        proxy_row = self.proxy.mapFromSource(self.model.index(row, 0)).row()
        self.table.selectRow(proxy_row)

    def _on_selection(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        self._update_actions()

    def _update_actions(self) -> None:
        states = []
        for name in self.selected_names():
            row = self.model.row_of(name)
            health = self.model.health(row) if row is not None else None
            states.append(health.state if health is not None else BreakerState.CLOSED)
        any_selected = bool(states)
        for _kind, action in self.actions_by_kind.items():
            action.setEnabled(any_selected)
        self.actions_by_kind[BreakerAction.ENABLE].setEnabled(BreakerState.DISABLED in states)
        self.actions_by_kind[BreakerAction.DISABLE].setEnabled(
            any(state is not BreakerState.DISABLED for state in states)
        )

    # -- actions -------------------------------------------------------------------------

    def _request(self, kind: BreakerAction) -> None:
        for name in self.selected_names():
            self.actionRequested.emit(name, kind)
        self._update_actions()

    def _context_menu(self, position: QPoint) -> None:
        index = self.table.indexAt(position)
        if index.isValid() and not self.table.selectionModel().isRowSelected(index.row()):
            self.table.selectRow(index.row())
        if not self.selected_names():
            return
        menu = QMenu(self)
        for action in self.actions_by_kind.values():
            menu.addAction(action)
        menu.popup(self.table.viewport().mapToGlobal(position))
