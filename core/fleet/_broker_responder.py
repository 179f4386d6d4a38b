"""A simulated supplier served on a broker: the demo fleet's profiles and faults, behind a
queue (amqp), a subject (nats) or a topic (kafka) instead of an HTTP port.

What a request gets is drawn exactly as the HTTP fleet draws it (same seed, same
prices); the faults map onto the wire contract: an error is a ``{"error": ...}`` reply,
a hang is no reply at all. Several responders for one supplier share its work: one AMQP
queue, a NATS queue group and a Kafka consumer group named after the supplier.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import logging
import os
from collections.abc import Callable, Mapping
from typing import Any

from pydantic import ValidationError

from core._broker_config import broker_destination, broker_url
from core._config import Config
from core._errors import ConfigError
from core._validation import describe
from core.fleet._catalogue import Catalogue, default_catalogue
from core.fleet._fleet import DEFAULT_SEED
from core.fleet._listener import Listener
from core.fleet._profile import SimProfile, SupplierProfile
from core.fleet._replies import BadRequest, parse_ask, reply_body
from core.fleet._supplier import SimulatedSupplier

__all__ = ["BrokerResponder"]

log = logging.getLogger("scatterdash.responder")


def _error(message: str) -> bytes:
    return json.dumps({"error": message}).encode()


class BrokerResponder:
    """Answers one supplier's requests on its broker until cancelled."""

    def __init__(
        self,
        config: Config,
        name: str,
        *,
        seed: int = DEFAULT_SEED,
        catalogue: Catalogue | None = None,
        environ: Mapping[str, str] | None = None,
        latency_scale: float = 1.0,
    ) -> None:
        try:
            index, supplier = next((i, s) for i, s in enumerate(config.suppliers) if s.name == name)
        except StopIteration:
            raise ConfigError(f"{config.source}: no supplier named {name!r}") from None
        if supplier.transport == "http":
            raise ConfigError(
                f"{config.source}: suppliers[{index}].transport: {name!r} is an http "
                "supplier; `scatterdash fleet` serves those"
            )
        try:
            sim = SimProfile.model_validate(supplier.sim or {})
        except ValidationError as exc:
            raise ConfigError(f"{config.source}: suppliers[{index}].sim.{describe(exc)}") from None
        self.name = name
        self.kind = supplier.transport
        self.url = broker_url(
            config.source, index, supplier, os.environ if environ is None else environ
        )
        destination = broker_destination(supplier)
        assert destination is not None
        self.destination = destination
        self.supplier = SimulatedSupplier(
            SupplierProfile(name, sim),
            Listener(),  # never bound: the broker is this supplier's door
            seed=seed,
            catalogue=catalogue or default_catalogue(),
            latency_scale=latency_scale,
        )

    async def answer(self, body: bytes) -> bytes | None:
        """The reply to one request body; None: no reply (a hang)."""
        try:
            ask = parse_ask(body)
        except BadRequest as exc:
            return _error(f"not a price request: {exc}")
        supplier = self.supplier
        faults = supplier.faults
        supplier.requests_served += 1
        log.info("%s: %s x%d (%s)", self.name, ask.product_id, ask.quantity, ask.correlation_id)
        draw = supplier.draw(faults)
        if draw.hang or faults.outage:
            return None
        if draw.delay_s > 0:
            await asyncio.sleep(draw.delay_s)
        if draw.error:
            return _error("simulated internal error")
        offer = supplier.offer(ask.product_id, ask.quantity)
        return reply_body(self.name, ask, offer, faults)

    async def serve(self, ready: Callable[[], None] | None = None) -> None:
        """Serve until cancelled; ``ready`` is called once requests are being consumed."""
        module: Any = importlib.import_module(f"core.transports.{self.kind}")
        if self.kind == "amqp":
            await module.serve(self.url, self.destination, self.answer, ready=ready)
        else:  # nats queue group, kafka consumer group: named after the supplier
            await module.serve(self.url, self.destination, self.name, self.answer, ready=ready)
