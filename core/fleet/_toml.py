"""Writes a client config as TOML (the standard library reads TOML but cannot write it).

Only what a :class:`core.Config` holds: strings, numbers, booleans, arrays and nested
tables. A JSON string literal is a valid TOML basic string (``json.dumps`` escapes every
control character and non-ASCII character).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from core._config import Config

__all__ = ["dump_config"]


def _key(key: str) -> str:
    bare = key and all(c.isascii() and (c.isalnum() or c in "-_") for c in key)
    return key if bare else json.dumps(key)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_value(item) for item in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} as TOML")


def _table(lines: list[str], path: str, table: Mapping[str, Any]) -> None:
    """Scalars (and arrays) under the header already written, then each sub-table."""
    for key, value in table.items():
        if not isinstance(value, Mapping):
            lines.append(f"{_key(key)} = {_value(value)}")
    for key, value in table.items():
        if isinstance(value, Mapping):
            sub = f"{path}.{_key(key)}"
            lines.append(f"[{sub}]")
            _table(lines, sub, value)


def dump_config(config: Config, header: str = "") -> str:
    """The config as TOML text that :func:`core.load_config` reads back to an equal one.

    Every section, and every supplier with its keys as given: a broker URL too, credentials
    and all, as the config it came from holds it (this is that config, for its user).
    """
    lines = [f"# {line}".rstrip() for line in header.splitlines()]
    if lines:
        lines.append("")
    lines.append("[defaults]")
    _table(lines, "defaults", config.defaults.model_dump(exclude_none=True))
    sections = {
        "breaker": config.breaker,
        "health": config.health,
        "history": config.history,
        "fallback": config.fallback,
    }
    for name, section in sections.items():
        lines += ["", f"[{name}]"]
        _table(lines, name, section.model_dump())
    for supplier in config.suppliers:
        lines += ["", "[[suppliers]]"]
        _table(lines, "suppliers", supplier.model_dump(exclude_defaults=True))
    return "\n".join(lines) + "\n"
