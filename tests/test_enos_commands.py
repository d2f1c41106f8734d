"""EnOS commands and measure points (spec device-traffic B.1, B.2): every route's success, every
error row of B.1, and the command machine driven by the virtual clock and simulated devices."""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterator
from typing import Any

import pytest

import fakeiot
from fakeiot._enos._commands import COMMAND, CommandState
from fakeiot.enos import NEVER, PENDING, fail, later
from tests.enos import EnosClient, error_of

COMMANDS = "/connect-service/v2.1/commands"
MEASUREPOINTS = "/connect-service/v2.1/measurepoints"
START = 1_700_000_000


@pytest.fixture
def platform() -> Iterator[fakeiot.Platform]:
    platform = fakeiot.Platform(seed=0, clock=fakeiot.ManualClock(START))
    yield platform
    platform.check_invariants()


@pytest.fixture
def en(platform: fakeiot.Platform) -> EnosClient:
    return EnosClient(platform)


@pytest.fixture
def device(en: EnosClient) -> dict[str, str]:
    return en.create_device(en.create_product(), deviceKey="meter-001")


@pytest.fixture
def sim(en: EnosClient, device: dict[str, str]) -> fakeiot.enos.EnosDevice:
    return en.platform.enos.simulate(device["productKey"], "meter-001", device["deviceSecret"])


def invoke(
    en: EnosClient, device: dict[str, str], inputs: Any = None, **query: Any
) -> dict[str, Any]:
    query.setdefault("serviceId", "multiply")
    body = {"inputData": {"left": 3, "right": 4} if inputs is None else inputs}
    return en.call(COMMANDS, "invokeService", body, assetId=device["assetId"], **query)


def get(en: EnosClient, device: dict[str, str], command_id: str) -> dict[str, Any]:
    reply = en.call(COMMANDS, "get", method="GET", assetId=device["assetId"], commandId=command_id)
    assert reply["code"] == 0, reply
    data: dict[str, Any] = reply["data"]
    return data


def multiply(cmd: fakeiot.enos.Command) -> dict[str, Any]:
    return {"result": cmd.paras["left"] * cmd.paras["right"]}


# =============================================================================================
# invokeService / setMeasurepoint
# =============================================================================================
def test_immediate_invoke_returns_the_devices_output(
    en: EnosClient, device: dict[str, str], sim: Any
) -> None:
    sim.on_command(multiply)
    sim.connect()
    reply = invoke(en, device)
    assert reply["code"] == 0
    assert reply["msg"] == "OK"
    command_id = reply["data"]["commandId"]
    assert reply["data"] == {"commandId": command_id, "outputData": {"result": 12}}
    assert len(command_id) == 19
    assert command_id.isdigit()
    (received,) = sim.commands
    assert (received.command_id, received.service_id, received.paras, received.mode) == (
        command_id,
        "multiply",
        {"left": 3, "right": 4},
        "sync",
    )
    record = get(en, device, command_id)
    assert record == {
        "commandId": command_id,
        "orgId": en.org.org_id,
        "productKey": device["productKey"],
        "deviceKey": "meter-001",
        "assetId": device["assetId"],
        "createTime": START * 1000,
        "createLocaltime": "2023-11-15 06:13:20",  # the device's +08:00
        "commandType": 2,
        "commandName": {"defaultValue": "multiply", "i18nValue": {"en_US": "multiply"}},
        "timeout": 30,
        "pendingTtl": 0,
        "state": 5,
        "tslIdentifier": "multiply",
        "inputData": {"left": 3, "right": 4},
        "outputData": {"result": 12},
    }


def test_set_measurepoint_sends_the_point_and_answers_the_command_id(
    en: EnosClient, device: dict[str, str], sim: Any
) -> None:
    sim.connect()
    reply = en.call(
        COMMANDS,
        "setMeasurepoint",
        {"value": 111},
        assetId=device["assetId"],
        measurepointId="Int_value",
    )
    assert reply["code"] == 0
    assert set(reply["data"]) == {"commandId"}
    (received,) = sim.commands
    assert (received.service_id, received.command_name, received.paras) == (
        None,
        "measurepoint.set",
        {"Int_value": 111},
    )
    record = get(en, device, reply["data"]["commandId"])
    assert (record["commandType"], record["inputData"], record["state"]) == (1, 111, 5)


def test_immediate_command_errors(en: EnosClient, device: dict[str, str], sim: Any) -> None:
    """11888 never activated, 11900 offline, 11915 no answer in time (state 7)."""
    assert error_of(invoke(en, device)) == (
        11888,
        "The device is not activated and the instant command cannot be sent.",
    )
    sim.connect()
    sim.disconnect()
    assert error_of(invoke(en, device)) == (
        11900,
        "The device is offline and the instant command cannot be sent.",
    )
    sim.connect()
    sim.on_command(lambda cmd: later(11))  # slower than timeout=10
    assert error_of(invoke(en, device, timeout="10")) == (
        11915,
        "The command is sent, but the response timed out.",
    )
    sim.on_command(lambda cmd: later(10, {"ok": 1}))  # just in time
    assert invoke(en, device, timeout="10")["data"]["outputData"] == {"ok": 1}
    sim.on_command(lambda cmd: NEVER)
    assert error_of(invoke(en, device))[0] == 11915
    sim.sleep()
    sim.on_command(multiply)
    assert error_of(invoke(en, device))[0] == 11915
    states = [c["state"] for c in en.platform.enos.commands(device["assetId"])]
    assert states == [7, 5, 7, 7]


def set_point(en: EnosClient, device: dict[str, str], **query: Any) -> dict[str, Any]:
    body = {"value": 21.5}
    return en.call(
        COMMANDS, "setMeasurepoint", body, assetId=device["assetId"], measurepointId="temp",
        **query,
    )  # fmt: skip


def test_set_measurepoint_errors(
    en: EnosClient, device: dict[str, str], sim: Any, platform: fakeiot.Platform
) -> None:
    """setMeasurepoint shares invokeService's rows: 11888, 11900, 11915 and 11902."""
    assert error_of(set_point(en, device))[0] == 11888
    sim.connect()
    sim.disconnect()
    assert error_of(set_point(en, device))[0] == 11900
    sim.connect()
    sim.on_command(lambda cmd: later(6))
    assert error_of(set_point(en, device, timeout="5")) == (
        11915,
        "The command is sent, but the response timed out.",
    )
    sim.disconnect()
    platform.enos.configure({"enos_cached_command_limit": 1})
    assert set_point(en, device, pendingTtl="60")["code"] == 0
    assert error_of(set_point(en, device, pendingTtl="60"))[0] == 11902
    states = [c["state"] for c in platform.enos.commands(device["assetId"])]
    assert states == [7, 1]


def test_a_failed_answer_is_state_6(en: EnosClient, device: dict[str, str], sim: Any) -> None:
    sim.connect()
    sim.on_command(lambda cmd: fail({"reason": "busy"}))
    reply = invoke(en, device)
    assert reply["code"] == 0
    record = get(en, device, reply["data"]["commandId"])
    assert (record["state"], record["outputData"]) == (6, {"reason": "busy"})


def test_cached_command_limit_answers_11902(
    en: EnosClient, device: dict[str, str], platform: fakeiot.Platform
) -> None:
    platform.enos.configure({"enos_cached_command_limit": 2})
    for _ in range(2):
        assert invoke(en, device, pendingTtl="60")["code"] == 0
    assert error_of(invoke(en, device, pendingTtl="60")) == (
        11902,
        "The number of cached commands reached the upper limit.",
    )


def test_11904_when_the_publish_to_the_connection_fails(
    en: EnosClient, device: dict[str, str], sim: Any, platform: fakeiot.Platform
) -> None:
    class Gone:
        client_id = "x"

        def publish(self, topic: str, payload: bytes, qos: int = 0) -> None:
            raise OSError("connection reset")

        def close(self) -> None:
            pass

    sim.connect()
    platform.enos._links[device["assetId"]] = Gone()
    assert error_of(invoke(en, device)) == (
        11904,
        "The command is not sent, and the instant command timed out.",
    )
    assert platform.enos.commands(device["assetId"]) == []


@pytest.mark.parametrize(
    ("query", "body"),
    [
        ({"pendingTtl": "172801"}, {"inputData": {}}),
        ({"timeout": "0"}, {"inputData": {}}),
        ({"timeout": "61"}, {"inputData": {}}),
        ({"serviceId": ""}, {"inputData": {}}),
        ({}, {}),
        ({}, {"inputData": [1]}),
    ],
)
def test_invalid_command_input_is_99400_and_changes_nothing(
    en: EnosClient, device: dict[str, str], query: dict[str, str], body: dict[str, Any]
) -> None:
    params: dict[str, Any] = {"serviceId": "s", **query}
    reply = en.call(COMMANDS, "invokeService", body, assetId=device["assetId"], **params)
    assert error_of(reply) == (99400, "Invalid arguments")
    assert en.platform.enos.commands(device["assetId"]) == []


def test_unknown_device_and_unknown_action(en: EnosClient, device: dict[str, str]) -> None:
    reply = en.call(COMMANDS, "invokeService", {"inputData": {}}, assetId="nope", serviceId="s")
    assert error_of(reply) == (11404, "Device cannot be found")
    assert error_of(en.call(COMMANDS, "bogus", assetId=device["assetId"]))[0] == 99400
    assert error_of(en.call(MEASUREPOINTS, None, assetId=device["assetId"]))[0] == 99400


# =============================================================================================
# get, search, cancel
# =============================================================================================
def test_get_unknown_command_is_99404(en: EnosClient, device: dict[str, str]) -> None:
    reply = en.call(COMMANDS, "get", method="GET", assetId=device["assetId"], commandId="1")
    assert error_of(reply) == (99404, "Not found")


def test_cancel_one_or_all_cached_commands(
    en: EnosClient, device: dict[str, str], platform: fakeiot.Platform
) -> None:
    ids = [invoke(en, device, pendingTtl="600")["data"]["commandId"] for _ in range(3)]
    one = en.call(COMMANDS, "cancel", assetId=device["assetId"], commandId=ids[0])
    assert [c["commandId"] for c in one["data"]] == [ids[0]]
    assert one["data"][0]["state"] == 2
    again = en.call(COMMANDS, "cancel", assetId=device["assetId"], commandId=ids[0])
    assert again["code"] == 0
    assert again["data"] == []
    rest = en.call(COMMANDS, "cancel", method="GET", assetId=device["assetId"])
    assert [c["commandId"] for c in rest["data"]] == ids[1:]
    assert [c["state"] for c in platform.enos.commands(device["assetId"])] == [2, 2, 2]
    unknown = en.call(COMMANDS, "cancel", assetId=device["assetId"], commandId="42")
    assert error_of(unknown)[0] == 99404


def test_search_filters_pages_and_sorts_newest_first(
    en: EnosClient, device: dict[str, str], sim: Any, platform: fakeiot.Platform
) -> None:
    cached = invoke(en, device, pendingTtl="600")["data"]["commandId"]
    platform.advance(60)
    sim.connect()  # releases the cached command: state 5
    platform.advance(60)
    done = en.call(
        COMMANDS, "setMeasurepoint", {"value": 1}, assetId=device["assetId"], measurepointId="p"
    )["data"]["commandId"]
    page = en.call(COMMANDS, "search", {}, assetId=device["assetId"])
    assert [c["commandId"] for c in page["data"]] == [done, cached]
    assert page["pagination"] == {
        "sortedBy": [{"field": "createDate", "order": "DESC"}],
        "pageNo": 1,
        "pageSize": 100,
        "totalSize": 2,
    }
    by_name = en.call(
        COMMANDS,
        "search",
        {"expression": 'commandName.en_US like "multi" and createTime < "2023-11-15 06:14:00"'},
        assetId=device["assetId"],
    )
    assert [c["commandId"] for c in by_name["data"]] == [cached]
    later_ones = en.call(
        COMMANDS,
        "search",
        {"expression": 'createTime >= "2023-11-15 06:15:20"', "projection": ["commandId"]},
        assetId=device["assetId"],
    )
    assert later_ones["data"] == [{"commandId": done}]
    paged = en.call(
        COMMANDS,
        "search",
        {"expression": "state = 5", "pagination": {"pageNo": 2, "pageSize": 1}},
        assetId=device["assetId"],
    )
    assert [c["commandId"] for c in paged["data"]] == [cached]
    bad = en.call(COMMANDS, "search", {"expression": "state > 1"}, assetId=device["assetId"])
    assert error_of(bad) == (99400, "Invalid arguments")


# =============================================================================================
# measure points
# =============================================================================================
def test_query_latest_after_reports(
    en: EnosClient, device: dict[str, str], sim: Any, platform: fakeiot.Platform
) -> None:
    empty = en.call(MEASUREPOINTS, "queryLatest", {}, assetId=device["assetId"])
    assert empty["data"] == []
    sim.connect()
    sim.report({"temp": 20.5, "power": 7})
    platform.advance(5)
    sim.report({"temp": 21.0})
    sim.report({"temp": 3.0}, time=START)  # an older sample does not replace the latest
    reply = en.call(
        MEASUREPOINTS,
        "queryLatest",
        {"measurepointIds": ["temp", "unknown"]},
        productKey=device["productKey"],
        deviceKey="meter-001",
    )
    assert reply["data"] == [{"id": "temp", "time": str((START + 5) * 1000), "value": 21.0}]
    every = en.call(MEASUREPOINTS, "queryLatest", assetId=device["assetId"], method="GET")
    assert [p["id"] for p in every["data"]] == ["temp", "power"]
    assert en.get_device(device["assetId"])["measurepointLastUpdate"] == (START + 5) * 1000
    with pytest.raises(fakeiot.UsageError):
        sim.report({})
    sim.disconnect()
    with pytest.raises(fakeiot.UsageError, match="connected"):
        sim.report({"temp": 1})


# =============================================================================================
# the command machine over time
# =============================================================================================
def test_machine_is_data_and_refuses_other_moves() -> None:
    assert COMMAND.step(CommandState.CREATED, "release") is CommandState.RELEASED
    with pytest.raises(fakeiot.InvariantError, match="cancel"):
        COMMAND.step(CommandState.RELEASED, "cancel")
    assert "| `expire` | 1 | 3 |" in COMMAND.markdown()


def test_cached_commands_are_released_in_order_at_login(
    en: EnosClient, device: dict[str, str], sim: Any
) -> None:
    sim.on_command(multiply)
    ids = [
        invoke(en, device, {"left": n, "right": 2}, pendingTtl="600")["data"]["commandId"]
        for n in (1, 2, 3)
    ]
    assert sim.commands == []
    assert [get(en, device, i)["state"] for i in ids] == [1, 1, 1]
    sim.connect()
    assert [c.command_id for c in sim.commands] == ids
    assert [c.mode for c in sim.commands] == ["async"] * 3
    assert [get(en, device, i)["outputData"] for i in ids] == [{"result": n * 2} for n in (1, 2, 3)]


def test_a_command_past_its_pending_ttl_expires_at_login_instead_of_being_sent(
    en: EnosClient, device: dict[str, str], sim: Any, platform: fakeiot.Platform
) -> None:
    command_id = invoke(en, device, pendingTtl="100")["data"]["commandId"]
    clock = platform.clock
    assert isinstance(clock, fakeiot.ManualClock)
    clock.advance(100)  # no request in between applies the clock
    sim.connect()
    assert sim.commands == []
    assert get(en, device, command_id)["state"] == 3


def _timeline(en: EnosClient, device: dict[str, str], sim: Any, advance: Any) -> None:
    """pendingTtl expiry, a cached command answered later, one that times out, PENDING+respond."""
    expiring = invoke(en, device, pendingTtl="100")["data"]["commandId"]
    advance(101)
    assert get(en, device, expiring)["state"] == 3
    sim.connect()
    assert sim.commands == []  # the expired command is not delivered
    sim.on_command(lambda cmd: later(20, {"late": True}))
    slow = invoke(en, device, pendingTtl="100", timeout="30")["data"]["commandId"]
    assert get(en, device, slow)["state"] == 4
    advance(21)
    assert get(en, device, slow)["outputData"] == {"late": True}
    sim.on_command(lambda cmd: NEVER)
    silent = invoke(en, device, pendingTtl="100", timeout="5")["data"]["commandId"]
    advance(6)
    assert get(en, device, silent)["state"] == 7
    sim.on_command(lambda cmd: PENDING)
    waiting = invoke(en, device, pendingTtl="100")["data"]["commandId"]
    sim.respond(waiting, {"answered": "by the test"})
    assert get(en, device, waiting)["outputData"] == {"answered": "by the test"}
    with pytest.raises(LookupError):
        sim.respond(waiting, {})


def _offline_timeline(en: EnosClient, device: dict[str, str], sim: Any, advance: Any) -> None:
    """A command cached while the device is offline waits, then goes out at its next login."""
    sim.connect()
    sim.disconnect()
    sim.on_command(multiply)
    cached = invoke(en, device, {"left": 5, "right": 6}, pendingTtl="100")["data"]["commandId"]
    advance(60)
    assert get(en, device, cached)["state"] == 1
    assert sim.commands == []
    sim.connect()
    assert [c.command_id for c in sim.commands] == [cached]
    assert (get(en, device, cached)["state"], get(en, device, cached)["outputData"]) == (
        5,
        {"result": 30},
    )


TIMELINES = [pytest.param(_timeline, id="online"), pytest.param(_offline_timeline, id="offline")]


@pytest.mark.parametrize("timeline", TIMELINES)
def test_timeline_under_freezegun(
    en: EnosClient, device: dict[str, str], sim: Any, timeline: Any
) -> None:
    freezegun = pytest.importorskip("freezegun")
    en.platform.clock = fakeiot.SystemClock()
    with freezegun.freeze_time(
        datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
    ) as frozen:
        en.token = en.token_call("/apim-token-service/v2.0/token/get").json_body()["data"][
            "accessToken"
        ]
        timeline(en, device, sim, lambda s: frozen.tick(datetime.timedelta(seconds=s)))


@pytest.mark.parametrize("timeline", TIMELINES)
def test_timeline_under_time_machine(
    en: EnosClient, device: dict[str, str], sim: Any, timeline: Any
) -> None:
    time_machine = pytest.importorskip("time_machine")
    en.platform.clock = fakeiot.SystemClock()
    with time_machine.travel(
        datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc), tick=False
    ) as t:
        en.token = en.token_call("/apim-token-service/v2.0/token/get").json_body()["data"][
            "accessToken"
        ]
        timeline(en, device, sim, t.shift)


def test_sleeping_device_gets_cached_commands_when_it_reports(
    en: EnosClient, device: dict[str, str], sim: Any
) -> None:
    sim.connect()
    sim.sleep()
    cached = invoke(en, device, pendingTtl="600")["data"]["commandId"]
    assert get(en, device, cached)["state"] == 1
    sim.report({"temp": 1})
    assert get(en, device, cached)["state"] == 5
    assert [c.command_id for c in sim.commands] == [cached]


# =============================================================================================
# follow-through: state file, dashboard
# =============================================================================================
def test_commands_and_points_survive_the_state_file(
    en: EnosClient, device: dict[str, str], sim: Any, platform: fakeiot.Platform
) -> None:
    sim.connect()
    sim.report({"temp": 20.5})
    sim.on_command(lambda cmd: NEVER)
    released = invoke(en, device, pendingTtl="600", timeout="30")["data"]["commandId"]
    sim.disconnect()
    cached = invoke(en, device, pendingTtl="600")["data"]["commandId"]
    saved = json.loads(json.dumps(platform.enos.export_state()))
    other = fakeiot.Platform(seed=1, clock=platform.clock)
    other.enos.import_state(saved)
    assert other.enos.commands(device["assetId"]) == platform.enos.commands(device["assetId"])
    assert other.enos.latest(device["assetId"]) == {"temp": 20.5}
    other.advance(31)  # the deadlines were rebuilt from the records
    states = {c["commandId"]: c["state"] for c in other.enos.commands(device["assetId"])}
    assert states == {released: 7, cached: 1}
    other.advance(600)
    assert other.enos.commands(device["assetId"])[1]["state"] == 3


def test_dashboard_lists_commands_with_their_state(
    en: EnosClient, device: dict[str, str], platform: fakeiot.Platform
) -> None:
    command_id = invoke(en, device, pendingTtl="60")["data"]["commandId"]
    tables = {t["id"]: t for t in platform.enos.overview()["tables"]}
    (row,) = tables["commands"]["rows"]
    assert row["cells"] == [device["assetId"], command_id, "multiply", "cached 60s", "1 (created)"]
    assert (
        f"command {command_id} multiply -> {device['assetId']} (pendingTtl=60, timeout=30): "
        "state 1 (created)"
    ) in platform.transcript()


def test_docs_show_the_command_machine_as_declared() -> None:
    from pathlib import Path

    page = (Path(__file__).parent.parent / "docs" / "enos.md").read_text(encoding="utf-8")
    assert COMMAND.markdown() in page, "docs/enos.md: paste COMMAND.markdown() again"
