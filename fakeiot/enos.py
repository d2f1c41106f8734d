"""What users of the EnOS face need by name: its error table, views and credentials.

>>> import fakeiot
>>> from fakeiot.enos import EnosError
>>> platform = fakeiot.Platform(seed=0)
>>> isinstance(platform.enos, Enos)
True
"""

from __future__ import annotations

from ._enos import DeviceView, Enos, EnosError, Limits, Organization

__all__ = ["DeviceView", "Enos", "EnosError", "Limits", "Organization"]
