"""The health monitor: probes every supplier on an interval, through its circuit breaker.

One scheduler task per comparator keeps each supplier's next probe time (``interval``
jittered by ± ``jitter``, the first ones spread over the first interval so that probes
never align). A probe is a quote request for ``probe_product``, quantity 1, through the
comparator's own destination call (same transport, codec, API key and timeout), or a GET
to the supplier's ``health_url``. It asks the breaker first and records its outcome there,
so probes open and close breakers as calls do: an open breaker is not probed, and once
its wait is over the next probe is the half-open trial. Each probe ends with a
:class:`core.ProbeCompleted` on the comparator's ``events``.

Closing the comparator stops the monitor; nothing is left running.
"""

from __future__ import annotations

import asyncio
import heapq
import logging
import random
import time
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING

from core._breaker import Outcome
from core._config import HealthSettings
from core._errors import InvalidReplyError, TransportError
from core._events import ProbeCompleted
from core._network import network_options
from core._quotes import PriceRequest, Quote
from core._results import Status
from core._validation import printable
from core.transports._base import Endpoint

if TYPE_CHECKING:
    from core._comparator import PriceComparator
    from core._engine import Destination

__all__ = ["HealthMonitor"]

log = logging.getLogger("scatterdash.health")

_BREAKER_OUTCOME = {
    Status.OK: Outcome.SUCCESS,
    Status.ERROR: Outcome.FAILURE,
    Status.INVALID: Outcome.FAILURE,
    Status.TIMEOUT: Outcome.FAILURE,
}


class HealthMonitor:
    """Probes a comparator's suppliers while started; ``pause()`` / ``resume()`` in between."""

    def __init__(
        self,
        comparator: PriceComparator,
        settings: HealthSettings | None = None,
        *,
        rng: random.Random | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        config = comparator.config
        self.settings = settings or config.health
        self._comparator = comparator
        self._destinations: dict[str, Destination[PriceRequest, Quote]] = {
            destination.name: destination for destination in comparator.engine.destinations
        }
        self._health_endpoints = {
            supplier.name: Endpoint(
                supplier.name,
                supplier.health_url,
                verify=supplier.verify,
                ca_bundle=supplier.ca_bundle,
                **network_options(config, supplier),
            )
            for supplier in config.suppliers
            if supplier.health_url is not None
        }
        self._rng = rng or random.Random()
        self._clock = clock
        self._request = PriceRequest(self.settings.probe_product, 1)
        self._scheduler: asyncio.Task[None] | None = None
        self._probing: dict[str, asyncio.Task[ProbeCompleted | None]] = {}
        self._resumed = asyncio.Event()
        self._resumed.set()
        self._closed = False

    # -- control ---------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._scheduler is not None and not self._scheduler.done()

    @property
    def paused(self) -> bool:
        return not self._resumed.is_set()

    def start(self) -> None:
        """Start probing (on the running loop); idempotent."""
        if self._closed:
            raise RuntimeError("this health monitor is closed")
        if self._scheduler is None:
            self._scheduler = asyncio.create_task(self._schedule(), name="health monitor")

    def pause(self) -> None:
        """No new probes until :meth:`resume` (those in flight finish)."""
        self._resumed.clear()

    def resume(self) -> None:
        self._resumed.set()

    async def aclose(self) -> None:
        """Stop probing; probes in flight are cancelled and awaited."""
        self._closed = True
        tasks = [task for task in (self._scheduler, *self._probing.values()) if task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._probing.clear()

    # -- scheduling ------------------------------------------------------------------------

    def _next_interval(self) -> float:
        spread = self.settings.jitter
        return self.settings.interval * self._rng.uniform(1.0 - spread, 1.0 + spread)

    async def _schedule(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await self._resumed.wait()
            # first probes spread over one interval; again after every pause
            now = loop.time()
            queue = [
                (now + self._rng.uniform(0.0, self.settings.interval), index, name)
                for index, name in enumerate(self._destinations)
            ]
            heapq.heapify(queue)
            while not self.paused:
                due, index, name = queue[0]
                delay = due - loop.time()
                if delay > 0:
                    await asyncio.sleep(delay)
                    continue  # paused meanwhile? look again
                heapq.heapreplace(queue, (due + self._next_interval(), index, name))
                if name not in self._probing:  # a slow probe is not stacked up behind
                    task = asyncio.create_task(self.probe(name), name=f"probe {name}")
                    self._probing[name] = task
                    task.add_done_callback(self._forget_probe)

    def _forget_probe(self, task: asyncio.Task[ProbeCompleted | None]) -> None:
        name = task.get_name().removeprefix("probe ")
        if self._probing.get(name) is task:
            del self._probing[name]

    # -- one probe -------------------------------------------------------------------------

    async def probe(self, name: str) -> ProbeCompleted | None:
        """Probe ``name`` now, through its breaker; ``None`` when the breaker refused."""
        destination = self._destinations[name]
        breaker = destination.breaker
        if not breaker.try_acquire():
            return None
        generation = breaker.generation
        status, error = Status.OK, None
        started = time.perf_counter()
        try:
            async with asyncio.timeout(destination.timeout):
                await self._call(destination)
        except TimeoutError:
            status = Status.TIMEOUT
            error = f"no reply within the supplier timeout ({destination.timeout:g} s)"
        except InvalidReplyError as exc:
            status, error = Status.INVALID, printable(str(exc))
        except TransportError as exc:
            status, error = Status.ERROR, printable(str(exc))
        except asyncio.CancelledError:
            breaker.record(Outcome.IGNORED, generation=generation)
            raise
        except Exception as exc:  # a bug in a transport or codec must not stop the monitor
            log.exception("health probe of %s failed unexpectedly", name)
            status, error = Status.ERROR, f"internal error: {type(exc).__name__}"
        latency_ms = (time.perf_counter() - started) * 1000.0
        breaker.record(_BREAKER_OUTCOME[status], generation=generation)
        event = ProbeCompleted(
            name, status.value, latency_ms, error, breaker.state.value, self._clock()
        )
        self._comparator.events.emit(event)
        return event

    async def _call(self, destination: Destination[PriceRequest, Quote]) -> None:
        endpoint = self._health_endpoints.get(destination.name)
        if endpoint is None:
            await destination.call(self._request, f"probe-{uuid.uuid4()}")
            return
        check = getattr(self._comparator.transport, "check", None)
        if check is None:
            raise TransportError(f"the {self._comparator.transport.kind} transport has no GET")
        await check(endpoint, max_bytes=self._comparator.config.defaults.max_reply_bytes)
