"""The Huawei Cloud IoTDA v5 face, registered as a pluggy plugin of every platform."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._hooks import hookimpl
from ._errors import IotdaError
from ._face import DeviceView, Iotda, IotdaDevice, ProjectKeys

if TYPE_CHECKING:
    from .._platform import Platform

__all__ = ["DeviceView", "Iotda", "IotdaDevice", "IotdaError", "ProjectKeys"]


@hookimpl
def fakeiot_add_faces(platform: Platform) -> list[Iotda]:
    return [Iotda(platform)]
