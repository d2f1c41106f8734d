"""A third-party face (``tests/example_face``), found through the ``fakeiot`` entry-point group,
works with every part of fakeiot with no edit to fakeiot itself."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

import fakeiot
from fakeiot import _platform
from tests import example_face

SENSORS = "https://thermo.example/thermo/v1/sensors"


@pytest.fixture
def installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The example face installed as a distribution declaring a ``fakeiot`` entry point."""
    dist = tmp_path / "fakeiot_thermo-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: fakeiot-thermo\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[fakeiot]\nthermo = tests.example_face\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(_platform, "_entry_point_plugins", None)
    yield
    monkeypatch.setattr(_platform, "_entry_point_plugins", None)


def create(key: str, serial: str = "ABC123", **extra: object) -> requests.Response:
    return requests.post(
        SENSORS, json={"serial": serial, "label": "kitchen", **extra}, headers={"X-Api-Key": key}
    )


@pytest.mark.usefixtures("installed")
def test_an_installed_face_joins_every_new_platform() -> None:
    platform = fakeiot.Platform(seed=0)
    assert isinstance(platform.face("thermo"), example_face.Thermo)
    names = {route.name for route in platform.routes if route.face == "thermo"}
    assert names == {
        "thermo.create_sensor",
        "thermo.list_sensors",
        "thermo.get_sensor",
        "thermo.retire_sensor",
        "thermo.delete_sensor",
    }


@pytest.mark.usefixtures("installed")
def test_the_face_takes_its_own_settings_by_name() -> None:
    platform = fakeiot.Platform(seed=0, thermo_max_sensors=1, flow_control_limit=5)
    assert platform.face("thermo").options.thermo_max_sensors == 1
    assert platform.settings.flow_control_limit == 5
    with pytest.raises(fakeiot.UnknownSettingError, match="thermo_max_sensor"):
        fakeiot.Platform(thermo_max_sensor=1)


@pytest.mark.usefixtures("installed")
def test_the_face_answers_under_mock_with_its_errors_and_settings() -> None:
    platform = fakeiot.Platform(seed=0, thermo_max_sensors=1)
    key = example_face.of(platform).create_account()
    with fakeiot.mock(platform):
        created = create(key)
        assert created.status_code == 201
        assert created.json()["state"] == "active"
        assert create(key, serial="ZZZ999").json() == {
            "error": {"code": "quota_exceeded", "message": "The account's sensor quota is used up."}
        }
        refused = create(key, serial="lower")
        assert refused.status_code == 422
        assert create("wrong-key").status_code == 401
    assert platform.calls[-2].detail == "INVALID: body field serial: must match [A-Z0-9]{6,16}"


@pytest.mark.usefixtures("installed")
def test_the_face_lifecycle_is_data_and_refuses_illegal_moves() -> None:
    platform = fakeiot.Platform(seed=0)
    key = example_face.of(platform).create_account()
    with fakeiot.mock(platform):
        sensor = create(key).json()["sensorId"]
        retire = f"{SENSORS}/{sensor}/retire"
        assert requests.post(retire, headers={"X-Api-Key": key}).status_code == 204
        again = requests.post(retire, headers={"X-Api-Key": key})
        assert again.json()["error"]["code"] == "sensor_retired"
    assert [e.kind for e in platform.events] == ["create", "retire"]
    assert "| `retire` | active | retired |" in example_face.LIFECYCLE.markdown()
    with pytest.raises(fakeiot.InvariantError, match="illegal sensor transition"):
        example_face.LIFECYCLE.step(example_face.SensorState.RETIRED, "retire")


@pytest.mark.usefixtures("installed")
def test_the_face_is_served_over_http() -> None:
    platform = fakeiot.Platform(seed=0)
    key = example_face.of(platform).create_account()
    with fakeiot.Server(platform) as server:
        url = f"{server.url}/thermo/v1/sensors"
        created = requests.post(
            url, json={"serial": "ABC123", "label": "x"}, headers={"X-Api-Key": key}
        )
        listed = requests.get(url, params={"limit": 5}, headers={"X-Api-Key": key})
    assert created.status_code == 201
    assert listed.json()["total"] == 1


@pytest.mark.usefixtures("installed")
def test_the_face_appears_in_the_openapi_document() -> None:
    from fakeiot.serve import _openapi

    document = _openapi.document(fakeiot.Platform(seed=0))
    operation = document["paths"]["/thermo/v1/sensors"]["post"]
    assert "201" in operation["responses"]
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    assert body["required"] == ["serial", "label"]
    assert body["properties"]["serial"]["pattern"] == "^(?:[A-Z0-9]{6,16})$"
    assert body["properties"]["interval"] == {
        "type": ["integer", "null"],
        "minimum": 10,
        "maximum": 3600,
    }
    success = operation["responses"]["201"]["content"]["application/json"]["schema"]
    assert success["required"] == ["interval", "label", "sensorId", "serial", "state"]
    assert operation["security"] == [{"thermo.apiKey": []}]
    assert document["components"]["securitySchemes"]["thermo.apiKey"]["name"] == "X-Api-Key"
    listing = document["paths"]["/thermo/v1/sensors"]["get"]
    limit = next(p for p in listing["parameters"] if p["name"] == "limit")
    assert limit["schema"] == {"type": "integer", "minimum": 1, "maximum": 100}
    assert {t["name"] for t in document["tags"]} >= {"thermo", "oceanconnect", "enos"}
