"""What users of the IoTDA face need by name: its error table, views, credentials, and how a
simulated device answers commands.

>>> import fakeiot
>>> from fakeiot.iotda import IotdaError, later
>>> platform = fakeiot.Platform(seed=0)
>>> isinstance(platform.iotda, Iotda)
True
>>> IotdaError.DEVICE_NOT_FOUND.value.code
'IOTDA.014000'
>>> later(3).delay
3.0
"""

from __future__ import annotations

from ._device import NEVER, Command, Reply, answer, fail, later
from ._iotda import DeviceView, Iotda, IotdaDevice, IotdaError, ProjectKeys
from ._iotda._service import mqtt_password

__all__ = [
    "NEVER",
    "Command",
    "DeviceView",
    "Iotda",
    "IotdaDevice",
    "IotdaError",
    "ProjectKeys",
    "Reply",
    "answer",
    "fail",
    "later",
    "mqtt_password",
]
