"""The demo supplier fleet: simulated suppliers speaking the supplier protocol over real
HTTP on 127.0.0.1, with seeded profiles and faults that change while it runs.

``embedded_demo_fleet()`` is what ``scatterdash compare --demo`` and the GUI start;
``scatterdash fleet`` runs one in the foreground for other processes.
"""

from core.fleet._build import DEMO_PROFILE, embedded_demo_fleet, fleet_from_profile, generated_fleet
from core.fleet._catalogue import Catalogue, Product, default_catalogue, load_catalogue
from core.fleet._faults import FaultSettings
from core.fleet._fleet import DEFAULT_SEED, Fleet
from core.fleet._generate import generate_profiles
from core.fleet._listener import HOST
from core.fleet._pricing import Offer, offer
from core.fleet._profile import (
    QUOTE_PATH,
    STANDARD_DISCOUNTS,
    SimProfile,
    SupplierProfile,
    profiles_from_config,
)
from core.fleet._supplier import SimulatedSupplier

__all__ = [
    "DEFAULT_SEED",
    "DEMO_PROFILE",
    "HOST",
    "QUOTE_PATH",
    "STANDARD_DISCOUNTS",
    "Catalogue",
    "FaultSettings",
    "Fleet",
    "Offer",
    "Product",
    "SimProfile",
    "SimulatedSupplier",
    "SupplierProfile",
    "default_catalogue",
    "embedded_demo_fleet",
    "fleet_from_profile",
    "generate_profiles",
    "generated_fleet",
    "load_catalogue",
    "offer",
    "profiles_from_config",
]
