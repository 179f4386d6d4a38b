"""The headless command line: ``scatterdash SUBCOMMAND``, one module per sub-command.

Exit codes: 0 success (a comparison decided), 1 a comparison undecided, 2 usage or config
error (one line on stderr, never a traceback).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from core._errors import ConfigError
from core.cli._common import EXIT_USAGE, configure_logging
from core.cli.compare import add_compare_parser
from core.cli.watch import add_watch_parser

__all__ = ["build_parser", "configure_logging", "main"]


def build_parser(*, with_fleet: bool = True) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="scatterdash", description=__doc__)
    subparsers = parser.add_subparsers(dest="command", required=True)
    add_compare_parser(subparsers)
    add_watch_parser(subparsers)
    if with_fleet:  # the simulation (and aiohttp) costs ~150 ms to import: only when asked
        from core.cli.fleet import add_fleet_parser

        add_fleet_parser(subparsers)
    return parser


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
