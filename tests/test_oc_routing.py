"""OceanConnect's routing rules for the traffic routes (spec A.1, §0): a repeated query key's
first value counts, a trailing ``/`` is the same route, and both group spellings are served."""

from __future__ import annotations

import pytest

import fakeiot
from fakeiot._oceanconnect import OcError
from tests.oc import OcClient, error_of

CMD = "/iocm/app/cmd/v1.4.0"
NODE = "861234567890123"


def test_a_repeated_query_key_keeps_its_first_value(oc: OcClient) -> None:
    device_id = oc.register_ok(NODE)
    body = {"deviceId": device_id, "command": {"serviceId": "S", "method": "M"}}
    assert oc.call("POST", f"{CMD}/deviceCommands", body).status == 201
    answer = oc.call("GET", f"{CMD}/deviceCommands?&deviceId={device_id}&deviceId=nope")
    assert answer.status == 200
    assert answer.json_body()["pagination"]["totalSize"] == 1
    unknown_first = oc.call("GET", f"{CMD}/deviceCommands?&deviceId=nope&deviceId={device_id}")
    assert error_of(unknown_first)[:2] == (200, "100418")


def test_the_desired_history_url_the_sdk_builds_repeats_keys_and_is_read(oc: OcClient) -> None:
    """The SDK appends every DTO field again, ``appId`` too (spec A.10)."""
    device_id = oc.register_ok(NODE)
    url = (
        f"/iocm/app/shadow/v1.5.0/deviceDesiredHistory?deviceId={device_id}&gatewayId={device_id}"
        f"&deviceId={device_id}&gatewayId={device_id}&appId={oc.app.app_id}"
    )
    answer = oc.call("GET", url)
    assert answer.status == 200
    assert answer.json_body()["deviceDesiredHistoryDTOs"] == []


def test_other_faces_keep_the_last_value_of_a_repeated_key() -> None:
    """IoTDA's and EnOS's specs do not say; their parsing is unchanged."""
    assert fakeiot.Platform(seed=0).iotda.first_query_value is False
    assert fakeiot.Platform(seed=0).enos.first_query_value is False
    request = fakeiot.HttpRequest("GET", "/x", query_string="a=1&a=2")
    assert request.query == {"a": "2"}
    request.keep_first_values()
    assert request.query == {"a": "1"}


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", f"{CMD}/deviceCommands/", 200),
        ("POST", f"{CMD}/deviceCommands/", 201),
        ("GET", f"{CMD}/deviceCommandCancelTasks/", 200),
        ("POST", f"{CMD}/deviceCommandCancelTasks/", 201),
        ("GET", "/iocm/app/shadow/v1.5.0/devices/{id}/", 200),
        ("PUT", "/iocm/app/shadow/v1.5.0/devices/{id}/", 200),
        ("GET", "/iocm/app/devgroup/v1.3.0/devGroups/", 200),
        ("POST", "/iocm/app/devgroup/v1.3.0/devGroups/", 200),
        ("GET", "/iocm/app/data/v1.2.0/deviceDataHistory/?deviceId={id}&gatewayId={id}", 200),
        ("GET", "/iocm/app/shadow/v1.5.0/deviceDesiredHistory/?deviceId={id}&gatewayId={id}", 200),
        ("GET", "/iocm/app/data/v1.1.0/deviceCapabilities/?deviceId={id}", 200),
        ("GET", "/iocm/app/batchtask/v1.1.0/taskDetails/?taskId=nope", 404),
    ],
)
def test_a_trailing_slash_is_the_same_route(
    oc: OcClient, method: str, path: str, status: int
) -> None:
    device_id = oc.register_ok(NODE)
    bodies = {
        "deviceCommands": {"deviceId": device_id, "command": {"serviceId": "S", "method": "M"}},
        "deviceCommandCancelTasks": {"deviceId": device_id},
        "devices": {"serviceDesireds": [{"serviceId": "S", "desired": {"v": 1}}]},
        "devGroups": {"name": "G1"},
    }
    body = None
    if method != "GET":
        body = next(b for key, b in bodies.items() if f"/{key}/" in path)
    answer = oc.call(method, path.replace("{id}", device_id), body)
    assert answer.status == status, answer.body
    assert answer.route is not None
    if status == 404:  # the route's own answer: an unknown task
        assert error_of(answer)[:2] == (404, "100225")
        assert answer.route == "oceanconnect.query_batch_task_details"


def test_an_empty_id_segment_still_reaches_its_route(oc: OcClient) -> None:
    """The seed behaviours: ``deviceCredentials/`` is refresh key with an empty id (100007),
    ``dm/.../devices/`` a query of an empty id (100403)."""
    assert error_of(oc.call("PUT", "/iocm/app/reg/v1.1.0/deviceCredentials/", {}))[:2] == (
        400,
        "100007",
    )
    assert error_of(oc.call("GET", "/iocm/app/dm/v1.4.0/devices/"))[:2] == (404, "100403")
    answer = oc.call("GET", "/iocm/app/shadow/v1.5.0/devices/")
    assert error_of(answer)[:2] == (404, "100403")


def test_the_dm_devgroups_spelling_serves_the_same_groups(oc: OcClient) -> None:
    dm = "/iocm/app/dm/v1.3.0/devgroups"
    created = oc.call("POST", dm, {"name": "Floor1"})
    assert created.status == 200
    group_id = created.json_body()["id"]
    same = oc.call("GET", f"/iocm/app/devgroup/v1.3.0/devGroups/{group_id}")
    assert same.json_body()["name"] == "Floor1"
    assert oc.call("GET", dm).json_body()["list"][0]["id"] == group_id
    renamed = oc.call("PUT", f"{dm}/{group_id}", {"name": "Floor2"})
    assert renamed.json_body()["name"] == "Floor2"
    assert oc.call("GET", f"{dm}/{group_id}").json_body()["name"] == "Floor2"
    assert oc.call("DELETE", f"{dm}/{group_id}").status == 204
    assert error_of(oc.call("GET", f"{dm}/{group_id}")) == (
        *OcError.RESOURCE_NOT_FOUND.row[:2],
        OcError.RESOURCE_NOT_FOUND.row.desc,
    )
