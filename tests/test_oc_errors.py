"""Every error row of the OceanConnect traffic routes' tables (spec A.2-A.13), with the HTTP
status OC §2.3 gives it: a 4xx status only where the route's table has a 4xx row for the code,
200 where it lists the code only with 200, and 200 for both-listed codes with
``oceanconnect_http200_errors``."""

from __future__ import annotations

from typing import Any

import pytest

import fakeiot
from fakeiot._oceanconnect import OcError
from tests.oc import OcClient, error_of

E = OcError
CMD = "/iocm/app/cmd/v1.4.0"
SHADOW = "/iocm/app/shadow/v1.5.0/devices/{device}"
GROUPS = "/iocm/app/devgroup/v1.3.0/devGroups"
DM_GROUPS = "/iocm/app/dm/v1.3.0/devgroups"
SIGNAL = "/iocm/app/signaltrans/v1.1.0/devices/{device}/services/S/sendCommand"
NODE = "861234567890123"


class World:
    """A caller, its device (connected), a command and a group; a foreign application."""

    def __init__(self, http200: bool = False) -> None:
        platform = fakeiot.Platform(seed=0, oceanconnect_http200_errors=http200)
        self.oc = OcClient(platform)
        self.device = self.oc.register_ok(NODE, verifyCode=NODE)
        platform.oceanconnect.simulate(NODE).connect()
        body = {"deviceId": self.device, "command": {"serviceId": "S", "method": "M"}}
        self.command = self.oc.call("POST", f"{CMD}/deviceCommands", body).json_body()["commandId"]
        self.group = self.oc.call("POST", GROUPS, {"name": "G1"}).json_body()["id"]
        self.foreign = platform.oceanconnect.create_app().app_id

    def url(self, template: str) -> str:
        return template.format(device=self.device, command=self.command, group=self.group)


#: (method, url, body, the query key naming the application) per route
ROUTES: dict[str, tuple[str, str, Any, str]] = {
    "create_device_command": (
        "POST",
        f"{CMD}/deviceCommands",
        {"deviceId": "{device}", "command": {"serviceId": "S", "method": "M"}},
        "appId",
    ),
    "query_device_commands": ("GET", f"{CMD}/deviceCommands?&deviceId={{device}}", None, "appId"),
    "update_device_command": (
        "PUT",
        f"{CMD}/deviceCommands/{{command}}",
        {"status": "CANCELED"},
        "appId",
    ),
    "create_command_cancel_task": (
        "POST",
        f"{CMD}/deviceCommandCancelTasks",
        {"deviceId": "{device}"},
        "appId",
    ),
    "query_command_cancel_tasks": ("GET", f"{CMD}/deviceCommandCancelTasks", None, "appId"),
    "modify_device_shadow": (
        "PUT",
        SHADOW,
        {"serviceDesireds": [{"serviceId": "S", "desired": {"v": 1}}]},
        "appId",
    ),
    "create_device_group": ("POST", GROUPS, {"name": "G2"}, "accessAppId"),
    "query_device_groups": ("GET", GROUPS, None, "accessAppId"),
    "query_device_group": ("GET", f"{GROUPS}/{{group}}", None, "accessAppId"),
    "modify_device_group": ("PUT", f"{GROUPS}/{{group}}", {"name": "G3"}, "accessAppId"),
    "delete_device_group": ("DELETE", f"{GROUPS}/{{group}}", None, "accessAppId"),
    "device_group_members": (
        "GET",
        "/iocm/app/dm/v1.2.0/devices/ids?devGroupId={group}",
        None,
        "accessAppId",
    ),
    "add_devices_to_group": (
        "POST",
        "/iocm/app/dm/v1.1.0/devices/addDevGroupTagToDevices",
        {"devGroupId": "{group}", "deviceIds": []},
        "accessAppId",
    ),
    "remove_devices_from_group": (
        "POST",
        "/iocm/app/dm/v1.1.0/devices/deleteDevGroupTagFromDevices",
        {"devGroupId": "{group}", "deviceIds": []},
        "accessAppId",
    ),
    "create_device_group_dm": ("POST", DM_GROUPS, {"name": "G4"}, "accessAppId"),
    "query_device_group_dm": ("GET", f"{DM_GROUPS}/{{group}}", None, "accessAppId"),
    "invoke_device_service": ("POST", SIGNAL, {"header": {"method": "M"}}, "appId"),
    "query_device_data_history": (
        "GET",
        "/iocm/app/data/v1.2.0/deviceDataHistory?deviceId={device}&gatewayId={device}",
        None,
        "appId",
    ),
}


def _fill(value: Any, world: World) -> Any:
    if isinstance(value, str):
        return world.url(value)
    if isinstance(value, dict):
        return {k: _fill(v, world) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, world) for v in value]
    return value


def call(world: World, name: str, app_id: str | None = None) -> fakeiot.HttpResponse:
    method, url, body, key = ROUTES[name]
    url = world.url(url)
    if app_id is not None:
        url += ("&" if "?" in url else "?") + f"{key}={app_id}"
    return world.oc.call(method, url, _fill(body, world))


#: (route, 100203 status by default / with the setting, 100217 likewise), from the tables
STATUSES = [
    # A.2: 200/100203; 200/100217 and 403/100217
    ("create_device_command", (200, 200), (403, 200)),
    # A.4: 200/100203; 200/100217 and 403/100217
    ("query_device_commands", (200, 200), (403, 200)),
    # A.5: 200/100203, 200/100217 only
    ("update_device_command", (200, 200), (200, 200)),
    # A.6: no create table (it follows the query's); query: both codes with 200 and 403
    ("create_command_cancel_task", (403, 200), (403, 200)),
    ("query_command_cancel_tasks", (403, 200), (403, 200)),
    # A.12: 403/100203, 403/100217 (no 200 rows)
    ("modify_device_shadow", (403, 403), (403, 403)),
    # A.13: 200/100203, 200/100217 only, on every group route
    *[
        (name, (200, 200), (200, 200))
        for name in ROUTES
        if "group" in name and name != "create_device_group_dm"
    ],
    ("create_device_group_dm", (200, 200), (200, 200)),
    # no table: the common 403 rows (OC §1.3)
    ("invoke_device_service", (403, 403), (403, 403)),
    ("query_device_data_history", (403, 403), (403, 403)),
]


@pytest.mark.parametrize(("name", "not_exist", "not_authorized"), STATUSES)
@pytest.mark.parametrize("http200", [False, True], ids=["default", "http200_errors"])
def test_app_errors_answer_the_status_of_the_routes_table(
    name: str,
    not_exist: tuple[int, int],
    not_authorized: tuple[int, int],
    http200: bool,
) -> None:
    world = World(http200)
    ghost = call(world, name, "ghost")
    assert error_of(ghost) == (not_exist[http200], "100203", E.APP_NOT_EXIST.row.desc)
    foreign = call(world, name, world.foreign)
    assert error_of(foreign) == (
        not_authorized[http200],
        "100217",
        E.APP_NOT_AUTHORIZED.row.desc,
    )


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("query_device_commands", E.IOTWS_ADDRESS_FAILED),
        ("query_device_commands", E.INTERNAL_SERVER_ERROR),
        ("query_device_commands", E.DATABASE_ABNORMAL),
        ("create_device_command", E.INTERNAL_SERVER_ERROR),
        ("create_device_command", E.DATABASE_ABNORMAL),
        ("update_device_command", E.INTERNAL_SERVER_ERROR),
        ("update_device_command", E.DATABASE_ABNORMAL),
        ("update_device_command", E.IOTWS_ADDRESS_FAILED),
        ("query_command_cancel_tasks", E.INTERNAL_SERVER_ERROR),
        ("modify_device_shadow", E.DATABASE_ABNORMAL),
        ("modify_device_shadow", E.INTERNAL_ERROR),
        ("create_device_group", E.INTERNAL_ERROR),
        ("query_device_groups", E.INTERNAL_ERROR),
    ],
)
def test_server_side_rows_come_through_faults(name: str, error: OcError) -> None:
    world = World()
    world.oc.platform.faults.inject(f"oceanconnect.{name}", error=error)
    answer = call(world, name)
    assert error_of(answer) == (error.row.status, error.row.code, error.row.desc)
    assert answer.status == 500


def test_not_found_rows_of_the_query_routes() -> None:
    world = World()
    # cancel-task query: 200/100418 for an unknown deviceId (A.6)
    answer = world.oc.call("GET", f"{CMD}/deviceCommandCancelTasks?deviceId=nope")
    assert error_of(answer) == (200, "100418", E.COMMAND_DEVICE_NOT_FOUND.row.desc)
    # signaltrans: 200/100418 for an unknown device, 200/100431 for a service the profile lacks
    answer = world.oc.call("POST", SIGNAL.format(device="nope"), {"header": {"method": "M"}})
    assert error_of(answer) == (200, "100418", E.COMMAND_DEVICE_NOT_FOUND.row.desc)
    face = world.oc.platform.oceanconnect
    product = face.create_product(serviceCapabilities=[{"serviceId": "Other"}])
    profiled = world.oc.register_ok("p-1", productId=product, verifyCode="p-1")
    face.simulate("p-1").connect()
    answer = world.oc.call("POST", SIGNAL.format(device=profiled), {"header": {"method": "M"}})
    assert error_of(answer) == (200, "100431", E.SERVICE_TYPE_NOT_EXIST.row.desc)
