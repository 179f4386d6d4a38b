"""Supplier health: rolling statistics per supplier, fed by calls (and probes)."""

from core.health._tracker import HealthTracker, SupplierHealth

__all__ = ["HealthTracker", "SupplierHealth"]
