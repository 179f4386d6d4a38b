"""Shared pytest setup. Qt tests set QT_QPA_PLATFORM=offscreen in tests/gui/conftest.py."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")

# a busy 2-core CI machine can take longer than hypothesis's 200 ms for one example: the
# properties are what is tested, not their speed
settings.register_profile("scatterdash", deadline=None)
settings.load_profile("scatterdash")


@pytest.fixture(autouse=True)
def _no_proxy_from_the_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test says which proxy it wants (every supplier here is on loopback): a proxy
    the CI machine sets for its own outbound traffic stays out."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


@pytest.fixture(autouse=True)
def history_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test (and every CLI it starts) records into its own history, never the user's."""
    data = tmp_path / "scatterdash-data"
    monkeypatch.setenv("SCATTERDASH_DATA_DIR", str(data))
    return data
