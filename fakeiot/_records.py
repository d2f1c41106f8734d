"""What a platform remembers about what happened: calls and domain events."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

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
        return (
            f"#{self.index} {self.request.method} {redact_target(self.request.target)}"
            f" -> {self.response.status}{suffix}"
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
