"""Seeded identifiers and secrets: the same seed gives the same ids, in the same order."""

from __future__ import annotations

import os
import random
import string
import uuid
from typing import final

_ALNUM = string.ascii_letters + string.digits


@final
class IdGenerator:
    """Every id and secret a platform hands out comes from here."""

    __slots__ = ("_rng", "seed")

    def __init__(self, seed: int | None) -> None:
        self.seed = seed if seed is not None else int.from_bytes(os.urandom(8), "big")
        self._rng = random.Random(self.seed)

    def uuid(self) -> str:
        """A version-4 UUID string, like the deviceIds OceanConnect hands out."""
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def hex(self, length: int) -> str:
        """``length`` lowercase hex digits (tokens, PSKs)."""
        return f"{self._rng.getrandbits(4 * length):0{length}x}"

    def alnum(self, length: int) -> str:
        """``length`` letters and digits (application ids and secrets)."""
        return "".join(self._rng.choices(_ALNUM, k=length))

    def getstate(self) -> object:
        return self._rng.getstate()

    def setstate(self, state: object) -> None:
        self._rng.setstate(state)  # type: ignore[arg-type]
