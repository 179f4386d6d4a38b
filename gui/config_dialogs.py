"""File → Open config…: the file dialog, and the dialog that says why a config was refused.

Both are opened with ``open()`` (window-modal, never ``exec()``: a nested event loop
inside a coroutine breaks qasync) and deleted when closed. The same refusal dialog, built
by :func:`config_error_box`, tells about a bad ``--config`` at launch (:mod:`gui.app`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

__all__ = [
    "HEADLESS_PLATFORMS",
    "config_error_box",
    "config_error_text",
    "open_config_dialog",
    "show_config_error",
    "shows_windows",
]

CONFIG_FILTERS = ("Scatterdash config (*.toml)", "All files (*)")
HEADLESS_PLATFORMS = frozenset({"offscreen", "minimal"})
"""Qt platforms whose windows nobody sees (tests, ``--screenshot``, CI)"""
KEPT_CURRENT = "Nothing changed: the current suppliers stay connected."


def shows_windows() -> bool:
    """Would a window be seen? Asks the ``QGuiApplication``, which must exist.

    (Before it exists, ``platformName()`` names Qt's default plugin, not the one in use.)
    """
    if QGuiApplication.instance() is None:
        return False
    return QGuiApplication.platformName() not in HEADLESS_PLATFORMS


def config_error_text(error: Exception, source: str | Path) -> str:
    """The error's one line, naming the file if it does not already.

    ``load_config`` names it; a problem found later, when the suppliers are set up (an
    ``api_key_env`` variable that is not set), names only the key.
    """
    message = " ".join(str(error).split()) or type(error).__name__
    source = str(source)
    return message if message.startswith(source) else f"{source}: {message}"


def open_config_dialog(
    parent: QWidget, directory: Path, on_chosen: Callable[[Path], object]
) -> QFileDialog:
    """Ask for a config file (non-blocking); ``on_chosen(path)`` if one is chosen."""
    dialog = QFileDialog(parent, "Open config")
    dialog.setObjectName("openConfigDialog")
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptOpen)
    dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
    dialog.setNameFilters(list(CONFIG_FILTERS))
    dialog.setDirectory(str(directory))
    dialog.fileSelected.connect(lambda path: on_chosen(Path(path)))
    dialog.open()
    return dialog


def config_error_box(
    message: str, parent: QWidget | None = None, informative: str = KEPT_CURRENT
) -> QMessageBox:
    """A critical message box with the config error's one line, not yet shown.

    ``informative`` says what happens next. Not deleted on close: ``exec()`` would then
    delete a box that Python owns (:func:`show_config_error` sets it, for ``open()``).
    """
    box = QMessageBox(parent)
    box.setObjectName("configErrorDialog")
    box.setIcon(QMessageBox.Icon.Critical)
    box.setWindowTitle("Cannot open config")
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.setText(message)
    box.setInformativeText(informative)
    box.setStandardButtons(QMessageBox.StandardButton.Ok)
    return box


def show_config_error(parent: QWidget, message: str) -> QMessageBox:
    """A critical message box with the config error's one line (non-blocking)."""
    box = config_error_box(message, parent)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()
    return box
