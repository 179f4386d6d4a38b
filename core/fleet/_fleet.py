"""The fleet: many simulated suppliers, each on its own loopback port, in one process."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from types import TracebackType
from typing import Any

from aiohttp import web

from core._config import BreakerSettings, Config, Defaults
from core.fleet._catalogue import Catalogue, default_catalogue
from core.fleet._client_config import check_profile_config, client_config
from core.fleet._control import control_app
from core.fleet._faults import FaultSettings
from core.fleet._listener import HOST, Listener
from core.fleet._profile import SupplierProfile
from core.fleet._server import QuoteHandler
from core.fleet._stats import OverheadStats
from core.fleet._supplier import SimulatedSupplier

__all__ = ["DEFAULT_SEED", "Fleet"]

log = logging.getLogger("scatterdash.fleet")

DEFAULT_SEED = 7
#: how long stopping waits for a reply still being written before closing its connection
SHUTDOWN_GRACE_S = 1.0


class Fleet:
    """Simulated suppliers on 127.0.0.1, served by one aiohttp server.

    ``async with Fleet(profiles) as fleet:`` or ``await fleet.start()`` … ``await
    fleet.stop()``. A profile's port 0 means any free port; ``fleet.config`` is the client
    config for the running fleet. ``latency_scale`` multiplies every drawn latency (tests
    use a small one). ``control_port`` is where the control endpoint listens (0: any free
    port, None: no endpoint). ``profile_config``, the config the profiles were read from,
    makes ``fleet.config`` that config (every section, broker suppliers included) with each
    simulated supplier at its running URL, and ``defaults`` and ``breaker`` as given here.
    """

    def __init__(
        self,
        profiles: Sequence[SupplierProfile],
        *,
        seed: int = DEFAULT_SEED,
        defaults: Defaults | None = None,
        breaker: BreakerSettings | None = None,
        catalogue: Catalogue | None = None,
        latency_scale: float = 1.0,
        control_port: int | None = 0,
        profile_config: Config | None = None,
    ) -> None:
        if not profiles:
            raise ValueError("a fleet needs at least one supplier")
        names = [p.name for p in profiles]
        if len(set(names)) != len(names):
            raise ValueError("supplier names must be unique")
        if profile_config is not None:
            check_profile_config(profile_config, names)
        self._profile_config = profile_config
        if not latency_scale >= 0:
            raise ValueError(f"latency_scale must be 0 or more, got {latency_scale}")
        self.seed = seed
        # its suppliers are on this machine: never through an HTTP_PROXY from the environment
        self.defaults = defaults or Defaults(proxy=False)
        self.breaker = breaker or BreakerSettings()
        self.catalogue = catalogue or default_catalogue()
        self.latency_scale = latency_scale
        self._control_port = control_port
        self._stats = OverheadStats()
        self._handler = QuoteHandler(self._stats)
        self._web_server: web.Server | None = None
        self._runner: web.ServerRunner | None = None
        self._control_runner: web.AppRunner | None = None
        self._control_url: str | None = None
        self.suppliers: list[SimulatedSupplier] = [
            SimulatedSupplier(
                profile,
                Listener(profile.port),
                seed=seed,
                catalogue=self.catalogue,
                latency_scale=latency_scale,
            )
            for profile in profiles
        ]
        """in profile order; a supplier's port is known once the fleet has started"""
        self._by_name = {s.name: s for s in self.suppliers}
        self._config: Config | None = None
        self._state = "new"

    # -- life cycle --------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._state == "running"

    async def start(self) -> None:
        if self._state != "new":
            raise RuntimeError(f"this fleet cannot start again ({self._state})")
        self._state = "starting"
        try:
            await self._start()
        except BaseException:
            await self.stop()
            raise
        self._state = "running"
        log.info("fleet of %d suppliers listening on %s", len(self.suppliers), HOST)

    async def _start(self) -> None:
        self._web_server = web.Server(self._handler, handler_cancellation=True, access_log=None)
        self._runner = web.ServerRunner(self._web_server, shutdown_timeout=SHUTDOWN_GRACE_S)
        await self._runner.setup()
        for supplier in self.suppliers:
            await supplier.listener.start(self._web_server)
            self._handler.add(supplier)
            if supplier.faults.outage:
                supplier.listener.close()  # the port is known (and in the config), but refuses
        self._config = self._make_config()
        if self._control_port is not None:
            await self._start_control(self._control_port)

    async def _start_control(self, port: int) -> None:
        self._control_runner = web.AppRunner(
            control_app(self), access_log=None, shutdown_timeout=SHUTDOWN_GRACE_S
        )
        await self._control_runner.setup()
        site = web.TCPSite(self._control_runner, HOST, port)
        await site.start()
        bound = self._control_runner.addresses[0][1]
        self._control_url = f"http://{HOST}:{bound}"

    async def stop(self) -> None:
        """Close every port and connection (pending replies are cancelled) and wait until
        every socket and task is released."""
        if self._state in ("stopping", "stopped"):
            return
        self._state = "stopping"
        for supplier in self.suppliers:
            supplier.listener.close(drop_connections=False)
        if self._web_server is not None:
            for connection in self._web_server.connections:
                connection.force_close()  # pending handlers (hangs, drips…) are cancelled
        if self._control_runner is not None:
            await self._control_runner.cleanup()
        if self._runner is not None:
            await self._runner.cleanup()
        for supplier in self.suppliers:
            await supplier.listener.aclose()
        self._state = "stopped"

    async def __aenter__(self) -> Fleet:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    # -- what clients need -------------------------------------------------------------

    @property
    def config(self) -> Config:
        """The client config: every supplier, in order, each simulated one at its real URL
        (from a profile: its broker suppliers and sections too)."""
        if self._config is None:
            raise RuntimeError("the fleet has not started: its ports are not known yet")
        return self._config

    @property
    def control_url(self) -> str | None:
        return self._control_url

    def _make_config(self) -> Config:
        return client_config(self.suppliers, self.defaults, self.breaker, self._profile_config)

    # -- faults and counters -----------------------------------------------------------

    def supplier(self, name: str) -> SimulatedSupplier:
        """KeyError for an unknown name."""
        try:
            return self._by_name[name]
        except KeyError:
            raise KeyError(f"no supplier named {name!r}") from None

    def faults(self, name: str) -> FaultSettings:
        return self.supplier(name).faults

    def set_faults(self, name: str, **changes: Any) -> FaultSettings:
        """Change some of a supplier's faults; the next request sees them.

        KeyError for an unknown supplier, TypeError for an unknown setting, ValueError for
        a bad value. Setting ``outage`` closes the port before this returns; clearing it
        binds the same port again (OSError if something else took it meanwhile).
        """
        supplier = self.supplier(name)
        self._check_running()
        return supplier.change_faults(**changes)

    def reset_faults(self, name: str) -> FaultSettings:
        """Back to the faults the supplier's profile starts with."""
        supplier = self.supplier(name)
        self._check_running()
        return supplier.set_faults(supplier.profile.sim.faults)

    def _check_running(self) -> None:
        if self._state != "running":
            raise RuntimeError(f"faults can only change while the fleet runs ({self._state})")

    @property
    def requests_served(self) -> dict[str, int]:
        return {s.name: s.requests_served for s in self.suppliers}

    def stats(self) -> dict[str, Any]:
        """Requests per supplier aside: replies sent, and the fleet's own added latency
        (time in the handler minus the drawn delay) at p50/p90/p99 in milliseconds."""
        return {
            "suppliers": len(self.suppliers),
            "requests": sum(s.requests_served for s in self.suppliers),
            **self._stats.summary(),
        }

    def reset_stats(self) -> None:
        self._stats.reset()
