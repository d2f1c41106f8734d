"""What users of the OceanConnect face need by name: its error table, views, credentials, the
simulated device (``OcDevice``, from ``platform.oceanconnect.simulate``) and how it answers
commands.

>>> import fakeiot
>>> from fakeiot.oceanconnect import OcError, later
>>> platform = fakeiot.Platform(seed=0)
>>> isinstance(platform.oceanconnect, OceanConnect)
True
>>> OcError.DEVICE_NOT_FOUND.value.code
'100403'
>>> later(30).delay
30.0
"""

from __future__ import annotations

from ._device import NEVER, PENDING, Command, Reply, answer, fail, later
from ._oceanconnect import Application, DeviceView, OcDevice, OceanConnect, OcError

__all__ = [
    "NEVER",
    "PENDING",
    "Application",
    "Command",
    "DeviceView",
    "OcDevice",
    "OcError",
    "OceanConnect",
    "Reply",
    "answer",
    "fail",
    "later",
]
