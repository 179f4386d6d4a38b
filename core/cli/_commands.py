"""The sub-commands: each one's module and the one line ``scatterdash --help`` shows for it.

A module is imported only for the sub-command being run (or for a full parser), so
``scatterdash watch`` never loads the simulated fleet (aiohttp) that ``fleet`` and
``responder`` need. Each module defines ``add_parser(subparsers)``.
"""

from __future__ import annotations

__all__ = ["COMMANDS"]

COMMANDS: dict[str, tuple[str, str]] = {
    "compare": ("core.cli.compare", "run one price comparison headless and print the outcome"),
    "history": ("core.cli.history", "list, show, export and replay recorded comparisons"),
    "watch": ("core.cli.watch", "probe the suppliers and print each probe and breaker change"),
    "fleet": ("core.cli.fleet", "run simulated suppliers on 127.0.0.1 until interrupted"),
    "responder": ("core.cli.responder", "serve one broker supplier of a config, simulated"),
}
"""name → (module, summary), in the order ``scatterdash --help`` lists them"""
