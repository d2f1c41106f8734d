"""Every IoTDA route, signed correctly, with malformed input: never a 500 or a traceback, always
the vendor's error shape, and no state change when refused (a fixed, deterministic corpus)."""

from __future__ import annotations

import json
from typing import Any

import pytest

import fakeiot
from fakeiot._iotda import _unsupported
from tests.iotda import SECRET, IoClient

PLATFORM = fakeiot.Platform()
UNSUPPORTED = {f"iotda.{op}" for _m, _p, op in _unsupported.UNSUPPORTED}
ALL = [r for r in PLATFORM.routes if r.face == "iotda"]
ROUTES = sorted((r for r in ALL if r.name not in UNSUPPORTED), key=lambda r: (r.pattern, r.methods))
VALUES: list[Any] = [1, 2**70, "", "x" * 3000, "bad id!", [1], {"a": None}, True]


def bodies(route: fakeiot._routes.Route) -> list[bytes]:
    out = [b"", b"{", b"[]", b"null", b"\xff\xfe", b'{"unknown": 1}', b'"text"']
    fields = route.schema.body if route.schema is not None else ()
    for field in fields:
        for value in VALUES:
            out.append(json.dumps({field.name: value}).encode())
    return out


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.name)
def test_malformed_input_is_refused_cleanly(route: fakeiot._routes.Route) -> None:
    io = IoClient(fakeiot.Platform(seed=0))
    product = io.product()
    device_id = io.device(product)["device_id"]
    io.platform.iotda.simulate(device_id, SECRET).connect()
    path = route.pattern.removeprefix("/v5/iot/{project_id}")
    for name in ("device_id", "product_id"):
        path = path.replace("{" + name + "}", device_id if name == "device_id" else product)
    path = path.replace("{", "").replace("}", "")
    queries: list[dict[str, Any]] = [
        {},
        {"limit": "0", "marker": "x", "action_id": "nope", "start_time": "yesterday"},
    ]
    for body in bodies(route):
        for query in queries:
            before = io.platform.iotda.export_state()
            response = io.call(route.methods[0], path, raw_body=body, query=query)
            assert response.status < 500, (route.name, body, query, response.body)
            if response.status >= 400 or b"error_code" in response.body:
                payload = response.json_body()
                assert set(payload) == {"error_code", "error_msg"}
                assert payload["error_code"].startswith("IOTDA.")
                assert io.platform.iotda.export_state() == before, (route.name, body)
            assert response.headers["X-Request-Id"]


def test_every_sdk_operation_has_a_route() -> None:
    """178 operations in huaweicloudsdkiotda 3.1.219: served, or answered 501."""
    assert len(ALL) == 178
    assert len(UNSUPPORTED) == 127


def test_an_unsupported_operation_authenticates_then_answers_501() -> None:
    from tests.iotda import error_of, expected

    io = IoClient(fakeiot.Platform(seed=0))
    for route in ALL:
        if route.name in UNSUPPORTED:
            path = route.pattern.removeprefix("/v5/iot/{project_id}")
            response = io.call(route.methods[0], path.replace("{", "").replace("}", ""), {})
            assert error_of(response) == expected(fakeiot._iotda.IotdaError.NOT_SUPPORTED)
            assert response.headers["X-Request-Id"]
    unsigned = io.call("POST", "/batchtasks", {"task_name": "t"}, sk="wrong-key")
    assert error_of(unsigned) == expected(fakeiot._iotda.IotdaError.UNAUTHORIZED)
