"""Bounded memory: the call log keeps a prefix of each body and says what it cut; pushes,
events and calls are capped ring buffers; a flood of large bodies leaves a server's memory flat."""

from __future__ import annotations

import requests

import fakeiot
from fakeiot._bounded import Ring
from tests.oc import IMEI, REGISTER, OcClient


def test_the_call_log_keeps_a_prefix_of_each_body_and_says_it_cut() -> None:
    platform = fakeiot.Platform(seed=0, call_body_limit=100)
    oc = OcClient(platform)
    answer = oc.call("POST", REGISTER, {"nodeId": IMEI, "junk": "x" * 5000})
    call = platform.calls[-1]
    assert answer.status == 200  # the client got the whole answer
    assert len(call.request.body) == 100
    assert (
        call.cut == len(answer.request_body) - 100
        if hasattr(answer, "request_body")
        else call.cut > 4900
    )
    assert "bodies cut" in call.line()
    small = oc.call(
        "GET", f"/iocm/app/reg/v1.1.0/deviceCredentials/{answer.json_body()['deviceId']}"
    )
    assert small.status == 200
    assert platform.calls[-1].cut == 0


def test_a_cut_call_keeps_its_face_and_why_no_route_matched() -> None:
    platform = fakeiot.Platform(seed=0, call_body_limit=10)
    answer = platform.handle(
        fakeiot.HttpRequest("POST", "/iocm/app/sec/v9.9.9/login", body=b"appId=" + b"a" * 50)
    )
    call = platform.calls[-1]
    assert (answer.status, call.cut > 0, call.face) == (404, True, "oceanconnect")
    assert "oceanconnect.login takes versions v1.1.0, not 'v9.9.9'" in (call.explanation or "")


def test_pushes_events_and_calls_are_capped_ring_buffers() -> None:
    platform = fakeiot.Platform(
        seed=0, call_log_limit=5, event_log_limit=4, push_log_limit=3, flow_control_limit=None
    )
    oc = OcClient(platform)
    oc.call(
        "POST",
        "/iocm/app/sub/v1.2.0/subscriptions",
        {"notifyType": "deviceAdded", "callbackUrl": "https://127.0.0.1:9/cb"},
    )
    platform.oceanconnect.route_pushes("", lambda environ, start: start("200 OK", []) or [b""])
    for i in range(8):
        oc.register_ok(f"node-{i}")
    assert len(platform.calls) == 5
    assert len(platform.events) == 4
    pushes = platform.oceanconnect.pushes
    assert [p.index for p in pushes] == [5, 6, 7]
    ring: Ring[int] = Ring(2)
    ring.extend(range(5))
    assert (list(ring), ring.total) == ([3, 4], 5)


def test_a_flood_of_large_bodies_leaves_memory_flat() -> None:
    """Large unauthenticated POSTs (under the request-size limit) are answered and forgotten.

    What is kept is measured with tracemalloc (Python's own allocations), not the process's
    RSS: the C allocator keeps freed memory in per-thread arenas, so RSS after a flood depends
    on how many server threads served it, not on what fakeiot holds on to.
    """
    import gc
    import tracemalloc

    platform = fakeiot.Platform(seed=0, flow_control_limit=None)
    big = b"{" + b" " * (3 * 1024 * 1024) + b"}"
    with fakeiot.Server(platform) as server, requests.Session() as session:
        for _ in range(3):  # warm up: buffers and threads exist before the baseline
            session.post(server.url + REGISTER, data=big, timeout=10)
        gc.collect()
        tracemalloc.start()
        try:
            before = tracemalloc.get_traced_memory()[0]
            for _ in range(20):  # 60 MB in all
                answer = session.post(server.url + REGISTER, data=big, timeout=10)
                assert answer.status_code in (400, 401, 403)
            gc.collect()
            after = tracemalloc.get_traced_memory()[0]
        finally:
            tracemalloc.stop()
    assert len(platform.calls) == 23
    assert all(len(c.request.body) <= 4096 for c in platform.calls)
    assert after - before < 4 * 1024 * 1024, (before, after)  # not 60 MB more
