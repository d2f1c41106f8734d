"""The seam between a network front for devices (the MQTT broker) and a face's device protocol.

A face that real devices can reach over MQTT returns a :class:`DeviceProtocol` from
``Face.device_protocol()``. The front does the networking and nothing vendor-specific: for each
CONNECT it asks every face's protocol in turn (:meth:`DeviceProtocol.claims`) which one the
credentials belong to, lets that protocol accept or refuse them, hands it every PUBLISH the
device sends, and tells it when the connection ends. The protocol answers through the
:class:`Link` it was given: replies, and later downlinks (commands, property sets), which the
front delivers to that one connection whether or not the device subscribed (the vendors' SDKs
rely on server-side delivery, spec device-traffic B.3 and C.2).

Threads: the front calls the protocol from its worker threads, one connection's calls in
order; the protocol takes ``platform.operation()`` for any state change. ``Link.publish`` may be
called from any thread (a northbound request's thread while it holds the platform's lock): it
only queues. A northbound call that waits for the device's answer (a synchronous command) waits
in ``platform.wait_released``, the platform's lock released, so that the device's traffic, its
answer included, is applied meanwhile under the lock as usual, and every other call and device
goes on.
"""

from __future__ import annotations

from typing import Literal, Protocol

#: MQTT 3.1.1 CONNACK return codes (OASIS MQTT 3.1.1, 3.2.2.3)
ACCEPTED = 0
BAD_PROTOCOL = 1
BAD_CLIENT_ID = 2
UNAVAILABLE = 3
BAD_CREDENTIALS = 4
NOT_AUTHORIZED = 5


class Refused(Exception):
    """A CONNECT the platform refuses, with the CONNACK return code its SDK expects.

    A plain exception, not a frozen dataclass: ``contextlib`` rewrites ``__traceback__`` on an
    exception leaving a ``with platform.operation():`` block, which a frozen one refuses."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(code, reason)
        self.code = code
        self.reason = reason

    def __str__(self) -> str:
        return f"CONNACK {self.code}: {self.reason}"


class Link(Protocol):
    """One device's connection, as the front holds it."""

    @property
    def client_id(self) -> str: ...

    def publish(self, topic: str, payload: bytes, qos: int = 0) -> None:
        """Deliver ``payload`` on ``topic`` to this connection only (thread-safe, queues)."""
        ...

    def close(self) -> None:
        """Drop the connection (the device was deleted, frozen or its secret reset)."""
        ...


class Session(Protocol):
    """Whatever a protocol keeps per accepted connection (which device it is)."""


class DeviceProtocol(Protocol):
    """A face's device side over MQTT: authentication, uplink topics, and the downlink."""

    #: the face's name, for logs, the dashboard and the failure transcript
    face: str

    def claims(self, client_id: str, username: str | None) -> bool:
        """Whether this CONNECT has this face's credential shape (tried in turn per face)."""
        ...

    def connect(
        self, client_id: str, username: str | None, password: bytes | None, link: Link
    ) -> Session:
        """Accept the CONNECT (the device goes online) or raise :class:`Refused`."""
        ...

    def receive(self, session: Session, topic: str, payload: bytes) -> None:
        """A PUBLISH from the device: feed the platform, reply through the link if the vendor
        does. A bad topic or payload gets the vendor's error reply, never an exception."""
        ...

    def disconnect(self, session: Session, why: Literal["client", "keepalive", "server"]) -> None:
        """The connection ended (the device goes offline)."""
        ...
