"""Nothing fails silently and nothing kills the app: every error is logged and shown.

- :func:`install_hooks` sets ``sys.excepthook`` (exceptions in slots, qasync's async
  slots), the asyncio loop's exception handler (exceptions in bare tasks and callbacks)
  and Qt's message handler (Qt warnings). All three only *log*, to ``scatterdash.*``.
- Losing the display (X11 or Wayland server gone) ends the app with one line on stderr.
- :class:`LogBridge` is a logging handler that turns warnings and errors logged under
  ``scatterdash`` into a Qt signal; the window connects it to its Event log.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
import traceback
from collections.abc import Callable
from types import TracebackType
from typing import Any

from PySide6.QtCore import QMessageLogContext, QObject, QtMsgType, Signal, qInstallMessageHandler

__all__ = ["DISPLAY_LOST_MESSAGES", "LogBridge", "display_lost", "install_hooks"]

log = logging.getLogger("scatterdash.gui")
qt_log = logging.getLogger("scatterdash.qt")

_QT_LEVELS = {
    QtMsgType.QtDebugMsg: logging.DEBUG,
    QtMsgType.QtInfoMsg: logging.INFO,
    QtMsgType.QtWarningMsg: logging.WARNING,
    QtMsgType.QtCriticalMsg: logging.ERROR,
    QtMsgType.QtFatalMsg: logging.CRITICAL,
}


def _excepthook(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
    if issubclass(kind, KeyboardInterrupt):
        sys.__excepthook__(kind, value, tb)
        return
    log.error("unhandled %s: %s", kind.__name__, value, exc_info=(kind, value, tb))


def _loop_exception_handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    exception = context.get("exception")
    message = context.get("message", "unhandled error in the event loop")
    if isinstance(exception, BaseException):
        log.error(
            "%s: %s: %s",
            message,
            type(exception).__name__,
            exception,
            exc_info=(type(exception), exception, exception.__traceback__),
        )
    else:
        log.error("%s", message)


#: platform-plugin chatter that says nothing about the app (the offscreen plugin used for
#: tests and --screenshot cannot pass size hints to a window manager it does not have)
BENIGN_QT_MESSAGES = ("This plugin does not support propagateSizeHints()",)


#: what Qt's platform plugins say when the display server went away: nothing can be drawn
#: again, and Qt stops its event loop under the app (which asyncio would report as a
#: traceback), so the app ends at once with one line
DISPLAY_LOST_MESSAGES = ("The X11 connection broke", "The Wayland connection broke")
EXIT_DISPLAY_LOST = 1


def display_lost(message: str) -> None:
    """One line on stderr, then end the process (sockets and files close with it)."""
    reason = message.split("?")[0].split(". Did")[0].strip()
    with contextlib.suppress(OSError, ValueError):
        sys.stderr.write(f"scatterdash: lost the display ({reason}); exiting\n")
        sys.stderr.flush()
    os._exit(EXIT_DISPLAY_LOST)


def _qt_message_handler(kind: QtMsgType, context: QMessageLogContext, message: str) -> None:
    if message.startswith(DISPLAY_LOST_MESSAGES):
        display_lost(message)
    level = _QT_LEVELS.get(kind, logging.WARNING)
    if message in BENIGN_QT_MESSAGES:
        level = logging.DEBUG
    qt_log.log(level, "%s", message)


def install_hooks(loop: asyncio.AbstractEventLoop) -> Callable[[], None]:
    """Route every error to logging; returns a function that undoes it."""
    previous_hook = sys.excepthook
    previous_handler = loop.get_exception_handler()
    sys.excepthook = _excepthook
    loop.set_exception_handler(_loop_exception_handler)
    previous_qt = qInstallMessageHandler(_qt_message_handler)

    def uninstall() -> None:
        sys.excepthook = previous_hook
        if not loop.is_closed():
            loop.set_exception_handler(previous_handler)
        qInstallMessageHandler(previous_qt)

    return uninstall


class LogBridge(QObject):
    """Forwards ``scatterdash.*`` log records at WARNING and above as a signal."""

    record = Signal(str, str, str, float)  # level name, source, message, time
    """(``"warning"`` or ``"error"``, logger tail, one-line message, ``time.time()``)"""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.handler = _Handler(self)
        self.handler.setLevel(logging.WARNING)
        self._logger = logging.getLogger("scatterdash")

    def attach(self) -> None:
        self._logger.addHandler(self.handler)

    def detach(self) -> None:
        self._logger.removeHandler(self.handler)


class _Handler(logging.Handler):
    def __init__(self, bridge: LogBridge) -> None:
        super().__init__()
        self.bridge = bridge

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage().splitlines()[0] if record.getMessage() else ""
            if record.exc_info and record.exc_info[1] is not None and not message:
                message = "".join(traceback.format_exception_only(record.exc_info[1])).strip()
            level = "error" if record.levelno >= logging.ERROR else "warning"
            source = record.name.removeprefix("scatterdash.")
            self.bridge.record.emit(level, source, message, record.created)
        except Exception:  # a logging handler must never raise
            self.handleError(record)
