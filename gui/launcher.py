"""The ``scatterdash`` command: the GUI by default, headless sub-commands by name.

``scatterdash compare …``, ``scatterdash fleet …``, ``scatterdash history …`` and
``scatterdash --version`` never
import Qt.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

HEADLESS_COMMANDS = frozenset({"compare", "fleet", "history", "responder", "watch"})
#: the sub-commands that scatter or serve for long: they run with core.tune_gc(), as the
#: window does (a third of the CPU of a comparison to 1000 suppliers was the collector)
SCATTERING_COMMANDS = frozenset({"compare", "fleet", "responder", "watch"})
#: answered by the headless parser too: no Qt needed to print a version
HEADLESS_OPTIONS = frozenset({"--version"})


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and (args[0] in HEADLESS_COMMANDS or args[0] in HEADLESS_OPTIONS):
        from core.cli import main as headless_main

        if argv is None and args[0] in SCATTERING_COMMANDS:
            # this process is the application (not a caller's in-process use of main)
            from core import tune_gc

            tune_gc()
        return headless_main(args)
    from gui.app import main as gui_main  # Qt is loaded only for the window

    return gui_main(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
