"""An example third-party face: "Thermo Cloud", a tiny vendor API for temperature sensors.

It is what ``docs/adding-a-face.md`` walks through, and it uses nothing but fakeiot's public
extension points: :class:`fakeiot.Face`, :func:`fakeiot.route`, ``fakeiot.schema`` declarations,
a lifecycle as data, its own error table and settings, and a ``fakeiot_add_faces`` hook found
through the ``fakeiot`` entry-point group. fakeiot itself knows nothing about it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Annotated, Any, ClassVar, Literal, NamedTuple, TypedDict

import fakeiot
from fakeiot import Lifecycle, Transition
from fakeiot.schema import Request, body, path, query

PREFIX = "/thermo/v1"


class Row(NamedTuple):
    status: int
    code: str
    message: str


class ThermoError(enum.Enum):
    """Every error Thermo Cloud answers with: ``{"error": {"code", "message"}}``."""

    UNAUTHORIZED = Row(401, "unauthorized", "A valid X-Api-Key header is required.")
    INVALID = Row(422, "invalid_request", "The request is invalid.")
    SENSOR_NOT_FOUND = Row(404, "sensor_not_found", "No such sensor.")
    SERIAL_TAKEN = Row(409, "serial_taken", "A sensor with this serial exists.")
    QUOTA = Row(403, "quota_exceeded", "The account's sensor quota is used up.")
    RETIRED = Row(409, "sensor_retired", "The sensor is retired.")


class SensorState(enum.Enum):
    ACTIVE = "active"
    RETIRED = "retired"
    DELETED = "deleted"

    def __str__(self) -> str:
        return self.value


LIFECYCLE = Lifecycle(
    "sensor",
    (
        Transition("create", frozenset({None}), SensorState.ACTIVE, "the account adds a sensor"),
        Transition(
            "retire", frozenset({SensorState.ACTIVE}), SensorState.RETIRED, "taken out of use"
        ),
        Transition(
            "delete",
            frozenset({SensorState.ACTIVE, SensorState.RETIRED}),
            SensorState.DELETED,
            "the account deletes the sensor",
        ),
    ),
)


@dataclass(frozen=True, slots=True)
class ThermoSettings:
    """Thermo Cloud's own settings: ``Platform(thermo_max_sensors=2)``."""

    thermo_max_sensors: int | None = None


@dataclass
class Sensor:
    sensor_id: str
    account: str
    serial: str
    label: str
    interval: int
    state: SensorState = SensorState.ACTIVE


@dataclass
class ThermoState:
    accounts: dict[str, str] = field(default_factory=dict)  # api key -> account name
    sensors: dict[str, Sensor] = field(default_factory=dict)


# -- inputs and answers -------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class CreateSensor(Request):
    serial: Annotated[str, body(pattern=r"[A-Z0-9]{6,16}", max_len=16)]
    label: Annotated[str, body(min_len=1, max_len=64)]
    interval: Annotated[int, body(low=10, high=3600)] = 60
    unit: Annotated[Literal["C", "F"] | None, body()] = None


@dataclass(frozen=True, slots=True)
class ListSensors(Request):
    limit: Annotated[int | None, query(low=1, high=100)] = None
    state: Annotated[Literal["active", "retired"] | None, query()] = None


@dataclass(frozen=True, slots=True)
class OneSensor(Request):
    sensor_id: Annotated[str, path(name="sensorId", max_len=32)]


class SensorAnswer(TypedDict):
    sensorId: str
    serial: str
    label: str
    interval: int
    state: str


class SensorList(TypedDict):
    sensors: list[SensorAnswer]
    total: int


# -- the face -----------------------------------------------------------------------------------
class Thermo(fakeiot.Face):
    """Thermo Cloud: temperature sensors behind an API key (an example third-party face)."""

    name: ClassVar[str] = "thermo"
    errors: ClassVar[type[ThermoError]] = ThermoError
    invalid: ClassVar[dict[str, ThermoError]] = {"*": ThermoError.INVALID}
    settings_class: ClassVar[type | None] = ThermoSettings
    lifecycle: ClassVar[Lifecycle] = LIFECYCLE
    security_schemes: ClassVar[dict[str, dict[str, Any]]] = {
        "key": {"thermo.apiKey": {"type": "apiKey", "in": "header", "name": "X-Api-Key"}}
    }

    def __init__(self, platform: Any) -> None:
        super().__init__(platform)
        self.state: ThermoState = ThermoState()

    # test-side set-up
    def create_account(self, name: str = "acme", api_key: str | None = None) -> str:
        """Open an account; returns its API key."""
        with self.platform.operation():
            key = api_key or self.platform.ids.hex(32)
            self.state.accounts[key] = name
            return key

    # wire plumbing
    def authenticate(self, scheme: str, request: fakeiot.HttpRequest) -> str:
        account = self.state.accounts.get(request.headers.get("x-api-key", ""))
        if account is None:
            raise fakeiot.ApiError(ThermoError.UNAUTHORIZED, "unknown or missing X-Api-Key")
        return account

    def render_error(self, error: fakeiot.ApiError, route: Any) -> fakeiot.HttpResponse:
        row: Row = error.error.value
        payload = {"error": {"code": row.code, "message": row.message}}
        return fakeiot.HttpResponse.json(row.status, payload)

    def _sensor(self, account: str, sensor_id: str) -> Sensor:
        sensor = self.state.sensors.get(sensor_id)
        if sensor is None or sensor.account != account:
            raise fakeiot.ApiError(ThermoError.SENSOR_NOT_FOUND, f"no sensor {sensor_id!r}")
        return sensor

    def _move(self, sensor: Sensor, transition: str) -> None:
        sensor.state = LIFECYCLE.step(sensor.state, transition)
        self.platform.emit(self.name, transition, sensor.sensor_id, {"state": str(sensor.state)})

    @staticmethod
    def _wire(sensor: Sensor) -> SensorAnswer:
        return {
            "sensorId": sensor.sensor_id,
            "serial": sensor.serial,
            "label": sensor.label,
            "interval": sensor.interval,
            "state": str(sensor.state),
        }

    # routes
    @fakeiot.route("POST", f"{PREFIX}/sensors", auth="key", status=201)
    def _create_sensor(self, account: str, req: CreateSensor) -> SensorAnswer:
        """Add a sensor to the account."""
        mine = [s for s in self.state.sensors.values() if s.account == account]
        if any(s.serial == req.serial for s in self.state.sensors.values()):
            raise fakeiot.ApiError(ThermoError.SERIAL_TAKEN, f"serial {req.serial} exists")
        quota = self.options.thermo_max_sensors
        if quota is not None and len(mine) >= quota:
            raise fakeiot.ApiError(ThermoError.QUOTA, f"thermo_max_sensors={quota}")
        sensor = Sensor(self.platform.ids.hex(12), account, req.serial, req.label, req.interval)
        self.state.sensors[sensor.sensor_id] = sensor
        self.platform.emit(self.name, "create", sensor.sensor_id, {"serial": req.serial})
        return self._wire(sensor)

    @fakeiot.route("GET", f"{PREFIX}/sensors", auth="key")
    def _list_sensors(self, account: str, req: ListSensors) -> SensorList:
        """The account's sensors, oldest first."""
        found = [
            self._wire(s)
            for s in self.state.sensors.values()
            if s.account == account and (req.state is None or str(s.state) == req.state)
        ]
        return {"sensors": found[: req.limit or 50], "total": len(found)}

    @fakeiot.route("GET", f"{PREFIX}/sensors/{{sensorId}}", auth="key")
    def _get_sensor(self, account: str, req: OneSensor) -> SensorAnswer:
        """One sensor."""
        return self._wire(self._sensor(account, req.sensor_id))

    @fakeiot.route(
        "POST", f"{PREFIX}/sensors/{{sensorId}}/retire", auth="key", status=204, media_type=None
    )
    def _retire_sensor(self, account: str, req: OneSensor) -> None:
        """Take a sensor out of use (only an active one)."""
        sensor = self._sensor(account, req.sensor_id)
        if sensor.state is not SensorState.ACTIVE:
            raise fakeiot.ApiError(ThermoError.RETIRED, f"sensor {sensor.sensor_id} is retired")
        self._move(sensor, "retire")

    @fakeiot.route(
        "DELETE", f"{PREFIX}/sensors/{{sensorId}}", auth="key", status=204, media_type=None
    )
    def _delete_sensor(self, account: str, req: OneSensor) -> None:
        """Delete a sensor."""
        sensor = self._sensor(account, req.sensor_id)
        self._move(sensor, "delete")
        del self.state.sensors[sensor.sensor_id]


@fakeiot.hookimpl
def fakeiot_add_faces(platform: Any) -> list[Thermo]:
    return [Thermo(platform)]


def of(platform: fakeiot.Platform) -> Thermo:
    """``platform``'s Thermo face, typed."""
    face = platform.face("thermo")
    assert isinstance(face, Thermo)
    return face
