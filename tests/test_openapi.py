"""The OpenAPI document at ``/_fakeiot/openapi.json``: valid OpenAPI 3.1, one operation per
path and method covering every route, and a schemathesis run against the served document that
finds no server error and no answer outside the documented statuses and body schemas."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from openapi_spec_validator import validate
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

import fakeiot
from fakeiot._routes import Route
from fakeiot.serve import _openapi
from fakeiot.serve._control import Control, route_table

OPENAPI = "/_fakeiot/openapi.json"
#: Hypothesis examples per operation and generation mode (derandomised: the same every run)
EXAMPLES = 2


def served(platform: fakeiot.Platform) -> dict[str, Any]:
    response = Control(platform).handle(fakeiot.HttpRequest("GET", OPENAPI))
    assert response is not None
    assert response.status == 200
    document = response.json_body()
    assert isinstance(document, dict)
    return document


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield path, method.upper(), operation


def test_document_is_valid_openapi_3_1(platform: fakeiot.Platform) -> None:
    document = served(platform)
    assert document["openapi"] == "3.1.0"
    validate(document)  # raises on any breach of the OpenAPI 3.1 meta-schema
    # no query string inside a path key (EnOS's ?action= is a query parameter)
    assert not [path for path in document["paths"] if "?" in path]


def test_document_is_generated_from_the_route_table(platform: fakeiot.Platform) -> None:
    assert served(platform) == _openapi.document(platform)
    ids_before = platform.ids.getstate()
    served(platform)
    assert platform.ids.getstate() == ids_before  # rendering errors draws no requestId


def versions_of(path: str, operation: dict[str, Any], route: Route) -> set[str]:
    """The versions an operation serves ``route`` on ("" for a pattern without a version)."""
    if "{version}" not in route.pattern:
        return {""}
    if "{version}" in path:
        (version,) = [p for p in operation["parameters"] if p["name"] == "version"]
        return set(version["schema"]["enum"])
    index = route.pattern.split("/").index("{version}")
    return {path.split("/")[index]}


def test_every_route_is_in_exactly_one_operation(platform: fakeiot.Platform) -> None:
    """Each route, method and version is in exactly one operation (a route whose pattern is
    split into one path per version is in one operation per version)."""
    document = served(platform)
    seen: dict[tuple[str, str, str], int] = {}
    table = route_table(platform)
    routes = {route.name: route for route in table}
    for path, method, operation in operations(document):
        for name in operation["x-fakeiot-routes"]:
            route = routes[name]
            assert method in route.methods
            for version in versions_of(path, operation, route):
                seen[name, method, version] = seen.get((name, method, version), 0) + 1
    expected = {
        (route.name, method, version)
        for route in table
        for method in route.methods
        for version in (route.spec.versions or {""} if "{version}" in route.pattern else {""})
    }
    assert set(seen) == expected
    assert set(seen.values()) == {1}
    ids = [op["operationId"] for _, _, op in operations(document)]
    assert len(ids) == len(set(ids))


def test_each_operation_reaches_exactly_its_routes(platform: fakeiot.Platform) -> None:
    """Every request the document allows is served by one of the operation's routes."""
    table = route_table(platform)
    for path, method, operation in operations(served(platform)):
        choices: list[list[tuple[str, str | None]]] = []
        concrete = path
        for parameter in operation["parameters"]:
            name, schema = parameter["name"], parameter["schema"]
            if parameter["in"] == "path":
                if name == "version":
                    concrete = concrete.replace("{version}", schema["enum"][0])
                else:
                    concrete = concrete.replace("{" + name + "}", "x")
            elif "enum" not in schema:
                continue  # a schema's own query parameter (IoTDA's limit): it routes nothing
            else:
                values: list[str | None] = list(schema["enum"])
                if not parameter["required"]:
                    values.append(None)
                choices.append([(name, v) for v in values])
        reached = set()
        for combo in itertools.product(*choices):
            query = "&".join(f"{k}={v}" for k, v in combo if v is not None)
            matched = table.match(fakeiot.HttpRequest(method, concrete, query_string=query))
            assert matched is not None, f"{method} {concrete}?{query} reaches no route"
            reached.add(matched[0].name)
        assert reached == set(operation["x-fakeiot-routes"]), (method, path)


def test_enos_actions_are_one_operation_with_an_action_enum(platform: fakeiot.Platform) -> None:
    document = served(platform)
    get = document["paths"]["/connect-service/v2.1/devices"]["get"]
    (action,) = [p for p in get["parameters"] if p["name"] == "action"]
    assert action["in"] == "query"
    assert action["required"] is False  # enos.device_action_unknown answers the rest: 99400
    assert {"create", "get", "search", "delete", "batchCreate"} <= set(action["schema"]["enum"])
    # batchCreate is also served on v2.0, alone there: a concrete path with a required action
    v20 = document["paths"]["/connect-service/v2.0/devices"]["post"]
    assert v20["x-fakeiot-routes"] == ["enos.batch_create_devices"]
    assert v20["parameters"][0]["required"] is True
    assert v20["parameters"][0]["schema"]["enum"] == ["batchCreate"]


def test_error_bodies_are_the_faces_shapes(platform: fakeiot.Platform) -> None:
    document = served(platform)
    schemas = document["components"]["schemas"]
    required = {name: schema["required"] for name, schema in schemas.items()}
    assert required["oceanconnect.error.error_code.error_desc"] == ["error_code", "error_desc"]
    assert required["oceanconnect.error.resultcode.resultmsg"] == ["resultcode", "resultmsg"]
    assert required["enos.error.code.data.msg.requestId"] == ["code", "data", "msg", "requestId"]
    assert required["enos.error.message"] == ["message"]
    assert required["control.error.detail.error"] == ["detail", "error"]
    modify = document["paths"]["/iocm/app/dm/{version}/devices/{deviceId}"]["put"]["responses"]
    assert "content" not in modify["204"]  # success: no body
    assert modify["404"]["content"]["application/json"]["schema"]["anyOf"] == [
        {"$ref": "#/components/schemas/oceanconnect.error.error_code.error_desc"},
        # a version outside the enum: fakeiot's own "no such route"
        {"$ref": "#/components/schemas/fakeiot.no_such_route"},
    ]
    # EnOS business errors are HTTP 200 envelopes
    enos_ok = document["paths"]["/connect-service/v2.1/devices"]["post"]["responses"]["200"]
    assert {"$ref": "#/components/schemas/enos.error.code.data.msg.requestId"} in enos_ok[
        "content"
    ]["application/json"]["schema"]["anyOf"]


def test_settings_reach_the_document() -> None:
    """Errors are rendered by the face for the route, so the platform's settings apply."""
    standard = fakeiot.Platform(seed=0, oceanconnect_gateway_error_shape="standard")
    assert (
        "oceanconnect.error.resultcode.resultmsg" not in served(standard)["components"]["schemas"]
    )
    http200 = fakeiot.Platform(seed=0, oceanconnect_http200_errors=True)
    modify = served(http200)["paths"]["/iocm/app/dm/{version}/devices/{deviceId}"]["put"]
    assert "APP_NOT_EXIST (100203)" in modify["responses"]["200"]["description"]


# -- schemathesis against a live server ----------------------------------------------------------
class Live:
    """A served platform with an OceanConnect app logged in and one EnOS org."""

    def __init__(self, server: fakeiot.Server) -> None:
        self.server = server
        platform = server.platform
        self.platform = platform
        app = platform.oceanconnect.create_app()
        login = platform.handle(
            fakeiot.HttpRequest(
                "POST",
                "/iocm/app/sec/v1.1.0/login",
                headers={"Content-Type": "application/x-www-form-urlencoded"},
                body=f"appId={app.app_id}&secret={app.secret}".encode(),
            )
        )
        token = login.json_body()["accessToken"]
        self.org = platform.enos.create_org()
        self.oc_headers = {"app_key": app.app_id, "Authorization": f"Bearer {token}"}
        # enos_poseidon_lenient: with one org, any apim-accesstoken that is no signed-scheme
        # token is that org's (the gateway checks pass, the Connect Service answers)
        self.enos_headers = {"apim-accesstoken": "schemathesis"}
        self.snapshot = platform.snapshot()
        self.count = 0

    def auth_for(self, path: str) -> tuple[dict[str, str], dict[str, str]]:
        """Headers and query parameters that pass the gateway, on every other call."""
        self.count += 1
        if self.count % 2:
            return {}, {}
        if path.startswith(("/iocm/", "/iodm/")):
            return dict(self.oc_headers), {}
        if path.startswith("/connect-service/"):
            return dict(self.enos_headers), {"orgId": self.org.org_id}
        return {}, {}

    def reset(self) -> None:
        """Undo what the call did: state, and any fault the control API injected."""
        self.platform.faults.clear()
        self.platform.restore(self.snapshot)


@pytest.fixture(scope="module")
def live() -> Iterator[Live]:
    platform = fakeiot.Platform(seed=7, enos_poseidon_lenient=True)
    with fakeiot.Server(platform) as server:
        yield Live(server)


@pytest.fixture(scope="module")
def served_schema(live: Live) -> Any:
    """The document as the server serves it, loaded by schemathesis."""
    return schemathesis.openapi.from_url(live.server.url + OPENAPI)


#: every operation, from the document of a platform like the served one (the served document is
#: the same: test_document_is_generated_from_the_route_table)
_DOCUMENT = _openapi.document(fakeiot.Platform(seed=7))
OPERATIONS = sorted((method, path) for path, method, _ in operations(_DOCUMENT))
#: the operations with a parameter a request can break (a version or action outside its enum)
NEGATABLE = [
    (method, path)
    for path, method, op in operations(_DOCUMENT)
    if any("enum" in p["schema"] for p in op["parameters"])
]
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


CASES = [
    pytest.param(method, path, mode, id=f"{method} {path} {mode!s}")
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    for method, path in OPERATIONS
    if mode is GenerationMode.POSITIVE or (method, path) in NEGATABLE
]


@pytest.mark.parametrize(("method", "path", "mode"), CASES)
def test_schemathesis_finds_no_server_error_and_no_undocumented_answer(
    live: Live, served_schema: Any, method: str, path: str, mode: GenerationMode
) -> None:
    operation = served_schema[path][method]

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate],
    )
    def run(case: schemathesis.Case[Any]) -> None:
        headers, params = live.auth_for(case.path)
        try:
            case.call_and_validate(headers=headers, params=params, checks=CHECKS)
        finally:
            live.reset()
        live.server.check()  # nothing raised inside the server

    run()
