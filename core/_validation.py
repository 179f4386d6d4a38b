"""One line for a pydantic ValidationError, the field types our models share, and text made
safe to print."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, ValidationError

__all__ = ["Number", "describe", "printable"]


def _int_to_float(value: Any) -> Any:
    # TOML and JSON writers say 5 where they mean 5.0; strict mode would refuse it
    return float(value) if type(value) is int else value


Number = Annotated[float, BeforeValidator(_int_to_float)]
"""a float that also takes a whole number"""


def _location(loc: tuple[int | str, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _too_short(where: str, least: int) -> str:
    if where == "suppliers":
        return (
            "at least one supplier is needed"
            if least == 1
            else f"at least {least} suppliers are needed"
        )
    return f"needs at least {least} item{'s' if least != 1 else ''}"


def describe(error: ValidationError, *, root: str = "") -> str:
    """``where: what`` for the first problem, ``(and N more problems)`` for the rest."""
    errors = error.errors()
    locs = [e["loc"] for e in errors]
    # a container's complaint that merely follows from its items' (an empty tuple after a
    # bad item) would only add noise
    errors = [
        e
        for e in errors
        if not any(len(o) > len(e["loc"]) and o[: len(e["loc"])] == e["loc"] for o in locs)
    ]
    first = errors[0]
    where = _location(first["loc"]) or root
    message = first["msg"].removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        message = "unknown key"
    elif first["type"] == "missing":
        message = "required key is missing"
    elif first["type"] == "too_short":
        message = _too_short(where, first.get("ctx", {}).get("min_length", 1))
    more = len(errors) - 1
    suffix = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
    if not where or message.startswith(where):  # model-level checks name their key
        return f"{message}{suffix}"
    return f"{where}: {message}{suffix}"


#: C0 and C1 control characters, as Python escapes: an error's text may come from a
#: supplier (a reason phrase, an adapter's {"error": ...}) and reaches terminals and tables
_ESCAPED = {c: repr(chr(c))[1:-1] for c in (*range(0x20), *range(0x7F, 0xA0))}


def printable(text: str) -> str:
    """``text`` with its control characters escaped (``\\x1b``, ``\\n``)."""
    return text.translate(_ESCAPED)
