"""EnOS's state: orgs, models, products, devices, access tokens, and their indexes.

Everything mutable lives in one :class:`EnosState`, so a snapshot is one deep copy. Times are
kept in epoch milliseconds, as they go on the wire.
"""

from __future__ import annotations

import heapq
from collections import deque
from dataclasses import dataclass, field
from typing import Any, final

from .._errors import UsageError
from .._http import dumps_compact
from .._journal import Journaled
from .._lifecycle import State
from ._commands import Command

#: the wire status of each lifecycle state (spec §5.2).
STATUS: dict[State, str] = {
    State.REGISTERED: "inactive",
    State.ONLINE: "online",
    State.OFFLINE: "offline",
    State.DISABLED: "disable",
}


#: the encoder ``HttpResponse.json`` uses, so cached bytes are identical to a fresh render.
encode = dumps_compact


def i18n(default: str, values: dict[str, str] | None = None) -> dict[str, Any]:
    """A StringI18n as the platform echoes it: ``i18nValue`` is always an object."""
    return {"defaultValue": default, "i18nValue": dict(values or {})}


class Org:
    """An organization (OU) with its one service account, products and devices."""

    __slots__ = (
        "access_key",
        "by_key",
        "devices",
        "models",
        "org_id",
        "poseidon_refresh",
        "poseidon_signal",
        "products",
        "secret_key",
    )

    def __init__(self, org_id: str, access_key: str, secret_key: str) -> None:
        self.org_id = org_id
        self.access_key = access_key
        self.secret_key = secret_key
        self.products: dict[str, Product] = {}
        self.devices: dict[str, Device] = {}
        #: deviceKey -> device; deviceKeys are unique within an OU (spec §4.1).
        self.by_key: dict[str, Device] = {}
        #: a pending Poseidon refresh signal: 4011 or 4012 (spec §6.1), and its refresh token.
        self.poseidon_signal: int | None = None
        self.poseidon_refresh: str = ""
        #: the org's own thing models: modelId -> modelIdPath (models are per OU, spec §3.1).
        self.models: dict[str, str] = {}


class Product:
    """A product. ``name`` is a StringI18n dict as the platform echoes it."""

    __slots__ = (
        "bi_directional_auth",
        "create_by",
        "create_time",
        "data_format",
        "default_valid_day",
        "desc",
        "devices",
        "dynamic_activate",
        "max_valid_day",
        "model_id",
        "model_path",
        "name",
        "org_id",
        "product_key",
        "product_secret",
        "product_type",
        "stamp",
        "tags",
        "update_by",
        "update_time",
    )

    stamp: int

    def __setattr__(self, name: str, value: Any) -> None:
        # Every change moves the stamp, which invalidates the cached wire form of its devices.
        object.__setattr__(self, name, value)
        if name != "stamp":
            object.__setattr__(self, "stamp", getattr(self, "stamp", 0) + 1)

    def __init__(
        self,
        org_id: str,
        product_key: str,
        product_secret: str,
        model_id: str,
        model_path: str,
        now_ms: int,
        by: str,
    ) -> None:
        self.org_id = org_id
        self.product_key = product_key
        self.product_secret = product_secret
        self.model_id = model_id
        self.model_path = model_path
        self.name: dict[str, Any] = i18n("")
        self.desc: str | None = None
        self.data_format = "Json"
        self.product_type = "Device"
        self.bi_directional_auth = False
        self.dynamic_activate = False
        self.tags: dict[str, str] | None = None
        self.default_valid_day: int | None = None
        self.max_valid_day: int | None = None
        self.create_time = now_ms
        self.update_time = now_ms
        self.create_by = by
        self.update_by = by
        #: assetIds of the product's devices.
        self.devices: set[str] = set()

    def wire(self) -> dict[str, Any]:
        return {
            "orgId": self.org_id,
            "productKey": self.product_key,
            "productName": {
                "defaultValue": self.name["defaultValue"],
                "i18nValue": dict(self.name["i18nValue"]),
            },
            "productSecret": self.product_secret,
            "productDesc": self.desc,
            "productType": self.product_type,
            "dataFormat": self.data_format,
            "productTags": dict(self.tags) if self.tags is not None else None,
            "modelId": self.model_id,
            "dynamicActivateEnabled": self.dynamic_activate,
            "biDirectionalAuth": self.bi_directional_auth,
            "createBy": self.create_by,
            "createTime": self.create_time,
            "updateBy": self.update_by,
            "updateTime": self.update_time,
            "defaultValidDay": self.default_valid_day,
            "maxValidDay": self.max_valid_day,
        }


class Device:
    """A device. ``state`` is its lifecycle state; ``activated`` survives a disable."""

    __slots__ = (
        "activated",
        "active_time",
        "asset_id",
        "attribute_last_update",
        "attributes",
        "commands",
        "create_time",
        "desc",
        "device_key",
        "device_secret",
        "event_last_update",
        "gateway",
        "last_offline_time",
        "last_online_time",
        "measurepoint_last_update",
        "name",
        "org_id",
        "points",
        "product_key",
        "seq",
        "state",
        "tags",
        "timezone",
        "wire_cache",
    )

    wire_cache: tuple[int, bytes] | None

    def __setattr__(self, name: str, value: Any) -> None:
        # Every change drops the cached wire form (fields are always replaced, never mutated).
        object.__setattr__(self, name, value)
        if name != "wire_cache":
            object.__setattr__(self, "wire_cache", None)

    def __init__(
        self,
        org_id: str,
        asset_id: str,
        product_key: str,
        device_key: str,
        device_secret: str,
        now_ms: int,
        seq: int,
    ) -> None:
        self.org_id = org_id
        self.asset_id = asset_id
        self.product_key = product_key
        self.device_key = device_key
        self.device_secret = device_secret
        self.name: dict[str, Any] = i18n("")
        self.desc: str | None = None
        self.timezone = "+00:00"
        self.attributes: dict[str, Any] = {}
        self.tags: dict[str, str] = {}
        self.create_time = now_ms
        self.seq = seq
        self.state = State.REGISTERED
        self.activated = False
        self.active_time = 0
        self.last_online_time = 0
        self.last_offline_time = 0
        #: the device's commands by commandId, oldest first (spec device-traffic B.1)
        self.commands: dict[str, Command] = {}
        #: the latest value of each measure point: pointId -> [time in ms, value] (B.2)
        self.points: dict[str, list[Any]] = {}
        self.measurepoint_last_update: int | None = None
        self.attribute_last_update: int | None = None
        self.event_last_update: int | None = None
        #: the assetId of the gateway whose topology holds this sub-device (``thing/topo/add``)
        self.gateway: str | None = None

    @property
    def status(self) -> str:
        return STATUS[self.state]

    @property
    def command_records(self) -> list[list[Any]]:
        """The commands as JSON-ready rows (the state file's form)."""
        return [c.record() for c in self.commands.values()]

    @command_records.setter
    def command_records(self, rows: list[list[Any]]) -> None:
        commands = (Command.from_record(self.asset_id, r) for r in rows)
        object.__setattr__(self, "commands", {c.command_id: c for c in commands})

    def wire_bytes(self, product: Product) -> bytes:
        """:meth:`wire` as JSON bytes, cached until the device or its product changes."""
        cached = self.wire_cache
        if cached is not None and cached[0] == product.stamp:
            return cached[1]
        data = encode(self.wire(product)).encode("utf-8")
        object.__setattr__(self, "wire_cache", (product.stamp, data))
        return data

    def wire(self, product: Product) -> dict[str, Any]:
        """The Device struct of spec §4.3 (product fields joined at read time)."""
        return {
            "orgId": self.org_id,
            "assetId": self.asset_id,
            "modelId": product.model_id,
            "modelIdPath": product.model_path,
            "productKey": self.product_key,
            "productName": {
                "defaultValue": product.name["defaultValue"],
                "i18nValue": dict(product.name["i18nValue"]),
            },
            "productType": product.product_type,
            "dataFormat": product.data_format,
            "deviceKey": self.device_key,
            "deviceName": {
                "defaultValue": self.name["defaultValue"],
                "i18nValue": dict(self.name["i18nValue"]),
            },
            "deviceSecret": self.device_secret,
            "deviceDesc": self.desc,
            "timezone": self.timezone,
            "deviceAttributes": dict(self.attributes),
            "deviceTags": dict(self.tags),
            "createTime": self.create_time,
            "status": STATUS[self.state],
            "activeTime": self.active_time,
            "lastOnlineTime": self.last_online_time,
            "lastOfflineTime": self.last_offline_time,
            "measurepointLastUpdate": self.measurepoint_last_update,
            "eventLastUpdate": self.event_last_update,
            "attributeLastUpdate": self.attribute_last_update,
            "featureLastUpdate": None,
            "mirrorSource": None,
            "firmwareVersion": None,
        }


@dataclass
class Token:
    """An access token of the token service (spec §6.3)."""

    app_key: str
    expires: float


@dataclass
class Gone:
    """Why a productKey+deviceKey pair no longer logs in: the key was replaced, or deleted."""

    asset_id: str
    reason: str
    when: float
    new_key: str = ""


@dataclass
class EnosState:
    orgs: dict[str, Org] = field(default_factory=dict)
    by_access_key: dict[str, Org] = field(default_factory=dict)
    #: modelId -> modelIdPath of models every org sees (``create_model`` without ``org``);
    #: an org's own are :attr:`Org.models`.
    models: dict[str, str] = field(default_factory=dict)
    products: dict[str, Product] = field(default_factory=dict)
    devices: dict[str, Device] = field(default_factory=dict)
    tokens: dict[str, Token] = field(default_factory=dict)
    token_by_app: dict[str, str] = field(default_factory=dict)
    #: token-service ``encryption`` values seen recently, oldest first (replay check, 1001).
    encryptions: dict[str, float] = field(default_factory=dict)
    encryption_order: deque[tuple[float, str]] = field(default_factory=deque)
    #: deleted and replaced devices, written to the state store entry by entry
    gone: Journaled[tuple[str, str], Gone] = field(default_factory=Journaled)
    device_seq: int = 0
    #: time-driven command moves: (when, seq, kind, assetId, commandId), a heap (B.1)
    deadlines: list[tuple[float, int, str, str, str]] = field(default_factory=list)
    deadline_seq: int = 0

    GONE_LIMIT = 10_000

    def schedule(self, when: float, kind: str, asset_id: str, command_id: str) -> None:
        """Apply ``kind`` to the command at virtual time ``when`` (``tick``)."""
        self.deadline_seq += 1
        heapq.heappush(self.deadlines, (when, self.deadline_seq, kind, asset_id, command_id))

    def bury(self, key: tuple[str, str], stone: Gone) -> None:
        gone = self.gone
        gone.pop(key, None)
        gone[key] = stone
        if len(gone) > self.GONE_LIMIT:
            del gone[next(iter(gone))]


# =============================================================================================
# Values handed to tests
# =============================================================================================
@final
@dataclass(frozen=True, slots=True)
class Organization:
    """An EnOS organization (OU) and its service account's keys, as ``create_org`` returns."""

    org_id: str
    access_key: str
    secret_key: str


@final
@dataclass(frozen=True, slots=True)
class Limits:
    """The platform limits of spec §2.9 ("can be expanded by an administrator")."""

    max_devices_per_product: int = 10_000
    max_devices_per_org: int = 100_000
    max_batch_size: int = 1_000


@final
@dataclass(frozen=True, slots=True)
class DeviceView:
    """A read-only copy of a device as the platform holds it."""

    asset_id: str
    org_id: str
    product_key: str
    device_key: str
    device_secret: str
    state: State
    status: str
    activated: bool
    active_time: int
    last_online_time: int
    last_offline_time: int
    name: str
    timezone: str


def view(d: Device) -> DeviceView:
    """The frozen view of ``d`` handed to tests."""
    return DeviceView(
        d.asset_id,
        d.org_id,
        d.product_key,
        d.device_key,
        d.device_secret,
        d.state,
        d.status,
        d.activated,
        d.active_time,
        d.last_online_time,
        d.last_offline_time,
        d.name["defaultValue"],
        d.timezone,
    )


@final
@dataclass(frozen=True, slots=True)
class ProductView:
    """A read-only copy of a product, as ``create_product`` returns it."""

    org_id: str
    product_key: str
    product_secret: str
    model_id: str
    name: str
    data_format: str
    product_type: str
    bi_directional_auth: bool
    dynamic_activate: bool
    device_count: int


def product_view(p: Product) -> ProductView:
    """The frozen view of ``p`` handed to tests."""
    return ProductView(
        p.org_id,
        p.product_key,
        p.product_secret,
        p.model_id,
        p.name["defaultValue"],
        p.data_format,
        p.product_type,
        p.bi_directional_auth,
        p.dynamic_activate,
        len(p.devices),
    )


@final
@dataclass(frozen=True, slots=True)
class EnosSettings:
    """The EnOS face's own settings (``Platform(enos_cached_command_limit=...)``): what the
    vendor's docs leave open about commands and the MQTT device side (spec device-traffic F)."""

    #: cached commands (state 1) a device may hold before ``invokeService`` and
    #: ``setMeasurepoint`` answer 11902 (the docs give no figure [?]; 100 is the fake's choice).
    enos_cached_command_limit: int = 100
    #: finished commands kept per device (the oldest finished are dropped beyond it).
    enos_command_history: int = 1000
    #: CONNACK return code for a refused EnOS login: unknown, replaced or deleted device, wrong
    #: signature (4, "bad user name or password" [?: EnOS documents none; the SDK only logs it]).
    enos_mqtt_bad_credentials_connack: int = 4
    #: CONNACK return code for a disabled device (5, "not authorized" [?]).
    enos_mqtt_disabled_connack: int = 5
    #: whether a gateway may log in (``combine/login``) and post for a sub-device only once
    #: its topology holds it (``thing/topo/add``): ``"required"``, as the platform's docs say
    #: ("the cloud will verify the sub-device identity based on the topology relationship"),
    #: or ``"open"``: any other device of the gateway's org.
    enos_sub_device_topology: str = "required"

    def __post_init__(self) -> None:
        for name in ("enos_cached_command_limit", "enos_command_history"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise UsageError(f"{name} must be an int >= 0, got {value!r}")
        for name in ("enos_mqtt_bad_credentials_connack", "enos_mqtt_disabled_connack"):
            if getattr(self, name) not in (1, 2, 3, 4, 5):
                raise UsageError(f"{name} must be a CONNACK refusal code 1-5")
        if self.enos_sub_device_topology not in ("required", "open"):
            raise UsageError(
                "enos_sub_device_topology must be 'required' or 'open', got "
                f"{self.enos_sub_device_topology!r}"
            )
