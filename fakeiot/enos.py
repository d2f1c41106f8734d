"""What users of the EnOS face need by name: its error table, views, credentials, the simulated
device and how it answers commands.

>>> import fakeiot
>>> from fakeiot.enos import EnosError, later
>>> platform = fakeiot.Platform(seed=0)
>>> isinstance(platform.enos, Enos)
True
>>> EnosError.COMMAND_TIMED_OUT.value.code
'11915'
>>> later(3).delay
3.0
"""

from __future__ import annotations

from ._device import NEVER, PENDING, Command, Reply, answer, fail, later
from ._enos import DeviceView, Enos, EnosError, Limits, Organization
from ._enos._model import EnosSettings
from ._enos._traffic import EnosDevice

__all__ = [
    "NEVER",
    "PENDING",
    "Command",
    "DeviceView",
    "Enos",
    "EnosDevice",
    "EnosError",
    "EnosSettings",
    "Limits",
    "Organization",
    "Reply",
    "answer",
    "fail",
    "later",
]
