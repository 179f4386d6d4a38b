"""Render the window in trouble: ``python tests/gui/screenshot_scenario.py PATH``.

Not a test. ``scatterdash --screenshot`` shows a fresh demo fleet, where the first
comparison usually goes well for everyone. This shows what an operator sees when things
go wrong: one supplier in outage (its breaker open, counting down to half-open), one
answering with malformed JSON, one slowed down, then the same screenshot routine as
``--screenshot`` (one comparison, then a PNG of the whole window at 1440×900).
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QSettings

from gui import app
from gui.main_window import MainWindow


async def scenario(window: MainWindow, path: Path) -> None:
    fleet = window.fleet
    assert fleet is not None
    fleet.set_faults("granite-works", outage=True)
    fleet.set_faults("summit-components", malformed_json=True)
    fleet.set_faults("northwind", latency_multiplier=6.0)
    window.ticket.set_strategy("all")
    for _ in range(window.config.breaker.consecutive_failures):
        task = window.start_comparison()
        assert task is not None
        await task
    window.ticket.set_strategy("best")
    if window.fleet_panel is not None:
        window.fleet_panel.refresh()
    await app.take_screenshot(window, path)


def main() -> int:
    path = Path(sys.argv[1] if len(sys.argv) > 1 else "screenshot-trouble.png")
    # like --screenshot: the default layout, and nothing read from or left in the user's
    # settings or history
    with tempfile.TemporaryDirectory(prefix="scatterdash-") as scratch:
        for kind in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
            QSettings.setPath(kind, QSettings.Scope.UserScope, scratch)
        return app.run(
            None,
            on_window=lambda window: scenario(window, path),
            history_path=Path(scratch) / "history.sqlite3",
        )


if __name__ == "__main__":
    sys.exit(main())
