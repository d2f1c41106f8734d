"""Every declared route of every face, driven with input generated from its own schema.

- Input that breaks exactly one rule gets exactly the vendor error the schema names for that
  field and that kind of violation (rendered by the face, so its settings apply), the call's
  detail names the field, and nothing changes.
- Valid input never gets a 5xx, and the platform's invariants still hold afterwards.

A face added by a plugin (the example face in ``tests/example_face``) is covered the same way:
only the credentials below are per face.
"""

from __future__ import annotations

import json
import pickle
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import given
from hypothesis import strategies as st

import fakeiot
from fakeiot import strategies
from fakeiot._routes import Route
from tests import example_face
from tests.budgets import SCHEMA_FUZZ
from tests.enos import EnosClient, signature
from tests.iotda import sign_in_place
from tests.oc import OcClient

Sign = Callable[[fakeiot.HttpRequest], fakeiot.HttpRequest]


def build_world() -> tuple[fakeiot.Platform, dict[str, Sign], dict[str, dict[str, str]]]:
    """A platform with one tenant per face, and for each face a way to authenticate a request."""
    platform = fakeiot.Platform(
        seed=3,
        clock=fakeiot.ManualClock(1_700_000_000.0),
        plugins=[example_face],
        flow_control_limit=None,
    )
    oc = OcClient(platform)
    en = EnosClient(platform)
    api_key = example_face.of(platform).create_account()

    def sign_oc(request: fakeiot.HttpRequest) -> fakeiot.HttpRequest:
        request.headers.update({k.lower(): v for k, v in oc.headers.items()})
        return request

    def sign_enos(request: fakeiot.HttpRequest) -> fakeiot.HttpRequest:
        stamp = en.now_ms()
        request.headers.update(
            {
                "apim-accesstoken": en.token,
                "apim-timestamp": stamp,
                "apim-signature": signature(
                    en.token, request.query, request.body, stamp, en.org.secret_key
                ),
            }
        )
        return request

    def sign_thermo(request: fakeiot.HttpRequest) -> fakeiot.HttpRequest:
        request.headers["x-api-key"] = api_key
        return request

    project = platform.iotda.create_project()

    def sign_iotda(request: fakeiot.HttpRequest) -> fakeiot.HttpRequest:
        # the path's project segment becomes the project's own (it names the tenant)
        sign_in_place(platform, project, request)
        return request

    signers: dict[str, Sign] = {
        "oceanconnect": sign_oc,
        "enos": sign_enos,
        "thermo": sign_thermo,
        "iotda": sign_iotda,
    }
    #: values that name a tenant: generated text would name nobody, and authentication (which
    #: comes before validation) would refuse it; the caller's own tenant is always valid
    references = {"oceanconnect": {"appId": oc.app.app_id}, "enos": {"orgId": en.org.org_id}}
    return platform, signers, references


PLATFORM, SIGNERS, REFERENCES = build_world()
DECLARED = sorted(
    (r for r in PLATFORM.routes if r.schema is not None and r.face != "control"),
    key=lambda r: r.name,
)


def to_request(
    route: Route, draft: strategies.Draft, spoiled: strategies.Spoiled | None = None
) -> fakeiot.HttpRequest:
    versions = sorted(route.spec.versions or ())
    parts = []
    for segment in route.segments:
        if segment == "{version}":
            parts.append(versions[0])
        elif segment.startswith("{"):
            parts.append(draft.params.get(segment[1:-1], ""))
        else:
            parts.append(segment)
    query = {**draft.query, **dict(route.spec.query)}
    for name, value in REFERENCES.get(route.face, {}).items():
        if name in query and (spoiled is None or (spoiled.where, spoiled.field) != ("query", name)):
            query[name] = value
    content_type = (
        "application/x-www-form-urlencoded" if draft.media == "form" else "application/json"
    )
    request = fakeiot.HttpRequest(
        route.methods[0],
        "/" + "/".join(parts),
        query_string=urlencode(query),
        headers={**draft.headers, "Content-Type": content_type},
        body=draft.body_bytes(),
    )
    if route.spec.auth is not None:
        SIGNERS[route.face](request)
    return request


def state_of(platform: fakeiot.Platform) -> bytes:
    """Every face's state, as bytes (the id generator may move: error ids are fresh)."""
    return pickle.dumps(platform.snapshot().faces)


def comparable(response: fakeiot.HttpResponse) -> tuple[int, Any]:
    """Status and body, without the per-answer request id some vendors add."""
    body = json.loads(response.body) if response.body else None
    if isinstance(body, dict):
        body.pop("requestId", None)
    return response.status, body


def test_every_face_has_declared_routes() -> None:
    faces = {r.face for r in DECLARED}
    assert {"oceanconnect", "thermo"} <= faces


#: per route: its one-rule-broken cases (``where:field:violation``), enumerated once
CASES = {
    route.name: list(
        strategies.invalid_cases(route.schema.cls, PLATFORM.face(route.face).invalid).items()
    )
    for route in DECLARED
    if route.schema is not None
}
#: a few cases per test: each example draws every case of its chunk once (the cases are
#: enumerated from the schema, only their values are drawn), and stays within one example's size
CHUNK = 3
CHUNKS = [
    pytest.param(route, start, id=f"{route.name}[{start}]")
    for route in DECLARED
    for start in range(0, len(CASES.get(route.name, ())), CHUNK)
]


@pytest.mark.parametrize(("route", "start"), CHUNKS)
@SCHEMA_FUZZ
@given(data=st.data())
def test_input_breaking_one_rule_gets_the_error_the_schema_names(
    route: Route, start: int, data: st.DataObject
) -> None:
    face = PLATFORM.face(route.face)
    for label, case in CASES[route.name][start : start + CHUNK]:
        draft, spoiled = data.draw(case, label=label)
        before = state_of(PLATFORM)
        response = PLATFORM.handle(to_request(route, draft, spoiled))
        expected = face.render_error(fakeiot.ApiError(spoiled.error), route)
        where = f"{label}: {response.detail}"
        assert comparable(response) == comparable(expected), where
        assert response.detail is not None, where
        assert spoiled.field.split(".")[-1] in response.detail, where
        assert state_of(PLATFORM) == before, where


@pytest.mark.parametrize("route", DECLARED, ids=lambda r: r.name)
@SCHEMA_FUZZ
@given(data=st.data())
def test_valid_input_never_gets_a_server_error(route: Route, data: st.DataObject) -> None:
    assert route.schema is not None
    platform = PLATFORM.fork()
    draft = data.draw(strategies.inputs(route.schema.cls))
    response = platform.handle(to_request(route, draft))
    assert response.status < 500 or response.injected, response.detail
    platform.check_invariants()
