"""Bounded memory for what a platform remembers: ring buffers, and body prefixes in the call log.

A long-running ``fakeiot serve`` takes requests from outside; nothing it keeps about them may grow
without bound. ``platform.calls`` and ``platform.events`` are deques capped by
``Settings.call_log_limit`` / ``event_log_limit``; OceanConnect's ``pushes`` is a :class:`Ring`
capped by ``Settings.push_log_limit``; and each call keeps at most
``Settings.call_body_limit`` bytes of its request and response bodies (``Call.cut`` says how
many it dropped).
"""

from __future__ import annotations

from typing import Any, SupportsIndex, TypeVar

from ._http import HttpRequest, HttpResponse
from ._records import Call

T = TypeVar("T")


class Ring(list[T]):
    """A list that keeps its last ``limit`` items (``None``: all); ``total`` counts every item
    ever appended, so it can number them."""

    def __init__(self, limit: int | None) -> None:
        super().__init__()
        self.limit = limit
        self.total = 0

    def append(self, item: T) -> None:
        super().append(item)
        self.total += 1
        limit = self.limit
        if limit is not None and len(self) > limit:
            del self[: len(self) - limit]

    def insert(self, index: SupportsIndex, item: T) -> None:  # pragma: no cover - unused
        raise TypeError("a Ring only appends")

    def extend(self, items: Any) -> None:
        for item in items:
            self.append(item)


def bounded_call(call: Call, limit: int) -> Call:
    """``call`` with request and response bodies cut to ``limit`` bytes (``cut``: how many
    bytes were dropped), or ``call`` itself if both fit."""
    request, response = call.request, call.response
    dropped = max(0, len(request.body) - limit) + max(0, len(response.body) - limit)
    if not dropped:
        return call
    kept_request = HttpRequest(
        request.method,
        request.path,
        query_string=request.query_string,
        headers=request.headers,
        body=request.body[:limit],
        host=request.host,
        scheme=request.scheme,
    )
    kept_response = HttpResponse(
        response.status, response.body[:limit], response.headers, response.route
    )
    kept_response.fault, kept_response.latency = response.fault, response.latency
    kept_response.injected = response.injected
    return Call(
        call.index,
        call.time,
        kept_request,
        kept_response,
        call.route,
        call.face,
        call._explain,
        cut=dropped,
    )
