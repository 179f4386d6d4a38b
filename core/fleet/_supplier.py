"""One simulated supplier while the fleet runs: its profile, faults, traffic and port."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Any

from core.fleet._catalogue import Catalogue
from core.fleet._faults import FaultSettings
from core.fleet._listener import HOST, Listener
from core.fleet._pricing import Offer, offer
from core.fleet._profile import QUOTE_PATH, SupplierProfile

__all__ = ["Draw", "SimulatedSupplier"]


@dataclass(frozen=True, slots=True)
class Draw:
    """What happens to one request, drawn when it arrives."""

    delay_s: float
    hang: bool
    error: bool


class SimulatedSupplier:
    def __init__(
        self,
        profile: SupplierProfile,
        listener: Listener,
        *,
        seed: int,
        catalogue: Catalogue,
        latency_scale: float = 1.0,
    ) -> None:
        self.profile = profile
        self.name = profile.name
        self.seed = seed
        self.catalogue = catalogue
        self.latency_scale = latency_scale
        self.listener = listener
        self.requests_served = 0
        """requests answered or dropped by a fault (bad requests are not counted)"""
        self._faults = profile.sim.faults
        # latency and fault draws: one stream per supplier, so a run is reproducible when
        # requests arrive in the same order
        self._traffic = random.Random(f"{seed}/{profile.name}/traffic")
        sim = profile.sim
        self._log_median = math.log(sim.latency_ms / 1000) if sim.latency_ms > 0 else None

    # -- where -------------------------------------------------------------------------

    @property
    def port(self) -> int:
        return self.listener.port

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}{QUOTE_PATH}"

    # -- faults ------------------------------------------------------------------------

    @property
    def faults(self) -> FaultSettings:
        return self._faults

    def set_faults(self, faults: FaultSettings) -> FaultSettings:
        """Apply new faults; an outage closes or re-binds the port before this returns."""
        if faults.outage and self.listener.listening:
            self.listener.close()
        elif not faults.outage and not self.listener.listening:
            self.listener.reopen()  # OSError if the port was taken meanwhile
        self._faults = faults
        return faults

    def change_faults(self, **changes: Any) -> FaultSettings:
        return self.set_faults(self._faults.changed(**changes))

    # -- one request -------------------------------------------------------------------

    def draw(self, faults: FaultSettings) -> Draw:
        rng, sim = self._traffic, self.profile.sim
        hang = faults.hang or (faults.hang_rate > 0 and rng.random() < faults.hang_rate)
        error = faults.error_rate > 0 and rng.random() < faults.error_rate
        delay = 0.0
        scale = self.latency_scale * faults.latency_multiplier
        if self._log_median is not None and scale > 0:
            delay = rng.lognormvariate(self._log_median, sim.latency_spread)
            if sim.outlier_rate > 0 and rng.random() < sim.outlier_rate:
                delay *= sim.outlier_factor
            delay *= scale
        return Draw(delay, hang, error)

    def offer(self, product_id: str, quantity: int) -> Offer:
        return offer(self.seed, self.name, self.profile.sim, self.catalogue, product_id, quantity)

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "url": self.url,
            "port": self.port,
            "listening": self.listener.listening,
            "faults": self._faults.model_dump(),
            "requests_served": self.requests_served,
        }
