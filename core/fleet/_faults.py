"""Fault settings: how one simulated supplier misbehaves, changeable while the fleet runs."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["FaultSettings"]


class FaultSettings(BaseModel):
    """One supplier's faults. Immutable: :meth:`changed` returns a new, validated copy.

    The booleans are on for every request while set; the rates are drawn per request.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    error_rate: float = Field(default=0.0, ge=0, le=1)
    """probability that a request gets HTTP 500"""
    hang_rate: float = Field(default=0.0, ge=0, le=1)
    """probability that a request is never answered (``hang`` for every request)"""
    outage: bool = False
    """the port is closed: connections are refused"""
    hang: bool = False
    """never answer"""
    slow_drip: bool = False
    """send the headers, then trickle the body a few bytes at a time over many seconds"""
    malformed_json: bool = False
    wrong_schema: bool = False
    absurd_price: bool = False
    """a unit price of 1e12: well-formed, but no real quote"""
    latency_multiplier: float = Field(default=1.0, ge=0, le=1000)

    def changed(self, **changes: Any) -> FaultSettings:
        """A copy with ``changes`` applied: TypeError for an unknown name, ValueError
        (pydantic's ValidationError) for a bad value."""
        unknown = sorted(set(changes) - set(type(self).model_fields))
        if unknown:
            raise TypeError(f"unknown fault setting(s): {', '.join(unknown)}")
        return type(self).model_validate({**self.model_dump(), **changes})

    @property
    def active(self) -> list[str]:
        """The names of the settings that differ from a healthy supplier, for display."""
        return sorted(self.model_dump(exclude_defaults=True))
