"""``enos-poseidon`` 0.1.6 (Envision's official client) sending commands to a simulated device
and reading what the device reported, against a live fakeiot.Server."""

from __future__ import annotations

import fakeiot
from fakeiot._enos import Organization
from fakeiot.enos import Command
from tests.test_enos_poseidon import Call, create_device, create_product, live

__all__ = ["live"]


def test_invoke_service_reaches_a_device_that_answers_and_query_latest_reads_its_report(
    live: tuple[Organization, Call], platform: fakeiot.Platform
) -> None:
    _org, call = live
    created = create_device(call, create_product(call))
    dev = platform.enos.simulate(created["productKey"], "wt-0001", created["deviceSecret"])

    @dev.on_command
    def multiply(cmd: Command) -> dict[str, int]:
        return {"result": cmd.paras["left"] * cmd.paras["right"]}

    dev.connect()
    reply = call(
        "commands",
        "invokeService",
        {"inputData": {"left": 3, "right": 4}},
        assetId=created["assetId"],
        serviceId="multiply",
        timeout="5",
    )
    assert reply["code"] == 0, reply
    assert reply["data"]["outputData"] == {"result": 12}
    command_id = reply["data"]["commandId"]
    got = call("commands", "get", assetId=created["assetId"], commandId=command_id)
    assert (got["data"]["state"], got["data"]["tslIdentifier"]) == (5, "multiply")

    dev.report({"temp": 21.5})
    latest = call(
        "measurepoints", "queryLatest", {"measurepointIds": ["temp"]}, assetId=created["assetId"]
    )
    assert latest["code"] == 0, latest
    (point,) = latest["data"]
    assert (point["id"], point["value"]) == ("temp", 21.5)
    assert isinstance(point["time"], str)
    assert point["time"].isdigit()
