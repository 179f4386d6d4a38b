"""Scatterdash's PySide6 window: thin views over ``core``.

``gui.MainWindow`` is imported lazily so that ``import gui`` (the console script's
package) does not load Qt for headless sub-commands.
"""

from __future__ import annotations

from typing import Any

__all__ = ["MainWindow"]


def __getattr__(name: str) -> Any:
    if name == "MainWindow":
        from gui.main_window import MainWindow

        return MainWindow
    raise AttributeError(f"module 'gui' has no attribute {name!r}")
