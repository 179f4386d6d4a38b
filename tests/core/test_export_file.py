"""export_comparison writes a file whole or not at all, as a plain write would have: through
a symbolic link, with the umask's mode, in a directory the user may not write to."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

import core
from core.storage import export_comparison
from tests.support.scripted import ScriptedFleet, healthy


@pytest.fixture
async def comparison() -> core.Comparison:
    async with ScriptedFleet({"acme": healthy()}) as fleet:
        async with core.PriceComparator(fleet.config()) as comparator:
            return await comparator.compare("SKU-1", 2)


def test_an_export_through_a_link_updates_the_file_it_points_to(
    comparison: core.Comparison, tmp_path: Path
) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "latest.json").write_text("OLD", encoding="utf-8")
    link = tmp_path / "link.json"
    link.symlink_to(shared / "latest.json")
    export_comparison(comparison, link)
    assert link.is_symlink()
    document = json.loads((shared / "latest.json").read_text(encoding="utf-8"))
    assert document["correlation_id"] == comparison.correlation_id


def test_a_new_export_has_the_mode_the_umask_gives(
    comparison: core.Comparison, tmp_path: Path
) -> None:
    previous = os.umask(0o077)
    try:
        written = export_comparison(comparison, tmp_path / "private.csv")
    finally:
        os.umask(previous)
    assert written.stat().st_mode & 0o777 == 0o600
