"""Shared pytest setup. Qt tests set QT_QPA_PLATFORM=offscreen in tests/gui/conftest.py."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")
