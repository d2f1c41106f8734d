"""The reference models the machines keep of each device."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class ModelDevice:
    """The reference model's view of one OceanConnect device."""

    node_id: str
    deadline: float | None
    activated: bool = False
    online: bool = False


@dataclass
class ModelEnosDevice:
    """The reference model's view of one EnOS device."""

    device_key: str
    secret: str
    status: str = "inactive"
    activated: bool = False


@dataclass
class ModelEnosCommand:
    """The reference model's view of one cached EnOS command (spec device-traffic B.1)."""

    #: 1 cached, 2 cancelled, 3 expired, 5 answered (the default device acknowledges)
    state: int
    expires: float


@dataclass
class ModelEnosCommands:
    """A device's cached commands by commandId, oldest first."""

    commands: dict[str, ModelEnosCommand] = field(default_factory=dict)


@dataclass
class ModelOcCommand:
    """The reference model's view of one OceanConnect command (spec device-traffic A.3)."""

    #: PENDING (cached), SUCCESSFUL (the default device answers at once), EXPIRED
    status: str
    expires: float


@dataclass
class ModelIotdaDevice:
    """The reference model's view of one IoTDA device."""

    node_id: str
    secret: str
    #: when an unconnected device is deleted (``auth_info.timeout``), ``None`` if never
    deadline: float | None
    #: INACTIVE, ONLINE, OFFLINE or FROZEN
    status: str = "INACTIVE"
    activated: bool = False
