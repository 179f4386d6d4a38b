"""The headless command line: ``scatterdash SUBCOMMAND``, one module per sub-command.

Exit codes: 0 success (a comparison decided), 1 a comparison undecided, 2 usage or config
error (one line on stderr, never a traceback).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from core._errors import ConfigError
from core.cli._common import EXIT_USAGE, HelpFormatter, add_version, configure_logging, plain
from core.cli.compare import add_compare_parser
from core.cli.history import add_history_parser
from core.cli.watch import add_watch_parser

__all__ = ["build_parser", "command_summaries", "configure_logging", "main"]


def build_parser(*, with_fleet: bool = True) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="scatterdash", description=plain(__doc__), formatter_class=HelpFormatter
    )
    add_version(parser)
    subparsers = parser.add_subparsers(
        dest="command", required=True, title="commands", metavar="COMMAND"
    )
    add_compare_parser(subparsers)
    add_history_parser(subparsers)
    add_watch_parser(subparsers)
    if with_fleet:  # the simulation (and aiohttp) costs ~150 ms to import: only when asked
        from core.cli.fleet import add_fleet_parser

        add_fleet_parser(subparsers)
        from core.cli.responder import add_responder_parser

        add_responder_parser(subparsers)
    return parser


def command_summaries() -> str:
    """The sub-commands, one line each, for the window's ``scatterdash --help``."""
    parser = build_parser()
    lines = ["commands (scatterdash COMMAND --help for their options):"]
    for action in parser._subparsers._group_actions if parser._subparsers else ():
        for choice in getattr(action, "_choices_actions", ()):
            lines.append(f"  {choice.dest:<12}{choice.help}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(with_fleet=argv[:1] != ["compare"])
    args = parser.parse_args(argv)
    configure_logging(args.verbose)
    try:
        return int(args.handler(args))
    except ConfigError as exc:
        print(f"scatterdash: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except ValueError as exc:
        print(f"scatterdash: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
