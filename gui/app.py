"""``scatterdash`` (the window): the demo fleet by default, real suppliers with ``--config``.

How the loop runs: one ``QApplication``, one qasync ``QEventLoop`` on the GUI thread
(:class:`gui.loop.GuiEventLoop`, which batches ready callbacks), driven by
``asyncio.Runner(loop_factory=...)`` (Python 3.11 has the runner but not
``asyncio.run(loop_factory=...)``; ``qasync.run`` on 3.11 swaps the global event-loop
policy instead). :func:`serve` is the one coroutine: it starts the embedded fleet (if
any), shows the window, waits for it to close, then awaits ``window.aclose()`` (cancel
every comparison, close connections) and stops the fleet. The runner then cancels
anything left, shuts down async generators and closes the loop, so nothing is pending.

A ``--config`` that cannot be used is one line on stderr and exit code 2; where a window
would be seen (not offscreen: tests, CI) the line is also shown in the
``configErrorDialog``, so that a launch from a desktop entry does not end in silence
(never with ``--screenshot``: a script waits for it, nobody would close the dialog).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
import tempfile
from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path

from PySide6.QtCore import QCoreApplication, Qt, QTimer, qInstallMessageHandler
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication

from core import Config, ConfigError, lift_file_limit, load_config, tune_gc
from core.cli import command_summaries
from core.cli import configure_logging as configure_core_logging
from core.cli._common import HelpFormatter, OneLineErrors, add_version, described
from gui.collector import MainThreadCollector
from gui.config_dialogs import (
    HEADLESS_PLATFORMS,
    config_error_box,
    config_error_text,
    shows_windows,
)
from gui.errors import install_hooks
from gui.icons import icon
from gui.loop import GuiEventLoop
from gui.main_window import MainWindow

__all__ = [
    "NO_DISPLAY",
    "application",
    "build_parser",
    "can_show_dialogs",
    "display_expected",
    "main",
    "no_display_server",
    "refuse_config",
    "run",
    "serve",
    "show_refusal",
]

log = logging.getLogger("scatterdash.gui")

ORGANIZATION = "Scatterdash"
APPLICATION = "Scatterdash"
SCREENSHOT_SIZE = (1440, 900)
EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
NOT_STARTED = (
    "Scatterdash did not start. Fix the file, or start without --config for the demo fleet."
)
#: platforms that need a display server; a missing one makes Qt abort the process
_DISPLAY_PLATFORMS = ("xcb", "wayland")

OnWindow = Callable[[MainWindow], Awaitable[object]]


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineErrors(
        prog="scatterdash",
        usage="scatterdash [--config FILE] [--screenshot PATH] [-v]\n"
        "       scatterdash COMMAND [options]",
        description=(
            "Scatterdash: compare supplier prices live. Without a COMMAND it opens the\n"
            "window, on an embedded demo fleet of loopback suppliers unless --config is given."
        ),
        epilog=command_summaries(),
        formatter_class=HelpFormatter,
    )
    add_version(parser)
    parser.add_argument(
        "--config",
        metavar="FILE",
        help=described(
            "TOML config with real suppliers (see resources/example.toml)", "the demo fleet"
        ),
    )
    parser.add_argument(
        "--screenshot",
        metavar="PATH",
        type=Path,
        help=described(
            "open the window at 1440×900, run one comparison, save a PNG of it and exit",
            "no screenshot: the window stays open",
        ),
    )
    parser.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=0,
        help=described("log more on stderr, -vv for debug", "warnings only"),
    )
    return parser


def configure_logging(verbosity: int) -> None:
    """The headless command's logging (level from ``-v``, stderr), and one GUI-only rule.

    qasync logs every callback at debug level, which would drown ``-vv`` in the window's
    own event-loop traffic: it stays at INFO unless ``-v`` is given three times.
    """
    configure_core_logging(verbosity)
    logging.getLogger("qasync").setLevel(logging.INFO if verbosity < 3 else logging.DEBUG)


def application() -> QApplication:
    """The process's ``QApplication`` (created once), set up for this app."""
    QCoreApplication.setOrganizationName(ORGANIZATION)
    QCoreApplication.setApplicationName(APPLICATION)
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv[:1])
    # no display name: Qt would append " — Scatterdash" to a title that already starts with it
    # the window's closing is an event for serve(), not the end of the Qt loop
    app.setQuitOnLastWindowClosed(False)
    app.setWindowIcon(icon("scatterdash"))
    return app


NO_DISPLAY = (
    "scatterdash: no display to open the window on (DISPLAY and WAYLAND_DISPLAY are unset);"
    " --screenshot and the commands work without one, e.g."
    " scatterdash compare --demo --product SKU-1 --quantity 2\n"
)


def no_display_server(environ: Mapping[str, str], system: str = sys.platform) -> bool:
    """Linux with no display server to talk to and no platform asked for: Qt's default
    (xcb) cannot start, and aborts the process."""
    if not system.startswith("linux") or environ.get("QT_QPA_PLATFORM"):
        return False
    return not (environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY"))


def display_expected(environ: Mapping[str, str], system: str = sys.platform) -> bool:
    """Before any ``QApplication`` exists: can one start on a platform that shows windows?

    Qt aborts the process when its platform cannot start (xcb without ``DISPLAY``, say), so
    on a headless machine nothing is created: a bad config stays one line and exit 2.
    """
    requested = [
        entry.split(":", 1)[0].strip() for entry in environ.get("QT_QPA_PLATFORM", "").split(";")
    ]
    requested = [name for name in requested if name]
    if requested and all(name in HEADLESS_PLATFORMS for name in requested):
        return False
    if any(
        name in HEADLESS_PLATFORMS or not name.startswith(_DISPLAY_PLATFORMS) for name in requested
    ):
        return True  # one that needs no display server, or a headless fallback
    if not requested and system in ("win32", "darwin"):
        return True
    return bool(environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY"))


def can_show_dialogs() -> bool:
    """Would a dialog be seen? Creates the ``QApplication`` if it is safe to, then asks it."""
    if QApplication.instance() is None:
        if not display_expected(os.environ):
            return False
        _application_or_offscreen()
    return shows_windows()


def _application_or_offscreen() -> QApplication:
    """:func:`application`, on offscreen if the display does not answer (a stale ``DISPLAY``).

    Only for telling about a refused config: Qt's own platform choice, with ``offscreen``
    as the last resort instead of aborting the process, and its complaints about the
    display kept off stderr (which holds the one line).
    """
    requested = os.environ.get("QT_QPA_PLATFORM")
    if requested:
        platforms = requested
    elif sys.platform.startswith("linux") and os.environ.get("WAYLAND_DISPLAY"):
        platforms = "wayland;xcb"
    else:
        platforms = QGuiApplication.platformName()  # before the app exists: Qt's default
    previous = qInstallMessageHandler(lambda *_args: None)
    os.environ["QT_QPA_PLATFORM"] = f"{platforms};offscreen"
    try:
        return application()
    finally:
        if requested is None:
            del os.environ["QT_QPA_PLATFORM"]
        else:
            os.environ["QT_QPA_PLATFORM"] = requested
        qInstallMessageHandler(previous)


def refuse_config(message: str, *, dialog: bool = True) -> int:
    """A ``--config`` refused before the event loop runs: stderr, a dialog if seen, exit 2.

    The dialog is modal and blocking (``exec()``): no asyncio loop is running yet.
    """
    sys.stderr.write(f"scatterdash: {message}\n")
    if dialog and can_show_dialogs():
        config_error_box(message, informative=NOT_STARTED).exec()  # Python owns, then frees it
    return EXIT_USAGE


async def show_refusal(message: str) -> None:
    """The refusal dialog from inside the running loop: ``open()``, then wait until closed.

    Never ``exec()`` here: a nested event loop inside a coroutine breaks qasync.
    """
    box = config_error_box(message, informative=NOT_STARTED)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def on_finished(_result: int) -> None:
        if not closed.done():
            closed.set_result(None)

    box.finished.connect(on_finished)
    box.open()
    try:
        await closed
    finally:
        if not closed.done():  # cancelled (Ctrl+C): the box is still open
            box.close()


async def serve(
    config: Config | None,
    *,
    screenshot: Path | None = None,
    on_window: OnWindow | None = None,
    history_path: Path | None = None,
) -> int:
    """Run the window until it is closed; ``config=None`` starts the embedded demo fleet.

    ``history_path``: where comparisons are recorded (default: the user's data directory;
    for a screenshot, a temporary file, so that it neither shows nor adds to theirs).
    """
    loop = asyncio.get_running_loop()
    uninstall = install_hooks(loop)
    # Python runs signal handlers only between bytecodes: a slow idle timer lets Ctrl+C in
    heartbeat = QTimer()
    heartbeat.start(200)
    heartbeat.timeout.connect(lambda: None)
    try:
        async with contextlib.AsyncExitStack() as stack:
            fleet = None
            if config is None:
                from core.fleet import embedded_demo_fleet

                fleet = await stack.enter_async_context(embedded_demo_fleet())
                config = fleet.config
            if screenshot is not None and history_path is None:
                scratch = stack.enter_context(tempfile.TemporaryDirectory(prefix="scatterdash-"))
                history_path = Path(scratch) / "history.sqlite3"
            try:
                # a screenshot shows the default layout, not this user's saved one
                window = MainWindow(
                    config,
                    fleet=fleet,
                    remember_layout=screenshot is None,
                    history_path=history_path,
                )
            except ConfigError as exc:  # read, but unusable: an API key variable is not set
                message = config_error_text(exc, config.source)
                sys.stderr.write(f"scatterdash: {message}\n")
                if screenshot is None and shows_windows():
                    await show_refusal(message)
                return EXIT_USAGE
            stack.push_async_callback(window.aclose)
            closed = asyncio.Event()
            window.closed.connect(closed.set)
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(signal.SIGTERM, window.close)
                loop.add_signal_handler(signal.SIGHUP, hang_up, window)
            if screenshot is not None:
                return await take_screenshot(window, screenshot)
            window.show()
            log.info("window open: %s", window.windowTitle())
            if on_window is not None:
                await on_window(window)
            await closed.wait()
            return EXIT_OK
    finally:
        heartbeat.stop()
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.remove_signal_handler(signal.SIGTERM)
            loop.remove_signal_handler(signal.SIGHUP)
        uninstall()


def hang_up(window: MainWindow) -> None:
    """SIGHUP (the session or terminal went away): one line, then close as the user would."""
    with contextlib.suppress(OSError, ValueError):  # stderr may be gone with the terminal
        sys.stderr.write("scatterdash: hang-up signal; closing the window\n")
        sys.stderr.flush()
    window.close()


async def take_screenshot(window: MainWindow, path: Path) -> int:
    """Show the window at ≥ 1280×800, run one comparison, save the window as a PNG."""
    width, height = SCREENSHOT_SIZE
    window.resize(max(window.width(), width), max(window.height(), height))
    window.show()
    await asyncio.sleep(0.3)  # let docks and the plot lay themselves out
    task = window.start_comparison()
    if task is None:
        log.error("screenshot: could not start a comparison")
        return EXIT_FAILED
    deadline = window.ticket.ticket().timeout or window.config.defaults.timeout
    try:
        comparison = await asyncio.wait_for(task, deadline + 5.0)
    except TimeoutError:
        log.error("screenshot: the comparison did not finish")
        return EXIT_FAILED
    window.latency_plot.finish()
    window.refresh_health(full=True)
    await asyncio.sleep(0.2)  # a few frames for the final bars, winner marker and table
    path.parent.mkdir(parents=True, exist_ok=True)
    if not window.grab().save(str(path), "PNG"):
        sys.stderr.write(f"scatterdash: cannot write {path}\n")
        return EXIT_FAILED
    size = window.size()
    outcome = "decided" if comparison is not None and comparison.decided else "undecided"
    sys.stderr.write(f"scatterdash: saved {path} ({size.width()}×{size.height()}), {outcome}\n")
    window.close()
    return EXIT_OK


def main(args: Sequence[str] | None = None) -> int:
    options = build_parser().parse_args(list(sys.argv[1:] if args is None else args))
    config: Config | None = None
    if options.config is not None:
        try:
            config = load_config(options.config)
        except ConfigError as exc:
            message = config_error_text(exc, options.config)
            return refuse_config(message, dialog=options.screenshot is None)
    if no_display_server(os.environ):  # Qt would abort the process with a page of text
        if options.screenshot is None:
            sys.stderr.write(NO_DISPLAY)
            return 1
        os.environ["QT_QPA_PLATFORM"] = "offscreen"  # a screenshot needs no display
    configure_logging(options.verbose)
    tune_gc()  # the window scatters all session long: see core/_gc.py
    # for the config given, or one opened later: 1000 suppliers, the largest fleet the
    # window is measured with (tests/bench/bench_gui.py --sustained --suppliers 1000)
    lift_file_limit(max(len(config.suppliers) if config else 0, 1000))
    return run(config, screenshot=options.screenshot)


def run(
    config: Config | None,
    *,
    screenshot: Path | None = None,
    on_window: OnWindow | None = None,
    history_path: Path | None = None,
) -> int:
    """Run :func:`serve` on a fresh qasync loop; returns the exit code."""
    app = application()
    collector = MainThreadCollector(app)  # see gui/collector.py: Qt objects die on this thread
    try:
        with asyncio.Runner(loop_factory=lambda: GuiEventLoop(app)) as runner:
            return runner.run(
                serve(config, screenshot=screenshot, on_window=on_window, history_path=history_path)
            )
    except KeyboardInterrupt:
        return 130
    finally:
        collector.stop()
