"""amqtt 0.12.1, adapted to a broker whose every client is a face's device.

Each override here touches a private method of amqtt's ``Broker`` (``tests/test_mqtt.py``
guards each one against the pinned version and signature):

- ``_initialize_client_session``: attach our connection record to the handler; let the
  record answer CONNACK with the protocol's code (amqtt can only send 0 or 5) and end a
  connection whose keep-alive expired (amqtt's broker ignores the read timeout);
- ``_authenticate``: ask the faces' device protocols (off the event loop);
- ``_handle_client_session``: forget a refused session (amqtt keeps it as "connected");
- ``_handle_message_delivery``: hand every PUBLISH, ``$oc/...`` topics included, to the
  device's protocol instead of refusing ``$`` topics and leaving a zombie connection
  (spec device-traffic D.3); device uplinks are not relayed to other clients;
- ``_handle_disconnect``: tell the protocol the connection ended;
- the handler's ``_handle_qos1_message_flow`` (per connection): PUBACK an incoming QoS 1
  PUBLISH only once the platform applied it and a state store committed it (amqtt
  acknowledges first and delivers after);
- ``_create_server_instance``: listen with a backlog that absorbs a burst of connects (a fleet
  of devices reconnecting at once; asyncio's default is 100).
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from functools import partial
from typing import TYPE_CHECKING, Any

from amqtt.broker import Broker
from amqtt.contexts import ListenerType
from amqtt.mqtt.connack import ConnackPacket
from amqtt.mqtt.protocol.broker_handler import BrokerProtocolHandler
from amqtt.mqtt.puback import PubackPacket
from amqtt.session import INCOMING

if TYPE_CHECKING:
    from amqtt.adapters import ReaderAdapter, WriterAdapter
    from amqtt.contexts import ListenerConfig
    from amqtt.session import Session

    from ._broker import Connection, MqttBroker

#: the amqtt release these overrides were written and checked against
PINNED = "0.12.1"
#: pending connections the listening socket holds
BACKLOG = 1024


class DeviceBroker(Broker):  # type: ignore[misc]  # amqtt is untyped
    """amqtt's broker with the overrides above; ``front`` owns the connections."""

    def __init__(
        self, config: dict[str, Any], loop: asyncio.AbstractEventLoop, front: MqttBroker
    ) -> None:
        super().__init__(config, loop=loop)
        self.front = front

    async def _create_server_instance(
        self,
        listener_name: str,
        listener_type: Any,
        address: str | None,
        port: int,
        ssl_context: ssl.SSLContext | None,
    ) -> Any:
        if listener_type != ListenerType.TCP:  # pragma: no cover - fakeiot listens on TCP only
            return await super()._create_server_instance(
                listener_name, listener_type, address, port, ssl_context
            )
        return await asyncio.start_server(
            partial(self._stream_connected, listener_name=listener_name),
            address,
            port,
            reuse_address=True,
            ssl=ssl_context,
            backlog=BACKLOG,
        )

    async def _stream_connected(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, listener_name: str
    ) -> None:
        """One TCP connection, from accept to end; its socket is closed however it ends (amqtt
        leaves one that was still in its CONNECT when the broker stopped to the collector)."""
        task = asyncio.current_task()
        assert task is not None
        self.front.streams[writer] = task
        try:
            await self.stream_connected(reader, writer, listener_name=listener_name)
        finally:
            del self.front.streams[writer]
            writer.close()

    async def _initialize_client_session(
        self, reader: ReaderAdapter, writer: WriterAdapter, remote_address: str, remote_port: int
    ) -> tuple[BrokerProtocolHandler, Session]:
        handler, session = await super()._initialize_client_session(
            reader, writer, remote_address, remote_port
        )
        connection = self.front.connection(handler, session)
        setattr(handler, "fakeiot", connection)  # noqa: B010 - amqtt's class has no slot for it
        setattr(session, "fakeiot", connection)  # noqa: B010 - read by _authenticate just after
        # MQTT 3.1.1 §3.1.2.10: the server drops a client silent for 1.5 x its keep-alive
        session.keep_alive = -(-session.keep_alive * 3 // 2) if session.keep_alive > 0 else 0

        async def connack(authorize: bool) -> None:
            parent = session.parent if connection.code == 0 else 0
            await handler._send_packet(ConnackPacket.build(parent, connection.code))
            if connection.code == 0:
                connection.opened()

        handler.mqtt_connack_authorize = connack
        handler.handle_read_timeout = connection.keepalive_expired
        handler._handle_qos1_message_flow = partial(_qos1_flow, handler, connection)
        return handler, session

    async def _authenticate(self, session: Session, _: ListenerConfig) -> bool:
        connection: Connection = getattr(session, "fakeiot")  # noqa: B009
        return await connection.authenticate()

    async def _handle_client_session(
        self,
        reader: ReaderAdapter,
        writer: WriterAdapter,
        client_session: Session,
        handler: BrokerProtocolHandler,
        server: Any,
        listener_name: str,
    ) -> None:
        try:
            await super()._handle_client_session(
                reader, writer, client_session, handler, server, listener_name
            )
        finally:
            connection: Connection = getattr(handler, "fakeiot")  # noqa: B009
            client_id = client_session.client_id
            if not connection.accepted and client_id is not None:
                held = self._sessions.get(client_id)
                if held is not None and held[1] is handler:
                    del self._sessions[client_id]

    async def _client_message_loop(
        self, client_session: Session, handler: BrokerProtocolHandler
    ) -> None:
        # the platform may have dropped the device between its CONNACK and this loop (a device
        # deleted at once): amqtt's handler ignores a close until its start(), so do it now
        connection: Connection | None = getattr(handler, "fakeiot", None)
        if connection is not None:
            connection.looping = True
            if connection.closing:
                self.front.spawn(handler.handle_connection_closed())
        await super()._client_message_loop(client_session, handler)

    async def _handle_message_delivery(
        self,
        client_session: Session,
        handler: BrokerProtocolHandler,
        wait_deliver: asyncio.Future[Any],
    ) -> bool:
        connection: Connection | None = getattr(handler, "fakeiot", None)
        if connection is None:  # pragma: no cover - every handler gets one
            return bool(
                await super()._handle_message_delivery(client_session, handler, wait_deliver)
            )
        message = wait_deliver.result()
        if message is None:
            return True
        topic = message.topic
        if not topic or "#" in topic or "+" in topic:
            # MQTT-4.7.3-1 / 3.3.2-2: a protocol violation ends this connection (cleanly)
            connection.close()
            return True
        acknowledge = connection.acks.pop(id(message), None)
        if acknowledge is None:
            connection.received(topic, bytes(message.data or b""))
        else:
            loop = asyncio.get_running_loop()

            def applied(ok: bool) -> None:  # in the connection's lane: back to the loop
                with contextlib.suppress(RuntimeError):  # the loop closed: the broker stopped
                    loop.call_soon_threadsafe(_settle, acknowledge, ok)

            connection.received(topic, bytes(message.data or b""), applied)
        return True

    async def _handle_disconnect(
        self,
        client_session: Session,
        handler: BrokerProtocolHandler,
        disconnect_waiter: asyncio.Future[Any],
    ) -> None:
        await super()._handle_disconnect(client_session, handler, disconnect_waiter)
        connection: Connection | None = getattr(handler, "fakeiot", None)
        if connection is not None:
            connection.ended()


async def _qos1_flow(handler: BrokerProtocolHandler, connection: Connection, message: Any) -> None:
    """amqtt's QoS 1 flow, but an incoming PUBLISH is acknowledged only once the platform
    applied it (and, with a state store, committed it): a PUBACK means the report is there.
    If it could not be made durable there is no PUBACK, and the connection ends (the client
    sends it again, DUP set, when it reconnects)."""
    if message.direction != INCOMING:
        await _AMQTT_QOS1(handler, message)
        return
    if message.packet_id is None or handler.session is None:
        return
    done: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
    connection.acks[id(message)] = done
    await handler.session.delivered_message_queue.put(message)
    try:
        durable = await done
    except asyncio.CancelledError:  # the connection ended first
        connection.acks.pop(id(message), None)
        raise
    if not durable:
        connection.close()
        return
    puback = PubackPacket.build(message.packet_id)
    await handler._send_packet(puback)
    message.puback_packet = puback


def _settle(done: asyncio.Future[bool], ok: bool) -> None:
    if not done.done():
        done.set_result(ok)


#: amqtt's own QoS 1 flow (outgoing messages still use it)
_AMQTT_QOS1 = BrokerProtocolHandler._handle_qos1_message_flow
