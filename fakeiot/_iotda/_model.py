"""IoTDA state: plain mutable records, one project per tenant, no I/O, no clock.

Everything lives in :class:`IotdaState` so a snapshot is one deep copy. Every listed record
carries a 24-hex ``marker`` from one counter (spec §3): lists sort on it, newest first.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from .._journal import Journaled, Noted, NotingIndex
from ._lifecycle import CommandStatus, Status

_COMPACT: dict[int, str] = {}


def compact_time(at: float) -> str:
    """``yyyyMMdd'T'HHmmss'Z'`` (create_time, command and message times)."""
    second = int(at)
    text = _COMPACT.get(second)
    if text is None:
        if len(_COMPACT) >= 4096:
            _COMPACT.clear()
        text = _COMPACT[second] = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(second))
    return text


def iso_time(at: float) -> str:
    """``yyyy-MM-dd'T'HH:mm:ss.SSS'Z'`` (active_time, connection_status_update_time)."""
    whole = int(at)
    millis = round((at - whole) * 1000) % 1000
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)) + f".{millis:03d}Z"


@dataclass(slots=True)
class App:
    """A resource space (spec §8.3)."""

    app_id: str
    app_name: str
    create_time: float
    default: bool


@dataclass(slots=True)
class Product:
    product_id: str
    app_id: str
    name: str
    device_type: str
    protocol_type: str
    data_format: str
    service_capabilities: list[dict[str, Any]]
    manufacturer_name: str | None
    industry: str | None
    description: str | None
    create_time: float
    marker: str
    devices: int = 0

    def service(self, service_id: str) -> dict[str, Any] | None:
        for capability in self.service_capabilities:
            if capability.get("service_id") == service_id:
                return capability
        return None


@dataclass(slots=True)
class ShadowService:
    """One service of a device shadow (spec §6)."""

    desired: dict[str, Any] = field(default_factory=dict)
    desired_time: float | None = None
    reported: dict[str, Any] = field(default_factory=dict)
    reported_time: float | None = None
    version: int = 0


@dataclass(slots=True)
class AsyncCommand:
    command_id: str
    device_id: str
    service_id: str | None
    command_name: str | None
    paras: Any
    expire_time: int
    send_strategy: str
    status: CommandStatus
    created: float
    marker: str
    result: Any = None
    sent: float | None = None
    delivered: float | None = None
    responded: float | None = None
    #: when a reply that the device gives later arrives (virtual time), and what it says
    reply_at: float | None = None
    reply: Any = None
    reply_ok: bool = True


@dataclass(slots=True)
class Message:
    message_id: str
    name: str | None
    message: Any
    encoding: str
    payload_format: str
    topic: str
    properties: dict[str, Any] | None
    ttl: int
    status: str
    created: float
    marker: str
    error_info: dict[str, str] | None = None
    finished: float | None = None


@dataclass(slots=True)
class Device:
    device_id: str
    project_id: str
    app_id: str
    node_id: str
    product_id: str
    device_name: str | None
    description: str | None
    gateway_id: str
    node_type: str
    auth_type: str
    secret: str | None
    fingerprint: str | None
    secure_access: bool
    timeout: int
    extension_info: dict[str, Any] | None
    create_time: float
    marker: str
    status: Status = Status.INACTIVE
    secondary_secret: str | None = None
    secondary_fingerprint: str | None = None
    active_time: float | None = None
    status_time: float | None = None
    #: a live session (MQTT connection) exists; FROZEN and OFFLINE devices have none
    connected: bool = False
    fw_version: str | None = None
    sw_version: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    groups: list[str] = field(default_factory=list)
    shadow: dict[str, ShadowService] = field(default_factory=dict)
    commands: dict[str, AsyncCommand] = field(default_factory=dict)
    messages: dict[str, Message] = field(default_factory=dict)
    children: int = 0
    depth: int = 0


@dataclass(slots=True)
class Group:
    group_id: str
    name: str
    description: str | None
    super_group_id: str | None
    group_type: str
    dynamic_group_rule: str | None
    app_id: str
    marker: str
    devices: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Rule:
    rule_id: str
    rule_name: str
    description: str | None
    resource: str
    event: str
    app_type: str
    app_id: str | None
    select: str | None
    where: str | None
    active: bool
    marker: str


@dataclass(slots=True)
class Action:
    action_id: str
    rule_id: str
    channel: str
    channel_detail: dict[str, Any]
    marker: str


@dataclass(slots=True)
class Project:
    """One tenant: an IAM project holding one IoTDA instance, and its AK/SK."""

    project_id: str
    ak: str
    sk: str
    instance_id: str
    default_app: str
    apps: dict[str, App] = field(default_factory=dict)
    products: dict[str, Product] = field(default_factory=dict)
    devices: dict[str, Device] = field(default_factory=dict)
    groups: dict[str, Group] = field(default_factory=dict)
    rules: dict[str, Rule] = field(default_factory=dict)
    actions: dict[str, Action] = field(default_factory=dict)


@dataclass(slots=True)
class IotdaState:
    projects: dict[str, Project] = field(default_factory=dict)
    by_ak: dict[str, Project] = field(default_factory=dict)
    #: device ids are unique across the platform (spec §5.1), so the device side finds them
    devices: dict[str, Device] = field(default_factory=dict)
    #: (when, sequence, kind, device_id, key): time-driven work, a heap ordered by time
    deadlines: list[tuple[float, int, str, str, str]] = field(default_factory=list)
    #: the same entries by sequence, journaled: the state store writes each one as it comes
    #: and goes (``_service.IotdaService._at`` and ``tick`` keep the two in step)
    pending: Journaled[int, tuple[float, int, str, str, str]] = field(default_factory=Journaled)
    counter: int = 0
    #: (project_id, product_id, node_id) -> device_id: a node id is unique in its product
    nodes: dict[tuple[str, str, str], str] = field(default_factory=dict)
    #: the device ids looked up or changed through the device indexes (this one and each
    #: project's) while the state store notes them: the devices a request may have changed
    noted: Noted = field(default_factory=Noted)

    def __post_init__(self) -> None:
        if not isinstance(self.devices, NotingIndex):
            self.devices = NotingIndex(self.noted, self.devices)

    def add_project(self, project: Project) -> None:
        """Register ``project`` (its device index noting into this state's)."""
        if not isinstance(project.devices, NotingIndex) or project.devices.noted is not self.noted:
            project.devices = NotingIndex(self.noted, project.devices)
        self.projects[project.project_id] = project
        self.by_ak[project.ak] = project

    def marker(self) -> str:
        self.counter += 1
        return f"{self.counter:024x}"
