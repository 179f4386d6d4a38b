"""The core's public surface, and its independence from Qt."""

from __future__ import annotations

import subprocess
import sys

import core


def test_all_names_exist_once() -> None:
    assert len(core.__all__) == len(set(core.__all__))
    for name in core.__all__:
        assert hasattr(core, name), name
    assert {"PriceComparator", "load_config", "Comparison", "Status"} <= set(core.__all__)


def test_core_and_the_headless_cli_import_without_qt() -> None:
    blocked = "import sys\nfor name in ('PySide6', 'shiboken6', 'pyqtgraph', 'qasync'):\n    sys.modules[name] = None\n"
    code = blocked + "import core, core.cli, gui.launcher\ncore.cli.build_parser()\n"
    subprocess.run([sys.executable, "-c", code], check=True)
