"""OceanConnect batch tasks (spec A.14): DeviceCmd tasks, with the SDK's requests."""

from __future__ import annotations

from typing import Any

import fakeiot
from fakeiot._oceanconnect import OcError
from tests.oc import OcClient, error_of

TASKS = "/iocm/app/batchtask/v1.1.0/tasks/"
DETAILS = "/iocm/app/batchtask/v1.1.0/taskDetails"


def test_a_device_cmd_task_commands_every_target_and_counts_them(oc: OcClient) -> None:
    face = oc.platform.oceanconnect
    washers = [oc.register_ok(f"w-{i}", deviceInfo={"deviceType": "washer"}) for i in range(2)]
    oc.register_ok("other", deviceInfo={"deviceType": "dryer"})
    face.simulate("w-0").connect()
    body: dict[str, Any] = {
        "appId": oc.app.app_id,
        "param": {
            "command": {"method": "START", "paras": {"mode": 1}, "serviceId": "Washer"},
            "deviceList": None,
            "deviceType": "washer",
            "type": "DeviceType",
        },
        "tags": None,
        "taskName": "wash",
        "taskType": "DeviceCmd",
        "timeout": 100,
    }
    created = oc.call("POST", TASKS, body)  # the SDK's trailing slash
    assert created.status == 200
    task_id = created.json_body()["taskID"]
    assert len(task_id) == 24
    task = oc.call("GET", f"{TASKS}{task_id}?appId={oc.app.app_id}").json_body()
    assert (task["totalCnt"], task["successCnt"], task["completeCnt"]) == (2, 1, 1)
    assert (task["status"], task["progress"], task["taskType"]) == ("PROCESSING", 50, "DeviceCmd")
    assert task["param"]["deviceType"] == "washer"
    # the SDK's detail query: taskId=None and the stray taskID
    details = oc.call("GET", f"{DETAILS}?taskId=None&taskID={task_id}").json_body()
    assert details["totalCount"] == 2
    by_device = {d["param"]["deviceId"]: d["status"] for d in details["taskDetails"]}
    assert by_device == {washers[0]: "SUCCESSFUL", washers[1]: "PENDING"}
    pending = oc.call("GET", f"{DETAILS}?taskId={task_id}&status=PENDING").json_body()
    assert [d["param"]["deviceId"] for d in pending["taskDetails"]] == [washers[1]]
    # without the slash too
    again = oc.call(
        "POST",
        TASKS.rstrip("/"),
        {**body, "param": {**body["param"], "type": "DeviceList", "deviceList": [washers[1]]}},
    )
    assert again.status == 200
    assert error_of(oc.call("GET", f"{TASKS}nope")) == (404, "100225", "The resource is not found")
    stray = oc.call("POST", f"{TASKS}xyz", body)
    assert error_of(stray) == (400, OcError.INPUT_INVALID.row.code, OcError.INPUT_INVALID.row.desc)
    assert len(face.state.batch_tasks) == 2
    bad = oc.call("POST", TASKS, {**body, "taskType": "SoftwareUpgrade"})
    assert error_of(bad) == (400, OcError.INPUT_INVALID.row.code, OcError.INPUT_INVALID.row.desc)


def test_batch_tasks_survive_the_state_store(oc: OcClient) -> None:
    device_id = oc.register_ok("n-1")
    body: dict[str, Any] = {
        "appId": oc.app.app_id,
        "taskName": "t",
        "taskType": "DeviceCmd",
        "param": {
            "type": "DeviceList",
            "deviceList": [device_id],
            "command": {"serviceId": "S", "method": "M"},
        },
    }
    task_id = oc.call("POST", TASKS, body).json_body()["taskID"]
    saved = oc.platform.oceanconnect.export_state()
    fresh = fakeiot.Platform(seed=1)
    fresh.oceanconnect.import_state(saved)
    assert task_id in fresh.oceanconnect.state.batch_tasks
    assert len(fresh.oceanconnect.commands(device_id)) == 1
