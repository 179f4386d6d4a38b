"""Shared pytest setup. Qt tests set QT_QPA_PLATFORM=offscreen in tests/gui/conftest.py."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")


@pytest.fixture(autouse=True)
def history_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test (and every CLI it starts) records into its own history, never the user's."""
    data = tmp_path / "scatterdash-data"
    monkeypatch.setenv("SCATTERDASH_DATA_DIR", str(data))
    return data
