"""OceanConnect device groups (spec A.13), with the requests Huawei's Python SDK sends."""

from __future__ import annotations

import fakeiot
from fakeiot._oceanconnect import OcError
from tests.oc import DEVICE, OcClient, error_of

GROUPS = "/iocm/app/devgroup/v1.3.0/devGroups"
MEMBERS = "/iocm/app/dm/v1.2.0/devices/ids"
ADD = "/iocm/app/dm/v1.1.0/devices/addDevGroupTagToDevices"
REMOVE = "/iocm/app/dm/v1.1.0/devices/deleteDevGroupTagFromDevices"


def expected(error: OcError) -> tuple[int, str, str]:
    row = error.row
    return row.status, row.code, row.desc


def test_group_life_with_the_sdk_requests(oc: OcClient) -> None:
    first, second = oc.register_ok("node-1"), oc.register_ok("node-2")
    # CreateDeviceGroupInDTO: every attribute, alphabetical, explicit nulls, a stray "id"
    body = {
        "appId": None,
        "description": "floor one",
        "deviceIds": [first],
        "id": "ignored",
        "maxDevNum": 2,
        "name": "Floor1",
    }
    created = oc.call("POST", GROUPS, body)
    assert created.status == 200
    group = created.json_body()
    assert list(group) == ["name", "description", "id", "appId", "maxDevNum", "curDevNum"]
    assert (group["name"], group["curDevNum"], group["appId"]) == ("Floor1", 1, oc.app.app_id)
    group_id = group["id"]
    listed = oc.call("GET", f"{GROUPS}?&name=Floor1&pageNo=0&pageSize=10").json_body()
    assert listed["totalCount"] == 1
    assert listed["list"][0]["creator"] == oc.app.app_id
    added = oc.call(
        "POST", ADD, {"accessAppId": None, "devGroupId": group_id, "deviceIds": [second]}
    )
    assert added.json_body() == {"devGroupId": group_id, "deviceIds": []}
    members = oc.call("GET", f"{MEMBERS}?devGroupId={group_id}&pageNo=0&pageSize=10").json_body()
    assert (members["totalCount"], members["deviceIds"]) == (2, [first, second])
    # a third device is one too many for maxDevNum 2
    third = oc.register_ok("node-3")
    too_many = oc.call("POST", ADD, {"devGroupId": group_id, "deviceIds": [third]})
    assert error_of(too_many) == expected(OcError.GROUP_TOO_MANY_DEVICES)
    removed = oc.call("POST", REMOVE, {"devGroupId": group_id, "deviceIds": [first, "nope"]})
    assert removed.json_body()["deviceIds"] == ["nope"]
    modified = oc.call(
        "PUT", f"{GROUPS}/{group_id}", {"name": "Floor2", "description": None, "maxDevNum": 5}
    )
    assert (modified.json_body()["name"], modified.json_body()["maxDevNum"]) == ("Floor2", 5)
    # deleting a device drops it from its groups
    assert oc.call("DELETE", DEVICE.format(second)).status == 204
    assert oc.call("GET", f"{GROUPS}/{group_id}").json_body()["curDevNum"] == 0
    gone = oc.call("DELETE", f"{GROUPS}/{group_id}")
    assert (gone.status, gone.body) == (204, b"")
    assert error_of(oc.call("GET", f"{GROUPS}/{group_id}")) == expected(OcError.RESOURCE_NOT_FOUND)
    assert error_of(oc.call("GET", f"{MEMBERS}?devGroupId={group_id}")) == expected(
        OcError.RESOURCE_NOT_FOUND
    )


def test_group_errors() -> None:
    oc = OcClient(fakeiot.Platform(seed=0, oceanconnect_group_limit=1))
    assert oc.call("POST", GROUPS, {"name": "A1"}).status == 200
    assert error_of(oc.call("POST", GROUPS, {"name": "A1"})) == expected(OcError.GROUP_NAME_USED)
    assert error_of(oc.call("POST", GROUPS, {"name": "B2"})) == expected(OcError.GROUP_LIMIT)
    devices = [oc.register_ok(f"n-{i}") for i in range(3)]
    fresh = OcClient(oc.platform)
    answer = fresh.call("POST", GROUPS, {"name": "C3", "maxDevNum": 2, "deviceIds": devices})
    assert error_of(answer) == expected(OcError.GROUP_TOO_MANY_DEVICES)
    assert error_of(fresh.call("POST", GROUPS, {"name": "not ok!"})) == expected(
        OcError.INPUT_INVALID
    )
    assert error_of(fresh.call("POST", GROUPS, {"name": "x" * 51})) == expected(
        OcError.INPUT_INVALID
    )


def test_the_create_bodys_app_id_creates_the_group_for_that_application(oc: OcClient) -> None:
    """``appId`` in the create body (spec A.13) acts as ``?appId=`` does elsewhere."""
    face = oc.platform.oceanconnect
    owner = face.create_app()
    face.authorize(owner=owner, grantee=oc.app)
    created = oc.call("POST", GROUPS, {"name": "Owned", "appId": owner.app_id})
    assert created.status == 200
    assert created.json_body()["appId"] == owner.app_id
    # it is the owner's group: listed for the owner, not for the caller
    assert oc.call("GET", GROUPS).json_body()["totalCount"] == 0
    listed = oc.call("GET", f"{GROUPS}?accessAppId={owner.app_id}").json_body()
    assert [g["name"] for g in listed["list"]] == ["Owned"]
    stranger = face.create_app()
    answer = oc.call("POST", GROUPS, {"name": "Nope", "appId": stranger.app_id})
    assert error_of(answer) == (200, "100217", OcError.APP_NOT_AUTHORIZED.row.desc)
    answer = oc.call("POST", GROUPS, {"name": "Nope", "appId": "ghost"})
    assert error_of(answer) == (200, "100203", OcError.APP_NOT_EXIST.row.desc)


def test_the_members_bodys_access_app_id_acts_for_that_application(oc: OcClient) -> None:
    """``accessAppId`` in the add/delete-members body (spec A.13) as in the query."""
    face = oc.platform.oceanconnect
    owner = face.create_app()
    face.authorize(owner=owner, grantee=oc.app)
    device_id = face.register_device(owner, "owned-node")["deviceId"]
    group_id = oc.call("POST", GROUPS, {"name": "G1", "appId": owner.app_id}).json_body()["id"]
    body = {"accessAppId": owner.app_id, "devGroupId": group_id, "deviceIds": [device_id]}
    added = oc.call("POST", ADD, body)
    assert added.json_body() == {"devGroupId": group_id, "deviceIds": []}
    members = oc.call("GET", f"{MEMBERS}?devGroupId={group_id}&accessAppId={owner.app_id}")
    assert members.json_body()["deviceIds"] == [device_id]
    removed = oc.call("POST", REMOVE, body)
    assert removed.json_body() == {"devGroupId": group_id, "deviceIds": []}
    # without it the caller's own application is meant: the owner's group is not found
    answer = oc.call("POST", ADD, {"devGroupId": group_id, "deviceIds": [device_id]})
    assert error_of(answer) == expected(OcError.RESOURCE_NOT_FOUND)
    stranger = face.create_app()
    answer = oc.call("POST", ADD, {**body, "accessAppId": stranger.app_id})
    assert error_of(answer) == (200, "100217", OcError.APP_NOT_AUTHORIZED.row.desc)


def test_single_group_routes_take_the_sdks_access_app_id(oc: OcClient) -> None:
    """``GET|PUT|DELETE devGroups/{id}?accessAppId=`` as the PY SDK builds them."""
    face = oc.platform.oceanconnect
    owner = face.create_app()
    face.authorize(owner=owner, grantee=oc.app)
    group_id = oc.call("POST", GROUPS, {"name": "G1", "appId": owner.app_id}).json_body()["id"]
    one = f"{GROUPS}/{group_id}?accessAppId={owner.app_id}"
    assert oc.call("GET", one).json_body()["name"] == "G1"
    # without it the caller's own groups are searched
    assert error_of(oc.call("GET", f"{GROUPS}/{group_id}")) == expected(OcError.RESOURCE_NOT_FOUND)
    body = {"description": None, "maxDevNum": None, "name": "G2"}
    assert oc.call("PUT", one, body).json_body()["name"] == "G2"
    assert oc.call("DELETE", one).status == 204
    assert error_of(oc.call("GET", one)) == expected(OcError.RESOURCE_NOT_FOUND)
