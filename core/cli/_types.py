"""Checked argparse value types: a bad value is one short message naming the flag."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from datetime import datetime

from core._comparator import product_id_problem

__all__ = ["iso_date", "number_between", "product_id", "seconds", "whole_number"]


def whole_number(low: int, high: int | None = None) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
        if high is not None and not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be {low} to {high}, got {value}")
        if value < low:
            bound = "0 or more" if low == 0 else f"at least {low}"
            raise argparse.ArgumentTypeError(f"must be {bound}, got {value}")
        return value

    return parse


def number_between(low: float, high: float) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be {low:g} to {high:g}, got {text}")
        return value

    return parse


def seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, got {text}")
    return value


def product_id(text: str) -> str:
    problem = product_id_problem(text)
    if problem is not None:
        raise argparse.ArgumentTypeError(problem)
    return text


def iso_date(text: str) -> float:
    """An ISO-8601 date or date-time (local time unless it says otherwise) → seconds."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not an ISO-8601 date: {text!r} (e.g. 2026-11-28 or 2026-11-28T14:00)"
        ) from None
    try:
        return moment.timestamp()
    except (ValueError, OverflowError, OSError):  # year 1, in a zone west of UTC
        raise argparse.ArgumentTypeError(f"date out of range: {text!r}") from None
