"""The exceptions fakeiot raises, in three families that never mix.

::

    FakeiotError
    ├── PlatformError              the platform refuses something, as the real one would
    │   ├── ApiError               a vendor error raised by name; its face renders it from a table
    │   └── ConnectRefused         the device side was refused (unknown nodeId, expired code, ...)
    ├── UsageError (ValueError)    fakeiot itself was misused; the message says how to fix it
    │   ├── UnknownSettingError    a settings name that does not exist
    │   └── NotFoundError (LookupError)   a test asked for an id the platform does not hold
    └── FakeiotAssertionError (AssertionError)   the fake or the code under test broke a rule
        └── InvariantError         a platform invariant no longer holds (a bug in fakeiot)
"""

from __future__ import annotations

import enum
from typing import Any


class FakeiotError(Exception):
    """Base class of every exception fakeiot raises on purpose."""


class PlatformError(FakeiotError):
    """The platform refused a request or a device-side action."""


class ApiError(PlatformError):
    """A vendor error, raised by name in the core and rendered once per face.

    ``error`` is a member of a face's error table (an :class:`enum.Enum` whose values hold the
    HTTP status, vendor code and text); ``detail`` is a note for humans that never reaches the
    wire, so responses stay byte-identical to the vendor's.
    """

    def __init__(self, error: enum.Enum, detail: str = "", **context: Any) -> None:
        self.error = error
        self.detail = detail
        self.context = context
        super().__init__(f"{error.name}: {detail}" if detail else error.name)

    def explain(self) -> str:
        """``NAME: detail``, the line ``platform.calls`` and transcripts show for this error."""
        return f"{self.error.name}: {self.detail}" if self.detail else self.error.name


class ConnectRefused(PlatformError):
    """A device-side connection or login was refused; ``reason`` names why."""

    def __init__(self, reason: str, message: str) -> None:
        self.reason = reason
        super().__init__(message)


class UsageError(FakeiotError, ValueError):
    """fakeiot was called in a way it does not support."""


class UnknownSettingError(UsageError, TypeError):
    """A settings field name that :class:`fakeiot.Settings` does not have."""


class NotFoundError(UsageError, LookupError):
    """A test-side lookup named something the platform does not hold."""


class FakeiotAssertionError(FakeiotError, AssertionError):
    """A test failure raised by fakeiot."""


class InvariantError(FakeiotAssertionError):
    """A platform invariant was broken: the fake drifted from the rules it models."""
