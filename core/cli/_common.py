"""What every sub-command shares: exit codes, ``-v``, ``--version``, logging and help style.

Help-text conventions (each sub-command module follows them;
tests/core/test_cli_operator.py checks every sub-command and nested one, including ones
added later):

- the sub-parser is made with :func:`add_command`: its one-line summary (for a top-level
  sub-command, the one in ``_commands.COMMANDS``) is what ``scatterdash --help`` lists, its
  ``description`` (often the module docstring) is shown as plain text, paragraphs kept,
  RST ````markup```` removed by :func:`plain`;
- every option has a ``help`` that says what it is, its unit when it has one, and ends with
  its default: ``described("deadline for the whole comparison, in seconds", "the config's
  defaults.timeout")`` gives "… (default: the config's defaults.timeout)"; a required
  option ends with "(required)" (or "(required: this or --other)"); flags (no value) need
  no default;
- usage errors found after parsing (a value that cannot work with the config) raise
  :class:`UsageError`: one line on stderr naming the flag and the value, exit 2.

Output goes through :func:`write_out`: when stdout's reader leaves early (``| head -1``)
the command ends quietly, with the exit code it would have had (0 for a command that
only prints), never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import re
import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, NoReturn, TextIO

from core.cli._commands import COMMANDS

__all__ = [
    "EXIT_DECIDED",
    "EXIT_OK",
    "EXIT_UNDECIDED",
    "EXIT_USAGE",
    "HelpFormatter",
    "OneLineErrors",
    "UsageError",
    "add_command",
    "add_verbose",
    "add_version",
    "aligned",
    "configure_logging",
    "described",
    "plain",
    "reader_gone",
    "scatterdash_version",
    "stop_signals",
    "write_out",
]

EXIT_OK = 0
"""done (for ``fleet``, ``responder`` and ``watch``: stopped when asked)"""
EXIT_DECIDED, EXIT_UNDECIDED, EXIT_USAGE = EXIT_OK, 1, 2


class OneLineErrors(argparse.ArgumentParser):
    """A usage error is one line (the README's convention), pointing at --help: argparse's
    own prints the whole usage block before it. Sub-command parsers are of this class too
    (``add_subparsers`` makes them of their parent's)."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: {message} (see {self.prog} --help)\n")


if TYPE_CHECKING:
    Subparsers = argparse._SubParsersAction[OneLineErrors]
else:
    Subparsers = argparse._SubParsersAction


class UsageError(ValueError):
    """A command-line value that parses but cannot work (exit 2, one line)."""


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Plain text: descriptions keep their paragraphs, options are wrapped as usual."""

    def __init__(self, prog: str) -> None:
        super().__init__(prog, max_help_position=32)


def plain(text: str | None) -> str:
    """A docstring as help text: ````code```` markup becomes plain words."""
    return re.sub(r"``(.+?)``", r"\1", text or "").strip()


def described(what: str, default: object) -> str:
    """An option's help: what it is (with its unit), then its default."""
    return f"{what} (default: {default})"


def add_command(
    subparsers: Subparsers,
    name: str,
    description: str | None = None,
    *,
    summary: str | None = None,
) -> OneLineErrors:
    """A sub-command's parser, in the shared help style.

    ``summary``: its one line; a top-level sub-command's comes from ``COMMANDS``.
    """
    summary = summary or COMMANDS[name][1]
    parser: OneLineErrors = subparsers.add_parser(
        name,
        help=summary,
        description=plain(description) or summary,
        formatter_class=HelpFormatter,
    )
    return parser


def add_verbose(
    parser: argparse.ArgumentParser, what: str = "log more on stderr, -vv for debug"
) -> None:
    parser.add_argument(
        "-v", "--verbose", action="count", default=0, help=described(what, "warnings only")
    )


def scatterdash_version() -> str:
    try:
        return version("scatterdash")
    except PackageNotFoundError:  # run from a source checkout that was never installed
        return "unknown (not installed)"


def add_version(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--version",
        action="version",
        version=f"scatterdash {scatterdash_version()}",
        help="print the version and exit",
    )


def configure_logging(verbosity: int) -> None:
    level = logging.WARNING if verbosity <= 0 else logging.INFO if verbosity == 1 else logging.DEBUG
    logging.basicConfig(
        level=level, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )


class OutputFailed(Exception):
    """Stdout cannot be written (a full disk, an I/O error): the command ends, exit 1."""


def write_out(out: TextIO, text: str) -> bool:
    """Write ``text`` and flush it; ``False`` when the reader has gone (``| head -1``).
    Raises :class:`OutputFailed` when the output cannot be written for another reason."""
    try:
        out.write(text)
        out.flush()
    except BrokenPipeError:
        reader_gone(out)
        return False
    except OSError as exc:
        raise OutputFailed(f"cannot write the output: {exc.strerror or exc}") from None
    return True


def reader_gone(out: TextIO | None = None) -> None:
    """Stdout's reader closed the pipe: send what is left, and the interpreter's final
    flush, to /dev/null, so that nothing more fails or prints a traceback."""
    out = out or sys.stdout
    if out is not sys.stdout:
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    finally:
        os.close(devnull)


def aligned(rows: Sequence[Sequence[str]]) -> list[str]:
    """Rows of cells as lines of left-aligned columns, two spaces apart."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))] if rows else []
    return [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]


@contextlib.contextmanager
def stop_signals(stop: Callable[[], object]) -> Iterator[None]:
    """Call ``stop`` on SIGINT (Ctrl-C) or SIGTERM while inside; in a running event loop.

    Where the loop cannot handle signals (not the main thread, Windows), Ctrl-C stays a
    KeyboardInterrupt: exit 130, from :func:`core.cli.main`.
    """
    loop = asyncio.get_running_loop()
    handled = []
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(signum, stop)
            handled.append(signum)
    try:
        yield
    finally:
        for signum in handled:
            loop.remove_signal_handler(signum)
