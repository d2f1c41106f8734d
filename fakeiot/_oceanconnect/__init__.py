"""The OceanConnect face, registered as a pluggy plugin of every platform."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._hooks import hookimpl
from ._devices import OcDevice
from ._errors import OcError
from ._face import Application, DeviceView, OceanConnect

if TYPE_CHECKING:
    from .._platform import Platform

__all__ = ["Application", "DeviceView", "OcDevice", "OcError", "OceanConnect"]


@hookimpl
def fakeiot_add_faces(platform: Platform) -> list[OceanConnect]:
    return [OceanConnect(platform)]
