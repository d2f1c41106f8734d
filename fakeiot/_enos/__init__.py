"""The EnOS Connect Service v2.1 face, registered as a pluggy plugin of every platform."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._hooks import hookimpl
from ._errors import EnosError
from ._face import DeviceView, Enos, Limits, Organization
from ._model import ProductView

if TYPE_CHECKING:
    from .._platform import Platform

__all__ = ["DeviceView", "Enos", "EnosError", "Limits", "Organization", "ProductView"]


@hookimpl
def fakeiot_add_faces(platform: Platform) -> list[Enos]:
    return [Enos(platform)]
