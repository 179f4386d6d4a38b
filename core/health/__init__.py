"""Supplier health: rolling statistics per supplier, fed by calls and health probes."""

from core.health._alerts import Alert, HealthAlerts
from core.health._monitor import HealthMonitor
from core.health._tracker import HealthTracker, SupplierHealth
from core.health._window import (
    Bucket,
    HealthStore,
    HealthWindow,
    MemoryHealthStore,
    Sample,
    WindowStats,
)

__all__ = [
    "Alert",
    "Bucket",
    "HealthAlerts",
    "HealthMonitor",
    "HealthStore",
    "HealthTracker",
    "HealthWindow",
    "MemoryHealthStore",
    "Sample",
    "SupplierHealth",
    "WindowStats",
]
