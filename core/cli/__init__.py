"""The headless command line: ``scatterdash SUBCOMMAND``, one module per sub-command.

Exit codes: 0 success (a comparison decided), 1 a comparison undecided, 2 usage or config
error (one line on stderr, never a traceback). Output cut short by its reader (``| head -1``)
changes nothing: no traceback, the same exit code (0 for a command that only prints).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Collection, Sequence

from core._errors import ConfigError
from core.cli._commands import COMMANDS
from core.cli._common import (
    EXIT_OK,
    EXIT_UNDECIDED,
    EXIT_USAGE,
    HelpFormatter,
    OneLineErrors,
    OutputFailed,
    add_command,
    add_version,
    configure_logging,
    plain,
    reader_gone,
)

__all__ = ["build_parser", "command_summaries", "configure_logging", "main"]


def build_parser(load: Collection[str] | None = None) -> argparse.ArgumentParser:
    """The whole command line; ``load``: the sub-commands to import (``None``: all).

    The others get their one line and nothing more, enough for ``scatterdash --help``.
    """
    parser = OneLineErrors(
        prog="scatterdash", description=plain(__doc__), formatter_class=HelpFormatter
    )
    add_version(parser)
    subparsers = parser.add_subparsers(
        dest="command", required=True, title="commands", metavar="COMMAND"
    )
    for name, (module, _) in COMMANDS.items():
        if load is None or name in load:
            importlib.import_module(module).add_parser(subparsers)
        else:
            add_command(subparsers, name)
    return parser


def command_summaries() -> str:
    """The sub-commands, one line each, for the window's ``scatterdash --help``."""
    lines = ["commands (scatterdash COMMAND --help for their options):"]
    lines += [f"  {name:<12}{summary}" for name, (_, summary) in COMMANDS.items()]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(load=argv[:1])  # only the sub-command being run is imported
    args = parser.parse_args(argv)
    configure_logging(args.verbose)
    try:
        code = int(args.handler(args))
    except BrokenPipeError:  # output cut short by its reader (`| head -1`): nothing to say
        reader_gone()
        return EXIT_OK
    except (ConfigError, ValueError) as exc:  # ValueError: UsageError and bad values
        print(f"scatterdash: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except OutputFailed as exc:
        print(f"scatterdash: {exc}", file=sys.stderr)
        reader_gone()  # nor at interpreter exit: what is left goes nowhere, quietly
        return EXIT_UNDECIDED
    try:
        sys.stdout.flush()  # a reader that has left is found here, not at interpreter exit
    except BrokenPipeError:  # the command's own outcome (1: undecided) still stands
        reader_gone()
    except OSError as exc:
        print(f"scatterdash: cannot write the output: {exc.strerror or exc}", file=sys.stderr)
        reader_gone()
        return EXIT_UNDECIDED
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
