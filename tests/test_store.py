"""The SQLite state store: it holds exactly the platform's state after every request, writes
only what a request touched, migrates a version-1 JSON file once, and a commit that fails is
neither acknowledged nor applied."""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from pathlib import Path
from typing import Any, cast

import pytest

import fakeiot
from fakeiot.serve import _state
from fakeiot.serve._store import Change, Store, read_document
from tests.enos import EnosClient
from tests.oc import IMEI, REGISTER, OcClient


class Through:
    """The platform as a test client sees it through a server (``Server.respond``)."""

    def __init__(self, server: fakeiot.Server) -> None:
        self._server = server

    def handle(self, request: fakeiot.HttpRequest) -> fakeiot.HttpResponse:
        return self._server.respond(request)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._server.platform, name)


def stored(store: Store) -> dict[str, Any]:
    assert store._connection is not None
    return read_document(store._connection)


def held(platform: fakeiot.Platform) -> dict[str, Any]:
    return _state.dump(platform)


def same_state(store: Store, platform: fakeiot.Platform) -> None:
    """What the store holds, loaded into a new platform, is the platform's state."""
    document, expected = stored(store), held(platform)
    loaded = fakeiot.Platform(seed=platform.seed, clock=fakeiot.ManualClock())
    _state.load(loaded, document)
    assert held(loaded)["faces"] == expected["faces"]
    assert document["ids"] == expected["ids"]


def spy_on_commits(store: Store) -> list[Change]:
    """The changes ``store`` commits from now on."""
    committed: list[Change] = []
    commit = store.commit

    def spy(change: Change) -> None:
        committed.append(change)
        commit(change)

    store.commit = spy  # type: ignore[method-assign]
    return committed


@pytest.fixture
def server(tmp_path: Path) -> fakeiot.Server:
    platform = fakeiot.Platform(seed=3, clock=fakeiot.ManualClock(), flow_control_limit=None)
    server = fakeiot.Server(platform, state_file=tmp_path / "state.db")
    server.load_state()
    return server


def test_the_store_holds_the_platform_state_after_every_request(server: fakeiot.Server) -> None:
    platform = server.platform
    store = server.store
    assert store is not None
    oc = OcClient(cast(fakeiot.Platform, Through(server)))
    server.save_state()  # the app created from Python
    same_state(store, platform)
    ids = [oc.register_ok(f"{IMEI[:-1]}{i}", timeout=60) for i in range(4)]
    same_state(store, platform)
    assert oc.call("DELETE", f"/iocm/app/dm/v1.4.0/devices/{ids[1]}").status == 204
    same_state(store, platform)
    json_type = {"Content-Type": "application/json"}
    connect = fakeiot.HttpRequest(
        "POST",
        "/_fakeiot/api/oceanconnect/devices/connect",
        headers=json_type,
        body=b'{"nodeId": "861234567890120"}',
    )
    assert server.respond(connect).status == 200
    same_state(store, platform)
    advance = fakeiot.HttpRequest(
        "POST", "/_fakeiot/api/clock/advance", headers=json_type, body=b'{"seconds": 61}'
    )
    assert server.respond(advance).status == 200  # the other verify codes expire
    same_state(store, platform)

    enos = EnosClient(cast(fakeiot.Platform, Through(server)))
    server.save_state()
    product = enos.create_product()
    device = enos.create_device(product)
    same_state(store, platform)
    platform.enos.login_device(product, device["deviceKey"], device["deviceSecret"])
    server.save_state()  # a device-side change made from Python
    same_state(store, platform)
    assert enos.devices("delete", assetId=device["assetId"])["code"] == 0
    same_state(store, platform)

    reset = server.respond(fakeiot.HttpRequest("PUT", "/_fakeiot/api/state", body=b"{}"))
    assert reset.status == 400  # refused: nothing changes
    same_state(store, platform)


def test_a_registration_writes_only_what_it_touched(server: fakeiot.Server) -> None:
    store = server.store
    assert store is not None
    oc = OcClient(server.platform)  # straight to the platform: the store sees nothing yet
    for i in range(300):
        oc.register_ok(f"node-{i}")
    with server.platform.lock:
        full = store.collect(server.platform)
    assert full is not None
    assert len(full.rows) > 300
    store.commit(full)
    oc.platform = cast(fakeiot.Platform, Through(server))
    committed = spy_on_commits(store)
    response = oc.call("POST", REGISTER, {"nodeId": "one-more"})
    assert response.status == 200
    # one device row and the face's remainder (its device counter); the ids in the meta table
    [change] = committed
    assert sorted((face, section) for face, section, _, _ in change.rows) == [
        ("oceanconnect", ""),
        ("oceanconnect", "devices"),
    ]
    assert set(change.meta) == {"ids"}


def test_a_version_1_json_state_file_is_migrated_once_and_kept(tmp_path: Path) -> None:
    source = fakeiot.Platform(seed=1)
    OcClient(source).register_ok(IMEI)
    path = tmp_path / "state.json"
    _state.save(source, path)
    original = path.read_bytes()

    platform = fakeiot.Platform(seed=1)
    notes = Store(path).open(platform)
    assert any("migrated" in note for note in notes)
    assert path.read_bytes().startswith(b"SQLite format 3")
    assert (tmp_path / "state.json.v1.json").read_bytes() == original
    assert [d.node_id for d in platform.oceanconnect.devices()] == [IMEI]
    again = fakeiot.Platform(seed=1)
    assert not Store(path).open(again)  # nothing to migrate the second time
    assert held(again)["faces"] == held(platform)["faces"]


def test_orphaned_temporary_files_are_removed_at_start(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    orphan = tmp_path / ".state.db.new"
    orphan.write_bytes(b"half a store")
    notes = Store(path).open(fakeiot.Platform())
    assert not orphan.exists()
    assert any(".state.db.new" in note for note in notes)


def test_a_commit_that_fails_is_undone_and_answered_with_the_faces_internal_error(
    server: fakeiot.Server, capsys: pytest.CaptureFixture[str]
) -> None:
    store = server.store
    assert store is not None
    assert store._connection is not None
    oc = OcClient(cast(fakeiot.Platform, Through(server)))
    acknowledged = [oc.register_ok(f"before-{i}") for i in range(3)]
    pages = store._connection.execute("PRAGMA page_count").fetchone()[0]
    store._connection.execute(f"PRAGMA max_page_count={pages}")  # the disk is full
    refused = [oc.call("POST", REGISTER, {"nodeId": f"node-{i}"}) for i in range(40)]
    failed = [r for r in refused if r.status != 200]
    assert failed, "the store never filled up"
    assert {(r.status, r.json_body()["error_code"]) for r in failed} == {(500, "100001")}
    assert store.failing is not None
    same_state(store, server.platform)  # memory holds only what was committed
    log = capsys.readouterr().err
    assert "not acknowledged" in log
    assert "cannot commit" in log
    assert "secret=" not in log

    assert server.respond(fakeiot.HttpRequest("GET", "/_fakeiot/api/clock")).status == 200
    store._connection.execute("PRAGMA max_page_count=1073741823")  # space again
    assert oc.call("POST", REGISTER, {"nodeId": "after"}).status == 200
    assert store.failing is None
    nodes = {d.node_id for d in server.platform.oceanconnect.devices()}
    assert set(acknowledged) <= {d.device_id for d in server.platform.oceanconnect.devices()}
    assert "after" in nodes
    same_state(store, server.platform)


def test_export_and_import_commands_round_trip(tmp_path: Path) -> None:
    from fakeiot._cli import main

    path = tmp_path / "state.db"
    platform = fakeiot.Platform(seed=2)
    server = fakeiot.Server(platform, state_file=path)
    server.load_state()
    OcClient(cast(fakeiot.Platform, Through(server))).register_ok(IMEI)
    server.stop()
    assert main(["export", "--state", str(path), str(tmp_path / "out.json")]) == 0
    exported = json.loads((tmp_path / "out.json").read_text())
    assert [d["node_id"] for d in exported["faces"]["oceanconnect"]["devices"]] == [IMEI]
    copy = tmp_path / "copy.db"
    assert main(["import", "--state", str(copy), str(tmp_path / "out.json")]) == 0
    connection = sqlite3.connect(copy)
    assert read_document(connection)["faces"] == exported["faces"]
    connection.close()


def test_a_login_writes_its_tokens_not_every_token_issued_before(server: fakeiot.Server) -> None:
    store = server.store
    assert store is not None
    oc = OcClient(cast(fakeiot.Platform, Through(server)))
    for _ in range(50):
        assert oc.login().status == 200
    committed = spy_on_commits(store)
    assert oc.login().status == 200
    [change] = committed
    # the new access and refresh tokens (each deleted, then inserted at the end), the app's
    # previous access token deleted (single_token_per_app), the app's remainder row
    assert Counter(section for _, section, _, _ in change.rows) == {
        "": 1,
        "map:tokens": 3,
        "map:refreshTokens": 2,
    }
    assert len(server.platform.oceanconnect.state.refresh_tokens) == 52  # OcClient logs in too
    same_state(store, server.platform)


def test_a_map_is_rebuilt_in_its_order_after_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    platform = fakeiot.Platform(seed=4, clock=fakeiot.ManualClock(), flow_control_limit=None)
    server = fakeiot.Server(platform, state_file=path)
    server.load_state()
    oc = OcClient(cast(fakeiot.Platform, Through(server)))
    for node in ("n-1", "n-2", "n-1"):  # n-1 is buried twice: its tombstone moves to the end
        device = oc.register_ok(node)
        assert oc.call("DELETE", f"/iocm/app/dm/v1.4.0/devices/{device}").status == 204
    assert list(platform.oceanconnect.state.tombstones) == ["n-2", "n-1"]
    server.stop()
    again = fakeiot.Platform(seed=4, clock=fakeiot.ManualClock())
    Store(path).open(again)
    assert list(again.oceanconnect.state.tombstones) == ["n-2", "n-1"]
    assert held(again)["faces"] == held(platform)["faces"]


def test_a_replaced_state_writes_its_maps_whole(server: fakeiot.Server) -> None:
    store = server.store
    assert store is not None
    oc = OcClient(cast(fakeiot.Platform, Through(server)))
    assert oc.login().status == 200
    other = fakeiot.Platform(seed=9)
    OcClient(other).login()
    body = json.dumps(_state.dump(other)).encode()
    put = fakeiot.HttpRequest(
        "PUT", "/_fakeiot/api/state", headers={"Content-Type": "application/json"}, body=body
    )
    assert server.respond(put).status == 200
    same_state(store, server.platform)
    assert stored(store)["faces"]["oceanconnect"]["tokens"].keys() == set(
        other.oceanconnect.state.tokens
    )


def test_a_schema_2_store_is_rewritten_once(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    source = fakeiot.Platform(seed=5)
    client = OcClient(source)
    client.register_ok(IMEI)
    assert client.login().status == 200
    server = fakeiot.Server(source, state_file=path)
    server.load_state()
    server.save_state()
    server.stop()
    # schema 2 kept the maps in the face's remainder row and the ids as a JSON array
    connection = sqlite3.connect(path)
    maps: dict[str, dict[str, Any]] = {}
    for section, key, value in connection.execute(
        "SELECT section, key, value FROM entities WHERE section LIKE 'map:%' ORDER BY rowid"
    ):
        maps.setdefault(section[4:], {})[key] = json.loads(value)
    [rest] = connection.execute(
        "SELECT value FROM entities WHERE face='oceanconnect' AND section=''"
    ).fetchone()
    with connection:
        connection.execute("DELETE FROM entities WHERE section LIKE 'map:%'")
        connection.execute(
            "UPDATE entities SET value=? WHERE face='oceanconnect' AND section=''",
            (json.dumps({**json.loads(rest), **maps}),),
        )
        connection.execute("UPDATE meta SET value='2' WHERE key='schema'")
        connection.execute(
            "UPDATE meta SET value=? WHERE key='ids'", (json.dumps(source.ids.getstate()),)
        )
    connection.close()

    platform = fakeiot.Platform(seed=5)
    notes = Store(path).open(platform)
    assert any("from schema 2 to 3" in note for note in notes)
    assert held(platform)["faces"] == held(source)["faces"]
    assert platform.ids.getstate() == source.ids.getstate()
    again = fakeiot.Platform(seed=5)
    assert not Store(path).open(again)  # rewritten: nothing to do the second time
    assert held(again)["faces"] == held(source)["faces"]


def test_a_malformed_meta_table_is_refused_with_a_message(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    Store(path).open(fakeiot.Platform(seed=6))
    connection = sqlite3.connect(path)
    with connection:
        connection.execute("UPDATE meta SET value='[3, \"not base64!\", null]' WHERE key='ids'")
    connection.close()
    with pytest.raises(fakeiot.UsageError, match="id generator state"):
        Store(path).open(fakeiot.Platform(seed=6))


class Checked(Through):
    """Through the server, and the store checked against the platform after every request."""

    def handle(self, request: fakeiot.HttpRequest) -> fakeiot.HttpResponse:
        response = super().handle(request)
        store = self._server.store
        assert store is not None
        same_state(store, self._server.platform)
        return response


def test_iotda_requests_write_the_devices_they_touched(server: fakeiot.Server) -> None:
    from tests.iotda import IoClient

    io = IoClient(cast(fakeiot.Platform, Checked(server)))
    server.save_state()  # the project, created from Python
    product = io.product()
    gateway = io.device(product, "gw", auth_info={"secret": "s3cret-gw", "timeout": 300})
    gid = gateway["device_id"]
    child = io.device(product, "child", gateway_id=gid)["device_id"]  # the gateway's count
    io.ok("PUT", f"/devices/{gid}", {"device_name": "renamed", "description": "d"})
    shadow = {"shadow": [{"service_id": "Temp", "desired": {"target": 21}}]}
    io.ok("PUT", f"/devices/{gid}/shadow", shadow)
    tags = {"resource_type": "device", "resource_id": gid, "tags": [{"tag_key": "site"}]}
    io.ok("POST", "/tags/bind-resource", tags)
    group = io.ok("POST", "/device-group", {"name": "north"})["group_id"]
    for action in ("addDevice", "removeDevice", "addDevice"):
        io.call(
            "POST",
            f"/device-group/{group}/action",
            query={"action_id": action, "device_id": gid},
        )
    io.ok("DELETE", f"/device-group/{group}")  # the member's group list
    io.ok("POST", f"/devices/{gid}/async-commands", {"paras": {}, "send_strategy": "delay"})
    io.ok("POST", f"/devices/{gid}/messages", {"message": "hi", "message_id": "m1"})
    io.ok(
        "POST",
        f"/devices/{gid}/action",
        {"secret": "s3cret-new"},
        query={"action_id": "resetSecret"},
    )
    sim = server.platform.iotda.simulate(gid, "s3cret-new")
    sim.connect()  # the device side, from Python: the store learns of it at the next save
    server.save_state()
    same_state(cast(Store, server.store), server.platform)
    io.ok("POST", f"/devices/{gid}/freeze")
    io.ok("POST", f"/devices/{gid}/unfreeze")
    io.ok("DELETE", f"/devices/{child}")  # the gateway's count again
    io.ok("DELETE", f"/devices/{gid}")
    late = io.device(product, "late", auth_info={"secret": "s3cret-late", "timeout": 60})
    advance = fakeiot.HttpRequest(
        "POST",
        "/_fakeiot/api/clock/advance",
        headers={"Content-Type": "application/json"},
        body=b'{"seconds": 61}',
    )
    assert server.respond(advance).status == 200  # the registration timeout deletes it
    same_state(cast(Store, server.store), server.platform)
    assert late["device_id"] not in server.platform.iotda.state.devices
    assert server.platform.iotda.devices() == []


def test_an_enos_delete_writes_its_tombstone_not_every_one_before(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    platform = fakeiot.Platform(seed=8, clock=fakeiot.ManualClock(), flow_control_limit=None)
    server = fakeiot.Server(platform, state_file=path)
    server.load_state()
    store = server.store
    assert store is not None
    enos = EnosClient(cast(fakeiot.Platform, Through(server)))
    server.save_state()
    product = enos.create_product()
    assets = [enos.create_device(product, deviceKey=f"dev-{i}")["assetId"] for i in range(21)]
    for asset in assets[:20]:
        assert enos.devices("delete", assetId=asset)["code"] == 0
    committed = spy_on_commits(store)
    assert enos.devices("delete", assetId=assets[20])["code"] == 0
    [change] = committed
    sections = Counter(section for _, section, _, _ in change.rows)
    assert sections["list:gone"] == 2  # the new tombstone: deleted (if there), inserted
    assert sections["devices"] == 1
    assert len(platform.enos.state.gone) == 21
    same_state(store, platform)
    server.stop()
    again = fakeiot.Platform(seed=8, clock=fakeiot.ManualClock())
    Store(path).open(again)
    assert list(again.enos.state.gone) == list(platform.enos.state.gone)


def test_an_iotda_deadline_is_written_as_it_comes_and_goes(server: fakeiot.Server) -> None:
    from tests.iotda import IoClient

    store = server.store
    assert store is not None
    io = IoClient(cast(fakeiot.Platform, Through(server)))
    server.save_state()
    device = io.device(io.product())["device_id"]
    commands = f"/devices/{device}/async-commands"
    for _ in range(5):
        io.ok("POST", commands, {"paras": {}, "send_strategy": "delay", "expire_time": 60})
    committed = spy_on_commits(store)
    io.ok("POST", commands, {"paras": {}, "send_strategy": "delay", "expire_time": 60})
    [change] = committed
    deadline_rows = [row for row in change.rows if row[1] == "list:deadlines"]
    assert len(deadline_rows) == 2  # the new deadline (deleted if there, inserted): not all 6
    assert len(server.platform.iotda.state.deadlines) == 6
    advance = fakeiot.HttpRequest(
        "POST",
        "/_fakeiot/api/clock/advance",
        headers={"Content-Type": "application/json"},
        body=b'{"seconds": 61}',
    )
    assert server.respond(advance).status == 200  # every command expires
    assert server.platform.iotda.state.deadlines == []
    same_state(store, server.platform)
    assert stored(store)["faces"]["iotda"]["deadlines"] == []
