"""NATS transport through nats-py: request-reply on the supplier's subject.

One connection per broker URL and on it one wildcard inbox subscription
(``_INBOX.<id>.*``); each call publishes with reply subject ``_INBOX.<id>.<wire id>``
and a ``Correlation-Id`` header, and its reply is matched by that subject. A subject
nobody serves is an immediate "no responders" error (the server's 503 status).

Reconnection is ours, not nats-py's: when the connection drops, the calls in flight fail
at once and the next call connects again.

``serve`` is the other side: an adapter in the queue group named after the supplier.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable

import nats
import nats.aio.client
import nats.aio.msg
import nats.errors

from core._errors import TransportError
from core.transports._base import Endpoint
from core.transports._broker import JSON, BrokerState, Handler, Waiters, check_reply, scrub, settle

__all__ = ["CORRELATION_HEADER", "NatsTransport", "serve"]

log = logging.getLogger("scatterdash.nats")

CORRELATION_HEADER = "Correlation-Id"
CONNECT_TIMEOUT_S = 5
_STATUS = "Status"
_NO_RESPONDERS = "503"


async def _connect(url: str, on_lost: Callable[[], None] | None = None) -> nats.aio.client.Client:
    failures: list[str] = []

    async def lost() -> None:
        if on_lost is not None:
            on_lost()

    async def error(exc: Exception) -> None:
        failures.append(scrub(str(exc), url) or type(exc).__name__)
        log.debug("NATS: %s", failures[-1])

    try:
        return await nats.connect(
            url,
            allow_reconnect=False,
            connect_timeout=CONNECT_TIMEOUT_S,
            # nats-py retries the first connect even without reconnects: two quick tries
            max_reconnect_attempts=1,
            reconnect_time_wait=0,
            error_cb=error,
            disconnected_cb=lost,
            closed_cb=lost,
        )
    except (OSError, nats.errors.Error, TimeoutError) as exc:
        reason = failures[-1] if failures else scrub(str(exc), url) or type(exc).__name__
        raise TransportError(f"cannot connect to the broker: {reason}") from None


class NatsTransport:
    kind = "nats"

    def __init__(self, url: str) -> None:
        self._url = url
        self._client: nats.aio.client.Client | None = None
        self._inbox = ""
        self._connecting: asyncio.Lock | None = None
        self._waiters = Waiters()
        self._closed = False
        self.state = BrokerState.IDLE

    @property
    def dropped_replies(self) -> int:
        return self._waiters.dropped

    def _usable(self) -> nats.aio.client.Client | None:
        client = self._client
        return client if client is not None and client.is_connected else None

    async def _ensure(self) -> nats.aio.client.Client:
        client = self._usable()
        if client is not None:
            return client
        if self._closed:
            raise TransportError("transport closed")
        if self._connecting is None:
            self._connecting = asyncio.Lock()
        async with self._connecting:
            client = self._usable()
            if client is not None:
                return client
            stale, self._client = self._client, None
            if stale is not None and not stale.is_closed:
                await stale.close()
            self.state = BrokerState.CONNECTING
            try:
                client = await _connect(self._url, self._lost)
                inbox = client.new_inbox()
                await client.subscribe(f"{inbox}.*", cb=self._on_reply)
            except BaseException:
                self.state = BrokerState.DISCONNECTED
                raise
            self._client, self._inbox = client, inbox
            self.state = BrokerState.CONNECTED
            return client

    def _lost(self) -> None:
        if self._closed:
            return
        if self.state is BrokerState.CONNECTED:
            log.warning("NATS connection lost: calls in flight fail")
        self.state = BrokerState.DISCONNECTED
        self._waiters.fail_all(TransportError("broker connection lost"))

    async def _on_reply(self, message: nats.aio.msg.Msg) -> None:
        wire_id = message.subject.rpartition(".")[2]
        headers = message.headers or {}
        if headers.get(_STATUS) == _NO_RESPONDERS and not message.data:
            self._waiters.fail(wire_id, TransportError("no responders on the subject"))
            return
        self._waiters.resolve(wire_id, message.data, headers.get("Content-Type"))

    async def request(
        self, endpoint: Endpoint, body: bytes, *, correlation_id: str, max_bytes: int
    ) -> bytes:
        client = await self._ensure()
        wire_id = self._waiters.new_id(correlation_id)
        reply = self._waiters.register(wire_id)
        try:
            try:
                await client.publish(
                    endpoint.address,
                    body,
                    reply=f"{self._inbox}.{wire_id}",
                    headers={CORRELATION_HEADER: wire_id, "Content-Type": JSON},
                )
            except nats.errors.Error as exc:
                raise TransportError(f"publish failed: {exc or type(exc).__name__}") from None
            answer = await reply
        finally:
            self._waiters.discard(wire_id)
            if reply.done() and not reply.cancelled():
                reply.exception()
        return check_reply(answer, max_bytes)

    async def aclose(self) -> None:
        self._closed = True
        self.state = BrokerState.CLOSED
        client, self._client = self._client, None
        self._waiters.fail_all(TransportError("transport closed"))
        if client is not None and not client.is_closed:
            await client.close()


def queue_group(name: str) -> str:
    """``name`` as a NATS queue group, which may hold no whitespace ("Acme Books" is a
    valid supplier name): the same for every responder of that supplier."""
    return "_".join(name.split())


async def serve(
    url: str,
    subject: str,
    group: str,
    handler: Handler,
    *,
    ready: Callable[[], None] | None = None,
) -> None:
    """Serve ``subject`` in queue group ``group`` until cancelled (or the connection
    drops): each request body goes to ``handler``; its bytes are the reply (None: none)."""
    lost = asyncio.get_running_loop().create_future()
    client = await _connect(url, functools.partial(settle, lost))
    tasks: set[asyncio.Task[None]] = set()

    async def answer(message: nats.aio.msg.Msg) -> None:
        reply = await handler(message.data)
        if reply is not None and message.reply:
            wire_id = (message.headers or {}).get(CORRELATION_HEADER)
            headers = {"Content-Type": JSON, **({CORRELATION_HEADER: wire_id} if wire_id else {})}
            try:
                await client.publish(message.reply, reply, headers=headers)
            except nats.errors.Error as exc:
                log.warning("cannot answer a request: %s", exc)

    async def on_message(message: nats.aio.msg.Msg) -> None:
        task = asyncio.create_task(answer(message))
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    try:
        await client.subscribe(subject, queue=queue_group(group), cb=on_message)
        await client.flush()
        if ready is not None:
            ready()
        await lost
        raise TransportError("broker connection lost")
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if not client.is_closed:
            await client.close()
