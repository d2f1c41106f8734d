"""The OceanConnect routes' inputs and answers, declared once (see :mod:`fakeiot._schema`).

``null`` is the same as absent for every optional field and unknown keys are ignored, because
Huawei's Python SDK sends every DTO attribute, with ``null`` for the unset ones.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Annotated, Any, TypedDict

from .._schema import MAX_INT, Request, body, path
from ._errors import OcError

E = OcError
HEX = r"[A-Fa-f0-9]+"


def vars_of(value: Any) -> dict[str, Any]:
    """A declared object's members by wire-free attribute name (for ``deviceInfo``)."""
    return {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}


@dataclass(frozen=True, slots=True)
class DeviceInfo:
    """``deviceInfo`` at registration: stored for queries and pushes."""

    name: Annotated[str | None, body(max_len=256)] = None
    description: Annotated[str | None, body(max_len=256)] = None
    manufacturerId: Annotated[str | None, body(max_len=256)] = None
    manufacturerName: Annotated[str | None, body(max_len=256)] = None
    mac: Annotated[str | None, body(max_len=256)] = None
    location: Annotated[str | None, body(max_len=1024)] = None
    deviceType: Annotated[str | None, body(max_len=256)] = None
    model: Annotated[str | None, body(max_len=256)] = None
    swVersion: Annotated[str | None, body(max_len=256)] = None
    fwVersion: Annotated[str | None, body(max_len=256)] = None
    hwVersion: Annotated[str | None, body(max_len=256)] = None
    protocolType: Annotated[str | None, body(max_len=256)] = None
    serialNumber: Annotated[str | None, body(max_len=256)] = None


@dataclass(frozen=True, slots=True)
class DevicePath(Request):
    """A route whose only input is the ``{deviceId}`` of its path."""

    device_id: Annotated[str, path(errors={"missing": E.DEVICE_NOT_FOUND})]


@dataclass(frozen=True, slots=True)
class RegisterDevice(Request):
    """``POST /iocm/app/reg/v1.1.0/deviceCredentials`` (seed 001)."""

    node_id: Annotated[
        str, body(max_len=256, empty_is_missing=True, errors={"missing": E.BAD_REQUEST})
    ]
    verify_code: Annotated[
        str | None, body(min_len=1, max_len=256, error=E.INVALID_VERIFY_CODE)
    ] = None
    timeout: Annotated[int | None, body(low=0, high=MAX_INT)] = None
    psk: Annotated[str | None, body(min_len=8, max_len=32, pattern=HEX)] = None
    end_user_id: Annotated[str | None, body(max_len=256)] = None
    imsi: Annotated[str | None, body(min_len=1, max_len=64)] = None
    is_secure: Annotated[bool | None, body()] = None
    product_id: Annotated[str | None, body(max_len=256)] = None
    device_name: Annotated[str | None, body(max_len=256)] = None
    device_info: Annotated[DeviceInfo | None, body()] = None


class RegisterAnswer(TypedDict):
    deviceId: str
    verifyCode: str
    timeout: int
    psk: str


class ActivationAnswer(TypedDict):
    deviceId: str
    activated: bool
    name: str | None
