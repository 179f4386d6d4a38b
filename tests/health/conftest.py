"""Fleets for the health tests: real HTTP suppliers on 127.0.0.1, stopped after each test."""

from tests.fleet.conftest import make_fleet

__all__ = ["make_fleet"]
