"""The MQTT front: an embedded broker (amqtt) whose clients are the faces' devices.

The broker runs its asyncio loop in a background thread. Every CONNECT goes to the first
face whose :class:`~fakeiot._link.DeviceProtocol` claims it; the protocol accepts it or
answers the CONNACK code its SDK expects. Every PUBLISH of an accepted connection goes to that
protocol (``$oc/...`` topics included), and the protocol answers through the connection's
:class:`Connection` (the :class:`~fakeiot._link.Link`), delivered to that one connection
whether or not the device subscribed.

Threads: the event loop never runs a protocol. Protocol calls run on a small pool, in order
per connection (a lane), so a protocol waiting for the platform's lock (held by a northbound
call that waits for some device's answer) stalls only its own connection; ``Link.publish``
and ``Link.close`` only schedule work on the loop.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from .._errors import FakeiotAssertionError, UsageError
from .._link import ACCEPTED, BAD_CLIENT_ID, UNAVAILABLE, DeviceProtocol, Refused, Session
from ._amqtt import DeviceBroker

if TYPE_CHECKING:
    from amqtt.mqtt.protocol.broker_handler import BrokerProtocolHandler
    from amqtt.session import Session as AmqttSession

    from .._platform import Platform
    from ..serve._tls import TlsFiles

log = logging.getLogger("fakeiot.mqtt")
Why = Literal["client", "keepalive", "server"]


class Connection:
    """One client connection: the :class:`~fakeiot._link.Link` its protocol answers through."""

    def __init__(
        self, front: MqttBroker, handler: BrokerProtocolHandler, session: AmqttSession
    ) -> None:
        self.front = front
        self.handler = handler
        self.client_id: str = session.client_id or ""
        #: the keep-alive the client asked for, in seconds (0: none)
        self.keepalive: int = session.keep_alive
        self.username: str | None = session.username
        password = session.password
        self.password: bytes | None = None if password is None else password.encode()
        #: the CONNACK return code (0 once accepted)
        self.code = ACCEPTED
        self.protocol: DeviceProtocol | None = None
        self.session: Session | None = None
        self.accepted = False
        self.why: Why = "client"
        self._lane: deque[Callable[[], None]] = deque()
        self._busy = False
        self._mutex = threading.Lock()
        self._ended = False
        #: downlinks queued until CONNACK is sent (None once it is)
        self._early: list[tuple[str, bytes, int]] | None = []
        #: QoS 1 PUBLISHes waiting to be applied before their PUBACK, by ``id()`` of amqtt's
        #: message (the loop's side only)
        self.acks: dict[int, asyncio.Future[bool]] = {}
        #: the loop's side only: amqtt's message loop for this connection runs; a close asked
        #: for before it does waits for it (amqtt has no disconnect waiter to set until then)
        self.looping = False
        self.closing = False

    def __repr__(self) -> str:
        face = self.protocol.face if self.protocol is not None else "-"
        return f"<mqtt connection {self.client_id!r} {face}>"

    # -- the loop's side ------------------------------------------------------------------------
    async def authenticate(self) -> bool:
        loop = asyncio.get_running_loop()
        self.code = await loop.run_in_executor(self.front.pool, self._connect)
        return self.code == ACCEPTED

    def received(
        self, topic: str, payload: bytes, applied: Callable[[bool], None] | None = None
    ) -> None:
        """Apply a PUBLISH (in this connection's lane). ``applied`` (a QoS 1 PUBLISH, whose
        PUBACK waits for it) is called once the platform applied it and, with a state store,
        the change is committed: with ``False`` if the commit failed (no PUBACK then)."""
        if applied is None:
            self._queue(lambda: self._receive(topic, payload))
            return

        def apply() -> None:
            try:
                self._receive(topic, payload)
            except Exception as exc:  # a protocol's bug: recorded, and no PUBACK
                self.front.record_error(exc, self)
                applied(False)
                return
            commit = self.front.durable
            if commit is not None:
                try:
                    commit()
                except Exception as exc:
                    log.warning(
                        "fakeiot: QoS 1 PUBLISH from %r on %r not acknowledged: %s",
                        self.client_id[:80],
                        topic[:120],
                        exc,
                    )
                    applied(False)
                    return
            applied(True)

        self._queue(apply)

    def ended(self) -> None:
        """The connection is gone (on the loop): no PUBACK will be sent any more."""
        acks, self.acks = self.acks, {}
        for waiting in acks.values():
            waiting.cancel()
        self._queue(self._disconnect)

    def keepalive_expired(self) -> None:
        """amqtt's reader timed out (1.5 x keep-alive without a packet): drop the client."""
        self.why = "keepalive"
        self.front.spawn(self.handler.handle_connection_closed())

    # -- the Link -------------------------------------------------------------------------------
    def publish(self, topic: str, payload: bytes, qos: int = 0) -> None:
        """Deliver ``payload`` on ``topic`` to this connection only (thread-safe; queues)."""
        if qos not in (0, 1):
            raise UsageError(f"publish() takes qos 0 or 1, got {qos!r}")
        self.front.call_soon(lambda: self._publish(topic, bytes(payload), qos))

    def close(self) -> None:
        """Drop the connection (thread-safe)."""
        if self.why == "client":
            self.why = "server"
        self.front.call_soon(self._close)

    def _close(self) -> None:
        self.closing = True
        if self.looping:
            self.front.spawn(self.handler.handle_connection_closed())

    def opened(self) -> None:
        """CONNACK 0 is sent: what the protocol published while accepting goes out now."""
        early, self._early = self._early, None
        for topic, payload, qos in early or ():
            self._publish(topic, payload, qos)

    def _publish(self, topic: str, payload: bytes, qos: int) -> None:
        if self._early is not None:  # before CONNACK (cached commands sent on connect)
            self._early.append((topic, payload, qos))
            return
        if self._ended or self.handler.session is None:
            return
        self.front.spawn(self.handler.mqtt_publish(topic, payload, qos, retain=False))

    # -- the protocol's side (pool threads, in order per connection) ---------------------------
    def _queue(self, work: Callable[[], None]) -> None:
        with self._mutex:
            self._lane.append(work)
            if self._busy:
                return
            self._busy = True
        try:
            self.front.pool.submit(self._drain)
        except RuntimeError:  # the pool is shut down: the broker is stopping
            with self._mutex:
                self._busy = False

    def _drain(self) -> None:
        while True:
            with self._mutex:
                if not self._lane:
                    self._busy = False
                    return
                work = self._lane.popleft()
            try:
                work()
            except Exception as exc:  # a protocol's bug must not stop the lane or the broker
                self.front.record_error(exc, self)

    def _connect(self) -> int:
        try:
            protocol = self.front.claimant(self.client_id, self.username)
            if protocol is None:
                log.info("CONNACK 2 to %r: no face claims it", self.client_id[:80])
                return BAD_CLIENT_ID
            self.session = protocol.connect(self.client_id, self.username, self.password, self)
        except Refused as refused:
            return refused.code
        except Exception as exc:
            self.front.record_error(exc, self)
            return UNAVAILABLE
        self.protocol = protocol
        self.accepted = True
        self.front.live.add(self)
        return ACCEPTED

    def _receive(self, topic: str, payload: bytes) -> None:
        if self.protocol is not None and self.session is not None and not self._ended:
            self.protocol.receive(self.session, topic, payload)

    def _disconnect(self) -> None:
        with self._mutex:
            if self._ended or not self.accepted:
                return
            self._ended = True
        self.front.live.discard(self)
        if self.protocol is not None and self.session is not None:
            self.protocol.disconnect(self.session, self.why)


class MqttBroker:
    """The MQTT front for ``platform``'s faces, on ``host`` (loopback) and ``port`` (0: free).

    ``tls=True`` serves MQTTS with a generated test CA (trust ``broker.ca_file``); pass the
    HTTP front's :class:`~fakeiot.serve._tls.TlsFiles` to share its CA. Use it as a context
    manager, or call :meth:`start` and :meth:`stop`::

        with fakeiot.MqttBroker(platform) as broker:
            client.connect(broker.host, broker.port)
    """

    def __init__(
        self,
        platform: Platform,
        host: str = "127.0.0.1",
        port: int = 0,
        tls: bool | TlsFiles = False,
    ) -> None:
        self._platform = platform
        self.host = host
        self.port = port
        self._tls = tls
        self.tls_files: TlsFiles | None = None
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        #: connections accepted and not yet ended
        self.live: set[Connection] = set()
        #: makes what devices changed durable before a QoS 1 PUBLISH is acknowledged (``fakeiot
        #: serve --state`` sets it to commit to its store; raising refuses the PUBACK)
        self.durable: Callable[[], None] | None = None
        #: exceptions raised by device protocols (kept, logged; the broker carries on)
        self.errors: deque[tuple[str, BaseException]] = deque(maxlen=100)
        self.pool = ThreadPoolExecutor(max_workers=32, thread_name_prefix="fakeiot-mqtt")
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._broker: DeviceBroker | None = None
        self._tasks: set[asyncio.Future[Any]] = set()
        #: the loop's side only: the TCP stream of each connection being served, and its task
        self.streams: dict[asyncio.StreamWriter, asyncio.Task[Any]] = {}

    # -- which platform ------------------------------------------------------------------------
    @property
    def platform(self) -> Platform:
        return self._platform

    @platform.setter
    def platform(self, platform: Platform) -> None:
        """Serve another platform (the pytest fixture rebinds one broker to each test's)."""
        self._platform = platform

    def claimant(self, client_id: str, username: str | None) -> DeviceProtocol | None:
        """The first face whose device protocol claims this CONNECT."""
        for face in self._platform.faces.values():
            protocol = face.device_protocol()
            if protocol is not None and protocol.claims(client_id, username):
                return protocol
        return None

    @property
    def ca_file(self) -> Path | None:
        """The CA certificate that signed the broker's certificate (``tls=True`` only)."""
        return self.tls_files.ca_file if self.tls_files else None

    @property
    def url(self) -> str:
        return f"{'mqtts' if self._tls else 'mqtt'}://{self.host}:{self.port}"

    # -- lifecycle ------------------------------------------------------------------------------
    def start(self) -> MqttBroker:
        if self._loop is not None:
            raise UsageError("this MqttBroker is already started")
        listener: dict[str, Any] = {"type": "tcp", "bind": f"{self.host}:{self.port}"}
        if self._tls:
            if isinstance(self._tls, bool):
                from ..serve._tls import make_certificates

                self._tmp = tempfile.TemporaryDirectory(prefix="fakeiot-mqtt-tls-")
                self.tls_files = make_certificates(Path(self._tmp.name))
            else:
                self.tls_files = self._tls
            listener.update(
                ssl=True,
                certfile=str(self.tls_files.cert_file),
                keyfile=str(self.tls_files.key_file),
                cafile=str(self.tls_files.ca_file),
            )
        config = {
            "listeners": {"default": listener},
            "plugins": {},  # none of amqtt's defaults: no anonymous login, no $SYS topics
            "timeout_disconnect_delay": 0,
        }
        loop = self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=loop.run_forever, name="fakeiot-mqtt", daemon=True)
        self._thread.start()
        try:
            self.run(self._start(config), timeout=10)
        except BaseException:
            self._stop_loop()
            raise
        return self

    async def _start(self, config: dict[str, Any]) -> None:
        assert self._loop is not None
        broker = self._broker = DeviceBroker(config, self._loop, self)
        try:
            await broker.start()
        except Exception as exc:
            raise UsageError(f"the MQTT broker cannot listen on {self.host}:{self.port}: "
                             f"{exc.__cause__ or exc}") from None  # fmt: skip
        server = broker._servers["default"].instance
        self.port = server.sockets[0].getsockname()[1]

    def stop(self) -> None:
        """Close every connection (each device goes offline) and the listener."""
        if self._loop is None:
            return
        if self._broker is not None:
            try:
                self.run(self._broker.shutdown(), timeout=10)
            except Exception as exc:  # pragma: no cover - amqtt's shutdown failing
                log.warning("MQTT broker shutdown: %r", exc)
        try:
            self.run(self._finish(), timeout=10)
        except Exception as exc:  # pragma: no cover - a task that will not end
            log.warning("MQTT broker shutdown: %r", exc)
        self._stop_loop()
        for connection in list(self.live):
            connection.why = "server"
            connection.ended()
        self.pool.shutdown(wait=True)
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    async def _finish(self) -> None:
        """End what amqtt's shutdown leaves: connections still in their CONNECT, and every
        task, so no socket outlives the loop."""
        streams = list(self.streams.items())
        for writer, _ in streams:
            writer.close()  # its task then ends of itself (cancelling it makes asyncio complain)
        if streams:
            await asyncio.wait([task for _, task in streams], timeout=5)
        current = asyncio.current_task()
        tasks = [t for t in asyncio.all_tasks() if t is not current]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _stop_loop(self) -> None:
        loop, self._loop = self._loop, None
        if loop is None:
            return
        loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(10)
        if not loop.is_running():
            loop.close()

    def __enter__(self) -> MqttBroker:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"<MqttBroker {self.url} connections={len(self.live)}>"

    # -- loop plumbing --------------------------------------------------------------------------
    def run(self, coroutine: Any, timeout: float = 10) -> Any:
        """Run ``coroutine`` on the broker's loop from another thread and wait for it."""
        if self._loop is None:
            raise UsageError("the MqttBroker is not started")
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout)

    def call_soon(self, work: Callable[[], None]) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(work)

    def spawn(self, coroutine: Any) -> None:
        """Run ``coroutine`` as a task of the loop (called on the loop's thread)."""
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Future[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.debug("MQTT task failed: %r", task.exception())

    def record_error(self, exc: BaseException, connection: Connection) -> None:
        self.errors.append((connection.client_id, exc))
        log.warning("device protocol failed for %r: %r", connection.client_id[:80], exc)

    def close_connections(self, timeout: float = 5.0) -> None:
        """Drop every connection and wait (bounded) until each protocol heard of it."""
        for connection in list(self.live):
            connection.close()
        deadline = time.monotonic() + timeout
        while self.live and time.monotonic() < deadline:
            time.sleep(0.005)

    def check(self) -> None:
        """Raise :class:`fakeiot.FakeiotAssertionError` if a device protocol raised since the
        last check (the pytest fixture calls it around each test)."""
        if not self.errors:
            return
        errors, self.errors = list(self.errors), deque(maxlen=100)
        lines = "; ".join(f"{client_id}: {exc!r}" for client_id, exc in errors)
        raise FakeiotAssertionError(f"the MQTT front's device protocols raised: {lines}")

    def connections(self) -> list[Connection]:
        """The accepted connections, as of now."""
        return list(self.live)

    def connection(self, handler: BrokerProtocolHandler, session: AmqttSession) -> Connection:
        return Connection(self, handler, session)
