"""AMQP 0-9-1 (RabbitMQ) transport through aio-pika, with direct reply-to.

Requests go to the default exchange with routing key = the supplier's queue, a
correlation id unique per call and ``reply_to = amq.rabbitmq.reply-to``; they are
published ``mandatory`` on a channel with publisher confirms, so a queue nobody serves is
an immediate "no route" error. One connection and one channel per broker URL; on it one
consumer of the direct reply-to pseudo-queue, whose replies are matched to their call by
correlation id.

aio-pika's robust connection does not restore the reply-to consumer after a reconnect
(the next publish fails with PRECONDITION_FAILED), so the connection here is a plain one:
when it (or the channel) closes, every call in flight fails at once and the next call
opens a new connection and a new consumer.

``serve`` is the other side: a supplier adapter consuming its queue and replying.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import uuid
from collections.abc import Callable
from typing import Any

import aio_pika
import aio_pika.abc
import aio_pika.exceptions
import aiormq

from core._errors import TransportError
from core.transports._base import Endpoint
from core.transports._broker import JSON, BrokerState, Handler, Waiters, check_reply, scrub

__all__ = ["REPLY_TO", "AmqpTransport", "serve"]

log = logging.getLogger("scatterdash.amqp")
# aiormq logs every failed connect at ERROR with a traceback-like repr; the failure reaches
# the operator as the call's one-line error instead
logging.getLogger("aiormq.connection").setLevel(logging.CRITICAL)

REPLY_TO = "amq.rabbitmq.reply-to"
CONNECT_TIMEOUT_S = 5.0


class _Link:
    """One connection, its channel and the reply consumer on it."""

    def __init__(
        self,
        connection: aio_pika.abc.AbstractConnection,
        channel: aio_pika.abc.AbstractChannel,
        underlay: Any,
    ) -> None:
        self.connection = connection
        self.channel = channel
        self.underlay = underlay
        """aiormq's channel under aio-pika's: see ``AmqpTransport.request``"""
        self.lost = False


class AmqpTransport:
    kind = "amqp"

    def __init__(self, url: str) -> None:
        self._url = url
        self._link: _Link | None = None
        self._connecting: asyncio.Lock | None = None
        self._waiters = Waiters()
        self._closed = False
        self.state = BrokerState.IDLE
        self.connection_name = f"scatterdash {os.getpid()} {uuid.uuid4().hex[:8]}"
        """how the broker lists this transport's connection (rabbitmqctl, management UI)"""

    @property
    def dropped_replies(self) -> int:
        """late, duplicate and unknown replies dropped so far"""
        return self._waiters.dropped

    async def _ensure(self) -> _Link:
        link = self._link
        if link is not None and not link.lost:
            return link
        if self._closed:
            raise TransportError("transport closed")
        if self._connecting is None:
            self._connecting = asyncio.Lock()
        async with self._connecting:
            link = self._link
            if link is not None and not link.lost:
                return link
            # only its channel may have closed (an error on it): the connection goes too
            self._link = None
            if link is not None:
                await _close(link.connection)
            self.state = BrokerState.CONNECTING
            try:
                self._link = await self._connect()
            except (OSError, aio_pika.exceptions.AMQPError, TimeoutError) as exc:
                self.state = BrokerState.DISCONNECTED
                reason = scrub(str(exc), self._url) or type(exc).__name__
                raise TransportError(f"cannot connect to the broker: {reason}") from None
            except BaseException:  # cancelled: the next call connects again
                self.state = BrokerState.DISCONNECTED
                raise
            self.state = BrokerState.CONNECTED
            return self._link

    async def _connect(self) -> _Link:
        connection = await aio_pika.connect(
            self._url,
            timeout=CONNECT_TIMEOUT_S,
            client_properties={"connection_name": self.connection_name},
        )
        try:
            channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
            link = _Link(connection, channel, await channel.get_underlay_channel())
            # consumed through aiormq: aio-pika would wrap each reply in an IncomingMessage
            # and a task of its own, on top of aiormq's task per delivery
            await link.underlay.basic_consume(REPLY_TO, self._on_reply, no_ack=True)
        except BaseException:
            await connection.close()
            raise

        def lost(_sender: object, _exc: BaseException | None = None) -> None:
            if not link.lost:
                link.lost = True
                if not self._closed:
                    self.state = BrokerState.DISCONNECTED
                    log.warning("AMQP broker connection lost: calls in flight fail")
                self._waiters.fail_all(TransportError("broker connection lost"))

        connection.close_callbacks.add(lost)
        channel.close_callbacks.add(lost)
        return link

    async def _on_reply(self, message: aiormq.abc.DeliveredMessage) -> None:
        properties = message.header.properties
        self._waiters.resolve(properties.correlation_id, message.body, properties.content_type)

    async def request(
        self, endpoint: Endpoint, body: bytes, *, correlation_id: str, max_bytes: int
    ) -> bytes:
        link = await self._ensure()
        wire_id = self._waiters.new_id(correlation_id)
        reply = self._waiters.register(wire_id)
        # the wire properties themselves: an aio_pika.Message costs ~60 µs to build
        properties = aiormq.spec.Basic.Properties(
            content_type=JSON,
            correlation_id=wire_id,
            reply_to=REPLY_TO,
            delivery_mode=int(aio_pika.DeliveryMode.NOT_PERSISTENT),
        )
        try:
            try:
                # aio-pika's publish waits, under the channel's lock, until each message
                # is written to the socket: a scatter's publishes queue behind each other
                # one loop iteration apiece. Handing the frames over without that wait
                # and awaiting only the confirm lets them leave together.
                await link.underlay.basic_publish(
                    body,
                    routing_key=endpoint.address,
                    properties=properties,
                    mandatory=True,
                    wait=False,
                )
            except aio_pika.exceptions.PublishError:  # returned: a mandatory publish unrouted
                raise TransportError(
                    f"no route: no queue {endpoint.address!r} on the broker"
                ) from None
            except aio_pika.exceptions.DeliveryError:  # nacked
                raise TransportError("the broker refused the request") from None
            except (aio_pika.exceptions.AMQPError, ConnectionError, RuntimeError) as exc:
                if reply.done() and reply.exception() is not None:
                    raise reply.exception() from None  # type: ignore[misc]
                raise TransportError(
                    f"publish failed: {scrub(str(exc), self._url) or type(exc).__name__}"
                ) from None
            answer = await reply
        finally:
            self._waiters.discard(wire_id)
            if reply.done() and not reply.cancelled():
                reply.exception()  # failed by a lost connection while publishing: seen

        return check_reply(answer, max_bytes)

    async def aclose(self) -> None:
        self._closed = True
        self.state = BrokerState.CLOSED
        link, self._link = self._link, None
        self._waiters.fail_all(TransportError("transport closed"))
        if link is not None:
            await _close(link.connection)


async def _close(connection: aio_pika.abc.AbstractConnection) -> None:
    if connection.is_closed:
        return
    try:
        await connection.close()
    except (OSError, aio_pika.exceptions.AMQPError, RuntimeError) as exc:
        log.debug("closing an AMQP connection: %s", exc)


def _end(ended: asyncio.Future[str], why: str, *_args: object) -> None:
    if not ended.done():
        ended.set_result(why)


async def serve(
    url: str,
    queue: str,
    handler: Handler,
    *,
    prefetch: int = 64,
    ready: Callable[[], None] | None = None,
) -> None:
    """Serve ``queue`` (declared here) until cancelled: each request body goes to
    ``handler``, whose bytes are published to the request's ``reply_to`` with its
    ``correlation_id`` (None: no reply). A request is acknowledged once answered, so one
    a killed adapter held goes to another adapter on the same queue."""
    try:
        connection = await aio_pika.connect(url, timeout=CONNECT_TIMEOUT_S)
    except (OSError, aio_pika.exceptions.AMQPError, TimeoutError) as exc:
        reason = scrub(str(exc), url) or type(exc).__name__
        raise TransportError(f"cannot connect to the broker: {reason}") from None
    tasks: set[asyncio.Task[None]] = set()
    try:
        # replies go to a client's reply-to consumer: nothing to confirm
        channel = await connection.channel(publisher_confirms=False)
        await channel.set_qos(prefetch_count=prefetch)
        # gone with its last adapter: requests then fail at once with "no route" instead
        # of piling up in a queue nobody reads
        declared = await channel.declare_queue(queue, durable=False, auto_delete=True)

        async def answer(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            try:
                reply = await handler(message.body)
                if reply is not None and message.reply_to:
                    await channel.default_exchange.publish(
                        aio_pika.Message(
                            reply, content_type=JSON, correlation_id=message.correlation_id
                        ),
                        routing_key=message.reply_to,
                        # a requester that has gone (its comparison decided, its process
                        # stopped) has nothing to return the reply to: it is dropped
                        mandatory=False,
                    )
                await message.ack()
            except (aio_pika.exceptions.AMQPError, RuntimeError, ConnectionError) as exc:
                # the channel closed under it (RuntimeError: aio-pika's invalid state):
                # serve() ends for that and the request goes to another adapter
                log.warning("cannot answer a request: %s", scrub(str(exc), url) or exc)

        async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            task = asyncio.create_task(answer(message))
            tasks.add(task)
            task.add_done_callback(tasks.discard)

        await declared.consume(on_message)
        if ready is not None:
            ready()
        # deaf otherwise: a closed channel (consumer_timeout) or a consumer the broker
        # cancelled (its queue deleted) would leave the adapter running and serving nothing
        ended: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        connection.close_callbacks.add(functools.partial(_end, ended, "broker connection lost"))
        channel.close_callbacks.add(functools.partial(_end, ended, "broker channel closed"))
        underlay = await channel.get_underlay_channel()
        underlay.on_consumer_cancel_callbacks.add(
            functools.partial(_end, ended, f"the broker cancelled the consumer of {queue!r}")
        )
        raise TransportError(await ended)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if not connection.is_closed:
            await connection.close()
