"""Where the files in the repository's ``resources/`` folder are."""

from __future__ import annotations

from pathlib import Path

__all__ = ["RESOURCES", "resource"]

RESOURCES = Path(__file__).resolve().parent.parent / "resources"


def resource(name: str) -> Path:
    """The path of ``resources/<name>`` (the project is installed editable: ``pip install -e``)."""
    return RESOURCES / name
