"""The reference models the machines keep of each device."""

from __future__ import annotations

from dataclasses import dataclass


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
