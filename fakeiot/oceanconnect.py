"""What users of the OceanConnect face need by name: its error table, views, credentials and
simulated device (``OcDevice``, from ``platform.oceanconnect.simulate``).

>>> import fakeiot
>>> from fakeiot.oceanconnect import OcError
>>> platform = fakeiot.Platform(seed=0)
>>> isinstance(platform.oceanconnect, OceanConnect)
True
>>> OcError.DEVICE_NOT_FOUND.value.code
'100403'
"""

from __future__ import annotations

from ._oceanconnect import Application, DeviceView, OcDevice, OceanConnect, OcError

__all__ = ["Application", "DeviceView", "OcDevice", "OcError", "OceanConnect"]
