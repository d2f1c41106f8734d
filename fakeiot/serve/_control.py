"""The control API under ``/_fakeiot/``: the device side and the platform's controls over HTTP,
for developers and non-Python clients driving ``fakeiot serve``.

It belongs to the serve layer, not to the platform: ``fakeiot serve``, ``fakeiot.Server`` and the
``fakeiot_server`` fixture answer it in front of the platform's faces; ``mock()``, ``Adapter``,
``HttpxTransport`` and ``wsgi_app`` never do. It answers plain JSON, ``{"error": ...,
"detail": ...}`` on failure, and its calls are not recorded in ``platform.calls``. Every JSON key
is camelCase, like the vendors' (``deviceId``, ``appId``). When a ``token`` is set (``fakeiot
serve`` always sets one beyond loopback) every call must carry ``Authorization: Bearer <token>``
or ``X-Fakeiot-Token: <token>``.
"""

from __future__ import annotations

import enum
import hmac
import inspect
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple

from .._clock import ManualClock
from .._errors import ApiError, ConnectRefused, NotFoundError, UsageError
from .._face import Face
from .._http import HttpRequest, HttpResponse, is_encodable, loads_strict
from .._routes import Route, RouteTable, route
from . import _openapi, _state

if TYPE_CHECKING:
    from .._platform import Platform
    from .._records import Call

API = "/_fakeiot/api"


class Problem(NamedTuple):
    status: int
    error: str


class ControlError(enum.Enum):
    """The control API's errors."""

    BAD_REQUEST = Problem(400, "bad_request")
    UNAUTHORIZED = Problem(401, "unauthorized")
    FORBIDDEN = Problem(403, "forbidden")
    NOT_FOUND = Problem(404, "not_found")
    REFUSED = Problem(409, "refused")
    CONFLICT = Problem(409, "conflict")
    UNAVAILABLE = Problem(503, "storage_unavailable")


E = ControlError


def camel(name: str) -> str:
    """``device_id`` -> ``deviceId``: the control API's one naming convention."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _view(value: Any) -> Any:
    """A dataclass view as JSON-ready data: camelCase keys, enums by value."""
    if hasattr(value, "__dataclass_fields__"):
        return {camel(k): _view(getattr(value, k)) for k in value.__dataclass_fields__}
    if isinstance(value, enum.Enum):
        return value.value
    return value


class Control(Face):
    """``/_fakeiot/...``: control the platform over HTTP."""

    name: ClassVar[str] = "control"
    errors: ClassVar[type[ControlError]] = ControlError
    #: none: the dashboard and control API are served over HTTP only, never in-process
    prefixes: ClassVar[tuple[str, ...]] = ()

    platform: Platform  # the control API sees the whole platform (it is not a vendor face)

    def __init__(self, platform: Platform) -> None:
        super().__init__(platform)
        self.token: str | None = None
        self._initial: dict[str, Any] | None = None
        #: a request replaced the whole state (reset, PUT state): the store rewrites it all
        self._replaced = False
        #: the Host names this server answers to (``None``: any, as in-process); set by Server
        self.hosts: frozenset[str] | None = None
        #: the control API's own routes (never in the platform's table)
        self.routes = RouteTable()
        self.routes.add_face(self.name, self)

    def handle(self, request: HttpRequest) -> HttpResponse | None:
        """Answer ``request`` if it is a control-API route, else ``None`` (the faces' turn)."""
        matched = self.routes.match(request)
        if matched is None:
            return None
        found, params = matched
        with self.platform.operation():
            try:
                self._same_site(request)
                return self.routes.handler(found)(request, params)
            except ApiError as error:
                return self.render_error(error, found)

    def _same_site(self, request: HttpRequest) -> None:
        """Act only for the person at the keyboard: refuse a foreign ``Host`` (DNS rebinding),
        a foreign ``Origin``, and a POST a cross-site form or ``no-cors`` fetch could send."""
        hosts = self.hosts
        if hosts is not None:
            host = _hostname(request.host)
            if host not in hosts:
                raise ApiError(
                    E.FORBIDDEN,
                    f"Host {request.host!r} is not a name of this server; start `fakeiot serve "
                    "--public-host NAME` to serve the control API under another name",
                )
            origin = request.headers.get("origin")
            if origin is not None and _hostname(origin.partition("://")[2]) not in hosts:
                raise ApiError(E.FORBIDDEN, f"cross-origin request from {origin!r} refused")
        if request.method == "POST":
            media = request.headers.get("content-type", "").partition(";")[0].strip().lower()
            custom = any(k.startswith("x-fakeiot-") for k in request.headers)
            if media != "application/json" and not custom:
                raise ApiError(
                    E.FORBIDDEN,
                    "a POST to the control API needs Content-Type: application/json "
                    "(or an X-Fakeiot-* header): a cross-site form cannot send either",
                )

    # -- plumbing -------------------------------------------------------------------------------
    def render_error(self, error: ApiError, route: Route) -> HttpResponse:
        problem = error.error.value
        body = {"error": problem.error, "detail": error.detail, **error.context}
        return HttpResponse.json(problem.status, body, route.name)

    def _guard(self, request: HttpRequest) -> None:
        if self.token is None:
            return
        headers = request.headers
        given = headers.get("x-fakeiot-token") or headers.get("authorization", "")
        given = given.removeprefix("Bearer ").removeprefix("bearer ")
        if not hmac.compare_digest(given.encode(), self.token.encode()):
            raise ApiError(E.UNAUTHORIZED, "this server requires its control token")

    def _body(self, request: HttpRequest) -> dict[str, Any]:
        if not request.body.strip():
            return {}
        try:
            body = loads_strict(request.body)
        except (ValueError, RecursionError):
            raise ApiError(E.BAD_REQUEST, "the body is not JSON") from None
        if not isinstance(body, dict):
            raise ApiError(E.BAD_REQUEST, "the body must be a JSON object")
        return body

    @staticmethod
    def _text(body: dict[str, Any], key: str, *, required: bool = True) -> str | None:
        value = body.get(key)
        if value is None:
            if required:
                raise ApiError(E.BAD_REQUEST, f"{key} is required")
            return None
        if not isinstance(value, str) or not value or len(value) > 256 or not is_encodable(value):
            raise ApiError(E.BAD_REQUEST, f"{key} must be a string of 1 to 256 characters")
        return value

    @classmethod
    def _optional(cls, body: dict[str, Any], **keys: str) -> dict[str, str | None]:
        """Optional text fields: ``{argument: body[key]}`` for ``argument=key``."""
        return {name: cls._text(body, key, required=False) for name, key in keys.items()}

    def _ok(self, route_name: str, payload: Any, status: int = 200) -> HttpResponse:
        return HttpResponse.json(status, payload, route_name)

    def _device_side(self, action: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return action(*args, **kwargs)
        except ConnectRefused as refused:
            raise ApiError(E.REFUSED, str(refused), reason=refused.reason) from None
        except NotFoundError as missing:
            raise ApiError(E.NOT_FOUND, str(missing)) from None
        except UsageError as misuse:
            raise ApiError(E.CONFLICT, str(misuse)) from None

    def take_replaced(self) -> bool:
        """Whether a request replaced the whole state since the last call."""
        replaced, self._replaced = self._replaced, False
        return replaced

    def remember_initial_state(self) -> None:
        """What ``POST /_fakeiot/api/reset`` returns to (the state when the server started)."""
        self._initial = _state.dump(self.platform)

    # -- OceanConnect device side and tenants ---------------------------------------------------
    @route("POST", f"{API}/oceanconnect/devices/connect", name="control.oceanconnect_connect")
    def oc_connect(self, request: HttpRequest, params: dict[str, str]) -> HttpResponse:
        """Device side: bind or reconnect the device with ``nodeId`` (``verifyCode`` optional)."""
        self._guard(request)
        body = self._body(request)
        node_id = self._text(body, "nodeId")
        code = self._text(body, "verifyCode", required=False)
        connection = body.get("connection")
        if connection not in (None, "long", "short"):
            raise ApiError(E.BAD_REQUEST, "connection must be 'long' or 'short'")
        view = self._device_side(
            self.platform.oceanconnect.connect_device, node_id, code, connection=connection
        )
        return self._ok("control.oceanconnect_connect", _view(view))

    @route("POST", f"{API}/oceanconnect/devices/disconnect", name="control.oceanconnect_disconnect")
    def oc_disconnect(self, request: HttpRequest, params: dict[str, str]) -> HttpResponse:
        """Device side: the device ``deviceId`` goes offline."""
        self._guard(request)
        device_id = self._text(self._body(request), "deviceId")
        view = self._device_side(self.platform.oceanconnect.disconnect_device, device_id)
        return self._ok("control.oceanconnect_disconnect", _view(view))

    @route("POST", f"{API}/oceanconnect/devices/report", name="control.oceanconnect_report")
    def oc_report(self, request: HttpRequest, params: dict[str, str]) -> HttpResponse:
        """Device side: report ``data`` (an object) for ``serviceId``."""
        self._guard(request)
        body = self._body(request)
        device_id = self._text(body, "deviceId")
        service_id = self._text(body, "serviceId")
        data = body.get("data")
        if not isinstance(data, dict):
            raise ApiError(E.BAD_REQUEST, "data must be an object")
        view = self._device_side(
            self.platform.oceanconnect.report_data, device_id, service_id, data
        )
        return self._ok("control.oceanconnect_report", _view(view))

    @route("GET", f"{API}/oceanconnect/devices", name="control.oceanconnect_devices")
    def oc_devices(self, request: HttpRequest, params: dict[str, str]) -> HttpResponse:
        """Every OceanConnect device as the platform holds it."""
        self._guard(request)
        views = self.platform.oceanconnect.devices()
        return self._ok("control.oceanconnect_devices", [_view(v) for v in views])

    @route("POST", f"{API}/oceanconnect/apps", name="control.oceanconnect_create_app", status=201)
    def oc_create_app(self, request: HttpRequest, params: dict[str, str]) -> HttpResponse:
        """Create an application (``appId``, ``secret``, ``name`` optional)."""
        self._guard(request)
        body = self._body(request)
        fields = self._optional(body, app_id="appId", secret="secret", name="name")
        app = self._device_side(self.platform.oceanconnect.create_app, **fields)
        return self._ok(
            "control.oceanconnect_create_app",
            {"appId": app.app_id, "secret": app.secret, "name": app.name},
            201,
        )

    @route("GET", f"{API}/oceanconnect/apps", name="control.oceanconnect_apps")
    def oc_apps(self, request: HttpRequest, params: dict[str, str]) -> HttpResponse:
        """Every OceanConnect application with its credentials."""
        self._guard(request)
        apps = self.platform.oceanconnect.apps()
        return self._ok(
            "control.oceanconnect_apps",
            [{"appId": a.app_id, "secret": a.secret, "name": a.name} for a in apps],
        )

    @route("GET", f"{API}/oceanconnect/pushes", name="control.oceanconnect_pushes")
    def oc_pushes(self, request: HttpRequest, params: dict[str, str]) -> HttpResponse:
        """Every push notification sent, with its delivery result."""
        self._guard(request)
        pushes = self.platform.oceanconnect.pushes
        return self._ok(
            "control.oceanconnect_pushes",
            [
                {
                    "index": p.index,
                    "time": p.time,
                    "notifyType": p.notify_type,
                    "url": p.url,
                    "body": p.body,
                    "result": p.result,
                    "status": p.status,
                    "error": p.error,
                }
                for p in pushes
            ],
        )

    # -- EnOS device side and tenants -----------------------------------------------------------
    def _face(self, name: str) -> Any:
        """The platform's face ``name``; 404 if the platform has none (a plugin removed it)."""
        try:
            return self.platform.face(name)
        except UsageError:
            raise ApiError(E.NOT_FOUND, f"this platform has no face {name!r}") from None

    def _enos(self) -> Any:
        return self._face("enos")

    @route("POST", f"{API}/enos/devices/login", name="control.enos_login")
    def enos_login(self, request: HttpRequest, params: dict[str, str]) -> HttpResponse:
        """Device side: MQTT login with productKey, deviceKey and deviceSecret."""
        self._guard(request)
        body = self._body(request)
        args = [self._text(body, key) for key in ("productKey", "deviceKey", "deviceSecret")]
        result = self._device_side(self._enos().login_device, *args)
        return self._ok("control.enos_login", _view(result))

    @route("POST", f"{API}/enos/devices/logout", name="control.enos_logout")
    def enos_logout(self, request: HttpRequest, params: dict[str, str]) -> HttpResponse:
        """Device side: the device logs out (offline)."""
        self._guard(request)
        body = self._body(request)
        args = [self._text(body, key) for key in ("productKey", "deviceKey")]
        result = self._device_side(self._enos().logout_device, *args)
        return self._ok("control.enos_logout", _view(result))

    @route("POST", f"{API}/enos/orgs", name="control.enos_create_org", status=201)
    def enos_create_org(self, request: HttpRequest, params: dict[str, str]) -> HttpResponse:
        """Create an EnOS organisation; answers its id and access/secret keys."""
        self._guard(request)
        self._body(request)
        org = self._device_side(self._enos().create_org)
        return self._ok("control.enos_create_org", _view(org), 201)

    @route("POST", f"{API}/iotda/projects", name="control.iotda_create_project", status=201)
    def iotda_create_project(self, request: HttpRequest, params: dict[str, str]) -> HttpResponse:
        """Create an IoTDA project; answers its projectId, AK/SK and instance id."""
        self._guard(request)
        body = self._body(request)
        fields = self._optional(body, project_id="projectId", ak="ak", sk="sk")
        keys = self._device_side(self._face("iotda").create_project, **fields)
        return self._ok("control.iotda_create_project", _view(keys), 201)

    # -- platform controls ----------------------------------------------------------------------
    @route("GET", f"{API}/clock", name="control.clock")
    def clock(self, request: HttpRequest, params: dict[str, str]) -> HttpResponse:
        """The platform's time, and whether the clock is manual."""
        self._guard(request)
        return self._ok(
            "control.clock",
            {
                "now": self.platform.clock.now(),
                "manual": isinstance(self.platform.clock, ManualClock),
            },
        )

    @route("POST", f"{API}/clock/advance", name="control.clock_advance")
    def clock_advance(self, request: HttpRequest, params: dict[str, str]) -> HttpResponse:
        """Move a manual clock forward by ``seconds`` (expiries and ageing apply at once)."""
        self._guard(request)
        seconds = self._body(request).get("seconds")
        if (
            not isinstance(seconds, int | float)
            or isinstance(seconds, bool)
            or not 0 <= seconds <= 10 * 365 * 86400
        ):
            raise ApiError(E.BAD_REQUEST, "seconds must be a number from 0 to ten years")
        if not isinstance(self.platform.clock, ManualClock):
            raise ApiError(E.CONFLICT, "the clock is real; start `fakeiot serve --manual-clock`")
        self.platform.clock.advance(seconds)
        for face in self.platform.faces.values():
            face.tick(self.platform.clock.now())
        return self._ok("control.clock_advance", {"now": self.platform.clock.now()})

    @route("POST", f"{API}/reset", name="control.reset")
    def reset(self, request: HttpRequest, params: dict[str, str]) -> HttpResponse:
        """Return to the state the server started with."""
        self._guard(request)
        if self._initial is None:
            raise ApiError(E.CONFLICT, "no initial state was recorded")
        self._replaced = True
        _state.load(self.platform, self._initial)
        self.platform.calls.clear()
        self.platform.events.clear()
        return self._ok("control.reset", {"reset": True})

    @route("GET", f"{API}/state", name="control.get_state")
    def get_state(self, request: HttpRequest, params: dict[str, str]) -> HttpResponse:
        """The whole state, in the state-file format (docs/serve.md)."""
        self._guard(request)
        return self._ok("control.get_state", _state.dump(self.platform))

    @route("PUT", f"{API}/state", name="control.put_state")
    def put_state(self, request: HttpRequest, params: dict[str, str]) -> HttpResponse:
        """Replace the whole state; a malformed document changes nothing."""
        self._guard(request)
        data = self._body(request)
        before = _state.dump(self.platform)
        self._replaced = True
        try:
            _state.load(self.platform, data)
        except UsageError as exc:
            _state.load(self.platform, before)
            raise ApiError(E.BAD_REQUEST, str(exc)) from None
        return self._ok("control.put_state", {"loaded": True})

    @route("GET", f"{API}/calls", name="control.calls")
    def calls(self, request: HttpRequest, params: dict[str, str]) -> HttpResponse:
        """The most recent calls (``?limit=``, default 50), newest last, secrets cut."""
        self._guard(request)
        text = request.query.get("limit", "50") if request.query_string else "50"
        if not text.isdigit() or not 1 <= int(text) <= 10_000:
            raise ApiError(E.BAD_REQUEST, "limit must be an integer from 1 to 10000")
        recent = _vendor_calls(self.platform, int(text))
        return self._ok("control.calls", [_call_view(c) for c in recent])

    @route("GET", f"{API}/faults", name="control.faults")
    def faults(self, request: HttpRequest, params: dict[str, str]) -> HttpResponse:
        """The faults in force."""
        self._guard(request)
        return self._ok(
            "control.faults",
            [
                {
                    "route": f.route,
                    "fault": f.kind,
                    "skip": f.skip,
                    "times": f.times,
                    "fired": f.fired,
                }
                for f in self.platform.faults
            ],
        )

    @route("POST", f"{API}/faults", name="control.add_fault", status=201)
    def add_fault(self, request: HttpRequest, params: dict[str, str]) -> HttpResponse:
        """Inject a vendor error: ``{"route", "error", "skip"?, "times"?}``."""
        self._guard(request)
        body = self._body(request)
        route_name = self._text(body, "route", required=False)
        error = self._text(body, "error")
        skip, times = body.get("skip", 0), body.get("times", 1)
        for key, value in (("skip", skip), ("times", times)):
            if value is not None and (
                not isinstance(value, int) or isinstance(value, bool) or value < 0
            ):
                raise ApiError(E.BAD_REQUEST, f"{key} must be a non-negative integer")
        try:
            fault = self.platform.faults.inject(
                route_name, error=str(error), skip=skip, times=times
            )
        except UsageError as exc:
            raise ApiError(E.BAD_REQUEST, str(exc)) from None
        return self._ok("control.add_fault", {"route": fault.route, "fault": fault.kind}, 201)

    @route("DELETE", f"{API}/faults", name="control.clear_faults")
    def clear_faults(self, request: HttpRequest, params: dict[str, str]) -> HttpResponse:
        """Remove every fault."""
        self._guard(request)
        self.platform.faults.clear()
        return self._ok("control.clear_faults", {"cleared": True})

    @route("GET", f"{API}/overview", name="control.overview")
    def overview(self, request: HttpRequest, params: dict[str, str]) -> HttpResponse:
        """What the dashboard shows: each face's overview (tenants, devices, their device-side
        actions), the clock, and the last 30 calls that were not the dashboard's own."""
        self._guard(request)
        platform = self.platform
        faces = []
        for name, face in platform.faces.items():
            overview = getattr(face, "overview", None)
            if callable(overview):
                faces.append({"name": name, **_camel_actions(overview())})
        return self._ok(
            "control.overview",
            {
                "now": platform.clock.now(),
                "manualClock": isinstance(platform.clock, ManualClock),
                "faces": faces,
                "calls": [_call_view(c) for c in _vendor_calls(platform, 30)],
            },
        )

    @route("POST", f"{API}/faces/{{face}}/actions/{{action}}", name="control.face_action")
    def face_action(self, request: HttpRequest, params: dict[str, str]) -> HttpResponse:
        """Device side: one of the face's dashboard actions (``dashboard_actions``), with the
        body's strings as its arguments (what the dashboard's device buttons send)."""
        self._guard(request)
        face = self.platform.faces.get(params["face"])
        if face is None:
            raise ApiError(E.NOT_FOUND, f"this platform has no face {params['face']!r}")
        action = params["action"]
        if action not in getattr(face, "dashboard_actions", ()):
            raise ApiError(E.NOT_FOUND, f"the {face.name} face has no dashboard action {action!r}")
        body = self._body(request)
        args = {_snake(key): self._text(body, key, required=False) for key in body}
        method = getattr(face, action)
        try:
            inspect.signature(method).bind(**args)
        except TypeError as exc:
            raise ApiError(E.BAD_REQUEST, f"{action}: {exc}") from None
        result = self._device_side(method, **args)
        return self._ok("control.face_action", _view(result))

    @route("GET", "/favicon.ico", name="control.favicon", media_type="image/svg+xml")
    def favicon(self, request: HttpRequest, params: dict[str, str]) -> HttpResponse:
        """The dashboard's icon."""
        from ._dashboard import FAVICON

        return HttpResponse(
            200,
            FAVICON,
            {"Content-Type": "image/svg+xml", "Cache-Control": "max-age=86400"},
            "control.favicon",
        )

    @route("GET", "/_fakeiot/openapi.json", name="control.openapi")
    def openapi(self, request: HttpRequest, params: dict[str, str]) -> HttpResponse:
        """This server's OpenAPI document, generated from the route table."""
        return self._ok("control.openapi", _openapi.document(self.platform, self))

    @route("GET", "/", name="control.dashboard", media_type="text/html")
    def dashboard(self, request: HttpRequest, params: dict[str, str]) -> HttpResponse:
        """The dashboard page."""
        from ._dashboard import PAGE

        return HttpResponse(
            200, PAGE, {"Content-Type": "text/html; charset=utf-8"}, "control.dashboard"
        )


def _snake(name: str) -> str:
    """``deviceId`` -> ``device_id`` (the face method's argument)."""
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name)


def _camel_actions(overview: dict[str, Any]) -> dict[str, Any]:
    """A face's overview with its actions' arguments in the control API's camelCase."""
    for table in overview.get("tables", ()):
        for row in table.get("rows", ()):
            for action in row.get("actions", ()):
                action["args"] = {camel(k): v for k, v in action.get("args", {}).items()}
    return overview


def _vendor_calls(platform: Platform, limit: int) -> list[Call]:
    """The last ``limit`` calls that were not the control API's or the dashboard's own
    (filtered before limiting, so polling never pushes the real calls out)."""
    found: list[Call] = []
    for call in reversed(platform.calls):
        if not (call.route or "").startswith("control.") and call.request.path != "/favicon.ico":
            found.append(call)
            if len(found) == limit:
                break
    return found[::-1]


def _call_view(call: Call) -> dict[str, Any]:
    """One call as the control API lists it; ``detail`` is the error's field-level detail
    when the call record carries one."""
    detail = getattr(call, "detail", None) or getattr(call.response, "detail", None)
    return {
        "index": call.index,
        "time": call.time,
        "line": call.line(),
        "route": call.route,
        "status": call.response.status,
        "errorCode": call.error_code,
        "detail": detail if isinstance(detail, str | dict | list) else None,
    }


def _hostname(authority: str) -> str:
    """``Host`` or an origin's authority without its port, lowercased (``[::1]`` -> ``::1``)."""
    authority = authority.strip().lower().rstrip("/")
    if authority.startswith("["):
        return authority[1 : authority.find("]")] if "]" in authority else authority
    return authority.rpartition(":")[0] if authority.count(":") == 1 else authority


LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})


def route_table(platform: Platform, control: Control | None = None) -> RouteTable:
    """The routes a server of ``platform`` answers: the faces' and the control API's."""
    table = RouteTable()
    table.merge(platform.routes)
    table.merge((control or Control(platform)).routes)
    return table
