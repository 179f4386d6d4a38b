"""Where Scatterdash's data files are: the ``resources/`` folder, installed as package data.

An install (wheel, ``pip install .`` or ``-e``) maps that folder to the package
``scatterdash_resources``, found with :mod:`importlib.resources`; a source checkout run
without installing (``PYTHONPATH=.``) falls back to the folder beside ``core/``.
"""

from __future__ import annotations

import importlib.util
from importlib.resources import files
from pathlib import Path

__all__ = ["RESOURCES", "resource"]

_PACKAGE = "scatterdash_resources"


def _resources_folder() -> Path:
    if importlib.util.find_spec(_PACKAGE) is not None:
        return Path(str(files(_PACKAGE)))
    return Path(__file__).resolve().parent.parent / "resources"


RESOURCES = _resources_folder()


def resource(name: str) -> Path:
    """The path of the data file ``name`` (e.g. ``"demo.toml"``, ``"icons/compare.svg"``)."""
    return RESOURCES / name
