"""The look every pyqtgraph plot in the window shares: the palette's base and text colours."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtGui import QColor, QPalette

from gui import theme

__all__ = ["style_plot"]


def style_plot(plot: pg.PlotWidget) -> bool:
    """Background and axes from ``plot``'s palette; returns whether the palette is dark."""
    palette = plot.palette()
    plot.setBackground(palette.color(QPalette.ColorRole.Base))
    text = palette.color(QPalette.ColorRole.Text)
    for side in ("left", "bottom"):
        axis = plot.getPlotItem().getAxis(side)
        axis.setTextPen(text)
        axis.setPen(pg.mkPen(QColor(text.red(), text.green(), text.blue(), 120)))
    return theme.is_dark(palette)
