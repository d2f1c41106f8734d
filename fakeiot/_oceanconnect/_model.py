"""OceanConnect's state: applications, tokens, devices and their indexes, and time deadlines.

Everything mutable lives in one :class:`OcState`, so a snapshot is one deep copy.
"""

from __future__ import annotations

import heapq
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, TypedDict, TypeVar, overload

from .._journal import Journaled
from .._lifecycle import State

Connection = Literal["long", "short"]
T = TypeVar("T")

#: deviceInfo keys in the order the platform sends them (spec §6.2; queries omit isHD).
DEVICE_INFO_KEYS = (
    "nodeId",
    "name",
    "description",
    "manufacturerId",
    "manufacturerName",
    "mac",
    "location",
    "deviceType",
    "model",
    "swVersion",
    "fwVersion",
    "hwVersion",
    "protocolType",
    "bridgeId",
    "status",
    "statusDetail",
    "mute",
    "supportedSecurity",
    "isSecurity",
    "signalStrength",
    "sigVersion",
    "serialNumber",
    "batteryLevel",
)

#: protocols whose devices keep no connection open, so they age to ABNORMAL and OFFLINE.
SHORT_CONNECTION_PROTOCOLS = frozenset({"coap", "lwm2m"})


#: the timestamps ``wire_time`` can show: 1970 to the end of year 9999
_SHOWN = (0.0, 253_402_300_799.0)


def wire_time(timestamp: float) -> str:
    """OceanConnect's UTC time format, ``yyyyMMdd'T'HHmmss'Z'`` (a time beyond what the
    format can show, e.g. from an edited state file, is shown at the nearest end)."""
    try:
        return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(timestamp))
    except (OverflowError, OSError, ValueError):
        clamped = min(max(timestamp, _SHOWN[0]), _SHOWN[1])
        return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(clamped))


class ServiceAnswer(TypedDict):
    serviceId: str
    serviceType: str
    serviceInfo: None
    data: dict[str, Any]
    eventTime: str | None


class DeviceAnswer(TypedDict):
    deviceId: str
    gatewayId: str
    nodeType: str
    createTime: str
    lastModifiedTime: str
    deviceInfo: dict[str, Any]
    services: list[ServiceAnswer]
    alarmInfo: None


class SubscriptionAnswer(TypedDict):
    subscriptionId: str
    notifyType: str
    callbackUrl: str
    clientIds: None


class App:
    """An application (NA): credentials, its devices, who may act for it, its call window."""

    __slots__ = (
        "app_id",
        "calls",
        "devices",
        "frozen",
        "grantees",
        "name",
        "refresh_token",
        "secret",
        "token",
    )

    def __init__(self, app_id: str, secret: str, name: str) -> None:
        self.app_id = app_id
        self.secret = secret
        self.name = name
        self.frozen = False
        self.devices: dict[str, Device] = {}
        self.grantees: set[str] = set()
        self.calls: deque[float] = deque()
        self.token: str | None = None
        self.refresh_token: str | None = None


class _MadeOnUse(Generic[T]):
    """An attribute whose empty container is made when first read (its slot holds ``None``
    until then)."""

    def __init__(self, slot: str, make: Callable[[], T]) -> None:
        self.slot = slot
        self.make = make

    @overload
    def __get__(self, device: None, owner: type[Any]) -> _MadeOnUse[T]: ...
    @overload
    def __get__(self, device: object, owner: type[Any]) -> T: ...
    def __get__(self, device: object | None, owner: type[Any]) -> T | _MadeOnUse[T]:
        if device is None:
            return self
        found: T | None = getattr(device, self.slot)
        if found is None:
            found = self.make()
            setattr(device, self.slot, found)
        return found

    def __set__(self, device: object, value: T) -> None:
        setattr(device, self.slot, value)


class Device:
    """A registered device. ``state`` is its lifecycle state; the rest is data."""

    __slots__ = (
        "_commands",
        "_desired_history",
        "_history",
        "_services",
        "activated",
        "age_gen",
        "app_id",
        "code_deadline",
        "code_expired",
        "code_gen",
        "code_generated",
        "connection",
        "created",
        "device_id",
        "end_user_id",
        "ever_bound",
        "extra",
        "imsi",
        "info",
        "is_secure",
        "last_seen",
        "modified",
        "node_id",
        "product_id",
        "psk",
        "rebind_pending",
        "seq",
        "state",
        "timeout",
        "verify_code",
    )

    def __init__(
        self,
        device_id: str,
        app_id: str,
        node_id: str,
        verify_code: str,
        psk: str,
        timeout: int,
        now: float,
        seq: int,
    ) -> None:
        self.device_id = device_id
        self.app_id = app_id
        self.node_id = node_id
        self.verify_code = verify_code
        self.psk = psk
        self.timeout = timeout
        self.created = now
        self.modified = now
        self.seq = seq
        self.state = State.REGISTERED
        self.activated = False
        self.ever_bound = False
        #: refreshed key: the next connection must present the new verify code (even timeout 0)
        self.rebind_pending = False
        self.code_deadline: float | None = None
        self.code_expired = False
        #: the platform generated the verify code (none was given): the device presents it
        self.code_generated = False
        self.code_gen = 0
        self.age_gen = 0
        self.last_seen: float | None = None
        self.connection: Connection | None = None
        self.info: dict[str, Any] = {}
        self.end_user_id: str | None = None
        self.imsi: str | None = None
        self.is_secure = False
        self.product_id: str | None = None
        self.extra: dict[str, Any] | None = None
        self._services: dict[str, dict[str, Any]] | None = None
        self._commands: dict[str, Any] | None = None
        self._history: list[list[Any]] | None = None
        self._desired_history: list[list[Any]] | None = None

    # made on first use: most devices of a big fleet never get data or a command, and four
    # empty containers were a fifth of a device's memory
    #: the latest data reported per serviceId: {"serviceType", "data", "eventTime"}, and once
    #: the application set some, "desired" (the shadow's desiredProps) and "desiredPending"
    #: (not yet handed to the device)
    services: _MadeOnUse[dict[str, dict[str, Any]]] = _MadeOnUse("_services", dict)
    #: the device's V4 commands by commandId, in creation order (``_commands.Command``)
    commands: _MadeOnUse[dict[str, Any]] = _MadeOnUse("_commands", dict)
    #: reported data, oldest first: [time, serviceId, data]
    history: _MadeOnUse[list[list[Any]]] = _MadeOnUse("_history", list)
    #: desired values the application set, oldest first: [time, serviceId, desired]
    desired_history: _MadeOnUse[list[list[Any]]] = _MadeOnUse("_desired_history", list)

    @property
    def command_records(self) -> list[dict[str, Any]]:
        """The device's commands as JSON-ready data (what the state store keeps)."""
        return [c.export() for c in (self._commands or {}).values()]

    @command_records.setter
    def command_records(self, records: list[dict[str, Any]]) -> None:
        from ._commands import Command

        restored = [Command.restore(r) for r in records]
        self.commands = {c.command_id: c for c in restored}

    @property
    def status(self) -> str:
        if self.state is State.REGISTERED:
            return "OFFLINE"
        return str(self.state).upper()

    @property
    def status_detail(self) -> str:
        return "NOT_ACTIVE" if self.state is State.REGISTERED else "NONE"

    def device_info(self, *, imsi: bool = False) -> dict[str, Any]:
        info = self.info
        out = {key: info.get(key) for key in DEVICE_INFO_KEYS}
        out["nodeId"] = self.node_id
        out["status"] = self.status
        out["statusDetail"] = self.status_detail
        if imsi:
            out["imsi"] = self.imsi
        return out

    def wire(self, *, imsi: bool = False) -> DeviceAnswer:
        """The device as the query APIs return it (spec §4.6)."""
        return {
            "deviceId": self.device_id,
            "gatewayId": self.device_id,
            "nodeType": "GATEWAY",
            "createTime": wire_time(self.created),
            "lastModifiedTime": wire_time(self.modified),
            "deviceInfo": self.device_info(imsi=imsi),
            "services": [
                {
                    "serviceId": sid,
                    "serviceType": svc["serviceType"],
                    "serviceInfo": None,
                    "data": svc["data"],
                    "eventTime": svc.get("eventTime"),
                }
                for sid, svc in self.services.items()
            ],
            "alarmInfo": None,
        }


@dataclass
class Token:
    app_id: str
    expires: float


@dataclass
class Deadline:
    """Heap entries are (when, seq, device_id, kind, generation); stale ones are skipped."""

    heap: list[tuple[float, int, str, str, int]] = field(default_factory=list)
    seq: int = 0

    def push(self, when: float, device_id: str, kind: str, gen: int) -> None:
        self.seq += 1
        heapq.heappush(self.heap, (when, self.seq, device_id, kind, gen))

    def due(self, now: float) -> tuple[float, str, str, int] | None:
        heap = self.heap
        if heap and heap[0][0] <= now:
            when, _seq, device_id, kind, gen = heapq.heappop(heap)
            return when, device_id, kind, gen
        return None


@dataclass
class Tombstone:
    """Why a nodeId no longer names a device, for the device side's refusal message."""

    device_id: str
    reason: Literal["expired", "deleted"]
    when: float
    app_id: str = ""


@dataclass
class Subscription:
    subscription_id: str
    app_id: str
    notify_type: str
    callback_url: str
    channel: str
    owner_flag: str | None
    management: bool = False

    def wire(self) -> SubscriptionAnswer:
        return {
            "subscriptionId": self.subscription_id,
            "notifyType": self.notify_type,
            "callbackUrl": self.callback_url,
            "clientIds": None,
        }


@dataclass
class Group:
    """A device group (spec A.13): a name unique in its application, and member devices."""

    group_id: str
    app_id: str
    name: str
    description: str | None
    max_dev_num: int
    creator: str
    device_ids: list[str] = field(default_factory=list)

    def wire(self, *, creator: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "description": self.description,
            "id": self.group_id,
            "appId": self.app_id,
            "maxDevNum": self.max_dev_num,
            "curDevNum": len(self.device_ids),
        }
        if creator:
            out["creator"] = self.creator
        return out


@dataclass
class OcState:
    apps: dict[str, App] = field(default_factory=dict)
    #: issued tokens (and tombstones below) are written to the state store entry by entry
    tokens: Journaled[str, Token] = field(default_factory=Journaled)
    refresh_tokens: Journaled[str, Token] = field(default_factory=Journaled)
    devices: dict[str, Device] = field(default_factory=dict)
    by_node: dict[str, Device] = field(default_factory=dict)
    #: verify codes are compared case-insensitively: keys are lowercased
    by_code: dict[str, Device] = field(default_factory=dict)
    products: dict[str, dict[str, Any]] = field(default_factory=dict)
    deadlines: Deadline = field(default_factory=Deadline)
    tombstones: Journaled[str, Tombstone] = field(default_factory=Journaled)
    device_seq: int = 0
    #: push subscriptions by subscriptionId, in creation order
    subscriptions: dict[str, Subscription] = field(default_factory=dict)
    #: commandId -> deviceId, for the routes that name a command alone
    command_index: dict[str, str] = field(default_factory=dict)
    #: command cancel tasks by taskId, in creation order (``_commands.CancelTask``)
    cancel_tasks: dict[str, Any] = field(default_factory=dict)
    command_seq: int = 0
    #: device groups by id, in creation order
    groups: dict[str, Group] = field(default_factory=dict)
    #: batch tasks by taskId, as JSON-ready records (``_routes_batch``)
    batch_tasks: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: signaltrans commands awaiting the device's answer, by requestId, as JSON-ready records
    #: (``_traffic._send_signal``)
    signals: dict[str, dict[str, Any]] = field(default_factory=dict)

    TOMBSTONE_LIMIT = 10_000

    def bury(self, node_id: str, stone: Tombstone) -> None:
        stones = self.tombstones
        stones.pop(node_id, None)
        stones[node_id] = stone
        if len(stones) > self.TOMBSTONE_LIMIT:
            del stones[next(iter(stones))]
