"""What every sub-command shares: exit codes, ``-v`` and logging set-up."""

from __future__ import annotations

import argparse
import logging
import sys

__all__ = ["EXIT_DECIDED", "EXIT_UNDECIDED", "EXIT_USAGE", "add_verbose", "configure_logging"]

EXIT_DECIDED, EXIT_UNDECIDED, EXIT_USAGE = 0, 1, 2


def add_verbose(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-v", "--verbose", action="count", default=0, help="log more (twice for debug)"
    )


def configure_logging(verbosity: int) -> None:
    level = logging.WARNING if verbosity <= 0 else logging.INFO if verbosity == 1 else logging.DEBUG
    logging.basicConfig(
        level=level, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
