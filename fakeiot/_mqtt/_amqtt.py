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
- ``_create_server_instance``: listen with a backlog that absorbs a burst of connects (a fleet
  of devices reconnecting at once; asyncio's default is 100).
"""

from __future__ import annotations

import asyncio
import ssl
from functools import partial
from typing import TYPE_CHECKING, Any

from amqtt.broker import Broker
from amqtt.contexts import ListenerType
from amqtt.mqtt.connack import ConnackPacket
from amqtt.mqtt.protocol.broker_handler import BrokerProtocolHandler

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
            partial(self.stream_connected, listener_name=listener_name),
            address,
            port,
            reuse_address=True,
            ssl=ssl_context,
            backlog=BACKLOG,
        )

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
        connection.received(topic, bytes(message.data or b""))
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
