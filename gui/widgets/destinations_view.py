"""The Destinations panel: the ``destinationsTable`` and the operator's breaker actions."""

from __future__ import annotations

from PySide6.QtCore import (
    QItemSelection,
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
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
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(24)
        header = self.table.horizontalHeader()
        header.setHighlightSections(False)
        header.setStretchLastSection(True)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        widths = {
            Column.NAME: 132,
            Column.BREAKER: 104,
            Column.NOTE: 120,
            Column.SUCCESS: 60,
            Column.ERRORS: 52,
            Column.LAST: 58,
            Column.P50: 54,
            Column.P95: 54,
            Column.IN_FLIGHT: 54,
            Column.TRANSPORT: 62,
        }
        header.setMinimumSectionSize(40)
        header.setDefaultSectionSize(60)  # also the least the stretched Address column takes
        for column, width in widths.items():
            header.resizeSection(column, width)
        header.resizeSection(Column.TREND, 96)
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

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.toolbar)
        layout.addWidget(self.table)

        self.table.selectionModel().selectionChanged.connect(self._on_selection)
        model.dataChanged.connect(lambda *_: self._update_actions())
        model.modelReset.connect(self._update_actions)
        self._update_actions()

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
