"""What a platform remembers about what happened: calls and domain events."""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, overload

from ._errors import FakeiotAssertionError
from ._http import HttpRequest, HttpResponse

_SECRET_KEYS = (
    "secret",
    "psk",
    "accesstoken",
    "refreshtoken",
    "authorization",
    "devicesecret",
    "secretkey",
    "apim-accesstoken",
    "apim-signature",
)


@dataclass(frozen=True, slots=True)
class Call:
    """One request the platform served, and its answer."""

    index: int
    time: float
    request: HttpRequest
    response: HttpResponse
    route: str | None
    #: the face that answered: the route's, or the owner of the path no route matched
    face: str | None = None
    #: :attr:`explanation`, or what works it out when first read (finding the nearest routes
    #: takes milliseconds, and most misses are never looked at)
    _explain: str | Callable[[], str] | None = field(default=None, repr=False)

    #: body bytes the call log did not keep (``Settings.call_body_limit``)
    cut: int = 0

    @property
    def explanation(self) -> str | None:
        """Why no route matched (the nearest routes' refusals); never sent on the wire."""
        explain = self._explain
        if callable(explain):
            explain = explain()
            object.__setattr__(self, "_explain", explain)
        return explain

    @property
    def detail(self) -> str | None:
        """Why an error answer was given (the field and the reason); never sent on the wire."""
        return self.response.detail

    @property
    def error_code(self) -> str | None:
        """The vendor error code in the response body, if it carries one."""
        body = self.response.body
        if not body or body[:1] != b"{":
            return None
        try:
            payload = json.loads(body)
        except ValueError:
            return None
        if not isinstance(payload, dict):
            return None
        for key in ("error_code", "resultcode"):
            if key in payload:
                return str(payload[key])
        code = payload.get("code")
        return str(code) if code not in (None, 0) else None

    def line(self) -> str:
        """A one-line summary with no secret in full."""
        code = self.error_code
        suffix = f" {code}" if code else ""
        if self.response.injected is not None:
            suffix += f" (injected: {self.response.injected})"
        if self.response.detail:
            suffix += f" [{self.response.detail}]"
        if self.cut:
            suffix += f" (bodies cut: {self.cut} bytes not kept)"
        return (
            f"#{self.index} {self.request.method} {redact_target(self.request.target)}"
            f" -> {self.response.status}{suffix}"
        )


class CallAssertionError(FakeiotAssertionError):
    """``platform.calls.assert_called`` found fewer, more or other calls than the test said."""


class CallLog(Sequence[Call]):
    """``platform.calls``: the most recent calls (``Settings.call_log_limit`` of them), oldest
    first. A sequence (index, slice, iterate) with filters and assertions::

        platform.calls.of("oceanconnect.register_device")      # those calls, in order
        platform.calls.of(method="POST", face="enos")
        platform.calls.assert_called("oceanconnect.login", times=1)
    """

    __slots__ = ("_calls", "append")

    def __init__(self, maxlen: int | None = None, calls: Iterable[Call] = ()) -> None:
        self._calls: deque[Call] = deque(calls, maxlen=maxlen)
        #: add a call (the deque's own method: the platform calls it once per request)
        self.append: Callable[[Call], None] = self._calls.append

    @property
    def maxlen(self) -> int | None:
        return self._calls.maxlen

    def clear(self) -> None:
        self._calls.clear()

    def __len__(self) -> int:
        return len(self._calls)

    def __iter__(self) -> Iterator[Call]:
        return iter(self._calls)

    def __reversed__(self) -> Iterator[Call]:
        return reversed(self._calls)

    @overload
    def __getitem__(self, index: int) -> Call: ...
    @overload
    def __getitem__(self, index: slice) -> list[Call]: ...
    def __getitem__(self, index: int | slice) -> Call | list[Call]:
        if isinstance(index, slice):
            return list(self._calls)[index]
        return self._calls[index]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, CallLog):
            return list(self._calls) == list(other._calls)
        if isinstance(other, list | tuple | deque):
            return list(self._calls) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"<CallLog of {len(self._calls)} calls>"

    def of(
        self, route: str | None = None, *, method: str | None = None, face: str | None = None
    ) -> list[Call]:
        """The calls answered by ``route`` (a route name; ``None``: any, and a not-found
        answer too) with ``method`` on ``face``, oldest first. ``len()`` of it is the count."""
        wanted = method.upper() if method is not None else None
        return [
            call
            for call in list(self._calls)
            if (route is None or call.route == route)
            and (wanted is None or call.request.method == wanted)
            and (face is None or call.face == face)
        ]

    def assert_called(
        self,
        route: str,
        times: int | None = None,
        *,
        method: str | None = None,
        face: str | None = None,
    ) -> list[Call]:
        """The calls :meth:`of` returns; raise :class:`CallAssertionError` listing every call
        made if there are none (``times=None``) or not exactly ``times``."""
        found = self.of(route, method=method, face=face)
        if (times is None and found) or (times is not None and len(found) == times):
            return found
        wanted = "at least once" if times is None else f"{times} time{'s' * (times != 1)}"
        filters = "".join(
            f", {name}={value!r}" for name, value in (("method", method), ("face", face)) if value
        )
        made = [f"  {call.line()}  [{call.route or 'no route'}]" for call in self._calls]
        raise CallAssertionError(
            f"expected {route!r}{filters} to be called {wanted}, it was called {len(found)} "
            f"time{'s' * (len(found) != 1)}; calls made ({len(made)}):\n"
            + ("\n".join(made) if made else "  none")
        )


@dataclass(frozen=True, slots=True)
class Event:
    """A domain transition: what changed, when, and which call (if any) caused it."""

    index: int
    time: float
    face: str
    kind: str
    subject: str
    data: dict[str, Any] = field(default_factory=dict)
    call: int | None = None

    def line(self) -> str:
        cause = f" (call #{self.call})" if self.call is not None else " (device side)"
        details = ", ".join(f"{k}={redact(k, v)}" for k, v in self.data.items())
        return f"{self.face}.{self.kind} {self.subject}{cause}" + (
            f": {details}" if details else ""
        )


def redact(key: str, value: Any) -> Any:
    if isinstance(value, str) and key.lower().replace("_", "") in _SECRET_KEYS and len(value) > 4:
        return value[:4] + "…"
    return value


def redact_target(target: str) -> str:
    path, sep, query = target.partition("?")
    if not sep:
        return path
    items = []
    for item in query.split("&"):
        key, eq, value = item.partition("=")
        items.append(f"{key}{eq}{redact(key, value)}")
    return f"{path}?{'&'.join(items)}"
