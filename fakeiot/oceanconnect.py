"""What users of the OceanConnect face need by name: its error table, views and credentials.

>>> import fakeiot
>>> from fakeiot.oceanconnect import OcError
>>> platform = fakeiot.Platform(seed=0)
>>> isinstance(platform.oceanconnect, OceanConnect)
True
>>> OcError.DEVICE_NOT_FOUND.value.code
'100403'
"""

from __future__ import annotations

from ._oceanconnect import Application, DeviceView, OceanConnect, OcError

__all__ = ["Application", "DeviceView", "OcError", "OceanConnect"]
