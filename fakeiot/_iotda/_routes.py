"""The IoTDA routes: thin wrappers that authenticate, parse the request into its typed
dataclass (:mod:`._requests`), call the service and render its answer.

Each handler is one declaration: method, path, name, success status. (When the declarative
route mechanism lands, the body parsing moves into the route's request schema.)
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from .._errors import ApiError
from .._http import HttpRequest, HttpResponse
from .._routes import route
from . import _requests as rq
from . import _views as views
from ._auth import BASIC, DERIVED, SignatureError, parse_authorization, parse_sdk_date
from ._errors import IotdaError
from ._model import Project
from ._service import CommandFilter, DeviceFilter, Page

if TYPE_CHECKING:
    from .._platform import Platform
    from ._auth import Verifier
    from ._model import IotdaState
    from ._service import Service

E = IotdaError
P = "/v5/iot/{project_id}"
DEV = P + "/devices/{device_id}"
Params = dict[str, str]


def _body(request: HttpRequest) -> Any:
    if not request.body:
        raise ApiError(E.BAD_REQUEST, "the request needs a JSON body")
    try:
        return json.loads(request.body)
    except (ValueError, RecursionError):
        raise ApiError(E.BAD_REQUEST, "the body is not JSON") from None


def _int(request: HttpRequest, name: str, default: int, error: IotdaError) -> int:
    text = request.query.get(name)
    if text is None or text == "":
        return default
    if not (text.isascii() and text.lstrip("-").isdigit()) or len(text) > 9:
        raise ApiError(error, f"{name}: {text[:20]!r} is not an integer")
    return int(text)


def _page(request: HttpRequest) -> Page:
    return Page(
        _int(request, "limit", 10, E.LIMIT_RANGE),
        request.query.get("marker") or None,
        _int(request, "offset", 0, E.INVALID_PARAM),
    )


def _time(request: HttpRequest, name: str) -> float | None:
    text = request.query.get(name)
    if not text:
        return None
    try:
        return parse_sdk_date(text)
    except SignatureError:
        raise ApiError(E.INVALID_TIME, f"{name}: {text[:20]!r} is not yyyyMMddTHHmmssZ") from None


def _opt(request: HttpRequest, name: str) -> str | None:
    return request.query.get(name) or None


def _paged(key: str, rows: list[dict[str, Any]], count: int, marker: str | None) -> Any:
    return {key: rows, "page": {"count": count, "marker": marker}}


class IotdaRoutes:
    """The route handlers of :class:`Iotda` (a mixin: ``self`` is the face)."""

    if TYPE_CHECKING:
        platform: Platform
        state: IotdaState
        service: Service
        verifier: Verifier

        def render(self, status: int, data: Any, route: str) -> HttpResponse: ...

    # -- authentication (spec §1.3-§1.5) -------------------------------------------------------
    def authenticate(self, request: HttpRequest, params: Params) -> Project:
        """The API gateway: verify the signature, then scope the call to the path's project."""
        headers = request.headers
        value = headers.get("authorization")
        if not value:
            raise ApiError(E.UNAUTHORIZED, "no Authorization header")
        try:
            auth = parse_authorization(value)
        except SignatureError as exc:
            raise ApiError(E.UNAUTHORIZED, str(exc)) from None
        settings = self.platform.settings
        schemes = settings.iotda_auth_schemes
        if (schemes == "basic" and auth.algorithm != BASIC) or (
            schemes == "derived" and auth.algorithm != DERIVED
        ):
            raise ApiError(E.UNAUTHORIZED, f"iotda_auth_schemes={schemes!r} refuses it")
        project = self.state.by_ak.get(auth.access_key)
        if project is None:
            raise ApiError(E.UNAUTHORIZED, "unknown access key")
        date = headers.get("x-sdk-date")
        if not date:
            raise ApiError(E.UNAUTHORIZED, "no X-Sdk-Date header")
        try:
            at = parse_sdk_date(date)
            if abs(at - self.platform.clock.now()) > settings.iotda_date_skew:
                raise SignatureError(f"X-Sdk-Date is more than {settings.iotda_date_skew}s off")
            self.verifier.verify(
                auth,
                project.sk,
                method=request.method,
                path=request.path,
                query_string=request.query_string,
                headers=headers,
                body=request.body,
            )
        except SignatureError as exc:
            raise ApiError(E.UNAUTHORIZED, str(exc)) from None
        wanted = params.get("project_id")
        header_project = headers.get("x-project-id")
        if wanted != project.project_id or (
            header_project is not None and header_project != project.project_id
        ):
            raise ApiError(E.FORBIDDEN, "the access key does not own this project")
        instance = headers.get("instance-id")
        if instance is not None and instance != project.instance_id:
            raise ApiError(
                E.INSTANCE_UNKNOWN, f"Instance-Id {instance[:40]!r} is not the project's"
            )
        if instance is None and settings.iotda_require_instance_id:
            raise ApiError(E.INSTANCE_UNKNOWN, "iotda_require_instance_id: Instance-Id missing")
        return project

    # =========================================================================================
    # Products
    # =========================================================================================
    @route("POST", P + "/products", name="iotda.create_product", status=201)
    def r_create_product(self, request: HttpRequest, params: Params) -> HttpResponse:
        """Create a product with its service capabilities."""
        project = self.authenticate(request, params)
        product = self.service.create_product(project, rq.parse(rq.AddProduct, _body(request)))
        return self.render(201, views.product(project, product), "iotda.create_product")

    @route("GET", P + "/products", name="iotda.list_products")
    def r_list_products(self, request: HttpRequest, params: Params) -> HttpResponse:
        """List products, newest first (limit/marker/offset)."""
        project = self.authenticate(request, params)
        rows, count, marker = self.service.list_products(
            project, _page(request), _opt(request, "app_id"), _opt(request, "product_name")
        )
        body = _paged("products", [views.product_summary(project, p) for p in rows], count, marker)
        return self.render(200, body, "iotda.list_products")

    @route("GET", P + "/products/{product_id}", name="iotda.show_product")
    def r_show_product(self, request: HttpRequest, params: Params) -> HttpResponse:
        """One product with its service capabilities."""
        project = self.authenticate(request, params)
        product = self.service.product(project, params["product_id"], _opt(request, "app_id"))
        return self.render(200, views.product(project, product), "iotda.show_product")

    @route("PUT", P + "/products/{product_id}", name="iotda.update_product")
    def r_update_product(self, request: HttpRequest, params: Params) -> HttpResponse:
        """Update a product (protocol_type may not become CoAP)."""
        project = self.authenticate(request, params)
        req = rq.parse(rq.UpdateProduct, _body(request))
        product = self.service.update_product(project, params["product_id"], req)
        return self.render(200, views.product(project, product), "iotda.update_product")

    @route("DELETE", P + "/products/{product_id}", name="iotda.delete_product", status=204)
    def r_delete_product(self, request: HttpRequest, params: Params) -> HttpResponse:
        """Delete a product that no device uses."""
        project = self.authenticate(request, params)
        self.service.delete_product(project, params["product_id"], _opt(request, "app_id"))
        return self.render(204, None, "iotda.delete_product")

    # =========================================================================================
    # Devices
    # =========================================================================================
    @route("POST", P + "/devices", name="iotda.add_device", status=201)
    def r_add_device(self, request: HttpRequest, params: Params) -> HttpResponse:
        """Add a device; device_id defaults to product_id + "_" + node_id."""
        project = self.authenticate(request, params)
        device = self.service.add_device(project, rq.parse(rq.AddDevice, _body(request)))
        return self.render(201, views.device(project, device, reveal=True), "iotda.add_device")

    @route("GET", P + "/devices", name="iotda.list_devices")
    def r_list_devices(self, request: HttpRequest, params: Params) -> HttpResponse:
        """List devices with filters, newest first (limit/marker/offset)."""
        project = self.authenticate(request, params)
        query = request.query
        cascade = query.get("is_cascade_query", "false")
        if cascade not in ("true", "false"):
            raise ApiError(E.INVALID_PARAM, "is_cascade_query: must be true or false")
        filters = DeviceFilter(
            _opt(request, "product_id"),
            _opt(request, "gateway_id"),
            cascade == "true",
            _opt(request, "node_id"),
            _opt(request, "device_name"),
            _opt(request, "app_id"),
            _time(request, "start_time"),
            _time(request, "end_time"),
        )
        rows, count, marker = self.service.list_devices(project, _page(request), filters)
        body = _paged("devices", [views.device_simple(project, d) for d in rows], count, marker)
        return self.render(200, body, "iotda.list_devices")

    @route("GET", DEV, name="iotda.show_device")
    def r_show_device(self, request: HttpRequest, params: Params) -> HttpResponse:
        """One device (its secret masked)."""
        project = self.authenticate(request, params)
        device = self.service.device(project, params["device_id"])
        return self.render(200, views.device(project, device), "iotda.show_device")

    @route("PUT", DEV, name="iotda.update_device")
    def r_update_device(self, request: HttpRequest, params: Params) -> HttpResponse:
        """Update name, description, extension_info, secure_access and timeout."""
        project = self.authenticate(request, params)
        req = rq.parse(rq.UpdateDevice, _body(request))
        device = self.service.update_device(project, params["device_id"], req)
        return self.render(200, views.device(project, device), "iotda.update_device")

    @route("DELETE", DEV, name="iotda.delete_device", status=204)
    def r_delete_device(self, request: HttpRequest, params: Params) -> HttpResponse:
        """Delete a device that has no children."""
        project = self.authenticate(request, params)
        self.service.delete_device(project, params["device_id"])
        return self.render(204, None, "iotda.delete_device")

    @route("POST", DEV + "/action", name="iotda.reset_device_secret")
    def r_reset_secret(self, request: HttpRequest, params: Params) -> HttpResponse:
        """``?action_id=resetSecret``: a new primary or secondary secret."""
        project = self.authenticate(request, params)
        if request.query.get("action_id") != "resetSecret":
            raise ApiError(E.INVALID_PARAM, "action_id: must be resetSecret")
        data = _body(request) if request.body else {}
        req = rq.parse(rq.ResetDeviceSecret, data)
        device, secret = self.service.reset_secret(project, params["device_id"], req)
        body = {"device_id": device.device_id, "secret": secret, "secret_type": req.secret_type}
        return self.render(200, body, "iotda.reset_device_secret")

    @route("POST", DEV + "/freeze", name="iotda.freeze_device", status=204)
    def r_freeze(self, request: HttpRequest, params: Params) -> HttpResponse:
        """Freeze a directly connected device: it is disconnected and may not connect."""
        project = self.authenticate(request, params)
        self.service.freeze(project, params["device_id"])
        return self.render(204, None, "iotda.freeze_device")

    @route("POST", DEV + "/unfreeze", name="iotda.unfreeze_device", status=204)
    def r_unfreeze(self, request: HttpRequest, params: Params) -> HttpResponse:
        """Unfreeze a frozen device (OFFLINE, or INACTIVE if it never connected)."""
        project = self.authenticate(request, params)
        self.service.unfreeze(project, params["device_id"])
        return self.render(204, None, "iotda.unfreeze_device")

    @route("POST", P + "/search/query-devices", name="iotda.search_devices")
    def r_search(self, request: HttpRequest, params: Params) -> HttpResponse:
        """Search devices with the SQL-like language of spec §5.8."""
        project = self.authenticate(request, params)
        req = rq.parse(rq.SearchDevices, _body(request))
        rows, count = self.service.search(project, req.sql)
        body: dict[str, Any] = {"devices": rows}
        if count is not None:
            body["count"] = count
        return self.render(200, body, "iotda.search_devices")

    # =========================================================================================
    # Shadow
    # =========================================================================================
    @route("GET", DEV + "/shadow", name="iotda.show_device_shadow")
    def r_show_shadow(self, request: HttpRequest, params: Params) -> HttpResponse:
        """The device shadow: desired and reported per service, with versions."""
        project = self.authenticate(request, params)
        device = self.service.device(project, params["device_id"])
        return self.render(200, views.shadow(device), "iotda.show_device_shadow")

    @route("PUT", DEV + "/shadow", name="iotda.update_device_shadow_desired_data")
    def r_update_shadow(self, request: HttpRequest, params: Params) -> HttpResponse:
        """Merge desired properties (null deletes, {} clears) per service, checking versions."""
        project = self.authenticate(request, params)
        req = rq.parse(rq.UpdateDesireds, _body(request))
        device = self.service.update_desired(project, params["device_id"], req)
        return self.render(200, views.shadow(device), "iotda.update_device_shadow_desired_data")

    @route("DELETE", DEV + "/shadow", name="iotda.delete_device_shadow", status=204)
    def r_delete_shadow(self, request: HttpRequest, params: Params) -> HttpResponse:
        """Clear the device shadow."""
        project = self.authenticate(request, params)
        self.service.delete_shadow(project, params["device_id"])
        return self.render(204, None, "iotda.delete_device_shadow")

    # =========================================================================================
    # Commands and properties
    # =========================================================================================
    @route("POST", DEV + "/commands", name="iotda.create_command")
    def r_create_command(self, request: HttpRequest, params: Params) -> HttpResponse:
        """A synchronous command: the device's answer, or 200 with IOTDA.014111 on timeout."""
        project = self.authenticate(request, params)
        req = rq.parse(rq.DeviceCommand, _body(request))
        command_id, response = self.service.create_command(project, params["device_id"], req)
        body = {"command_id": command_id, "response": response}
        return self.render(200, body, "iotda.create_command")

    @route("GET", DEV + "/properties", name="iotda.list_properties")
    def r_list_properties(self, request: HttpRequest, params: Params) -> HttpResponse:
        """Ask an online device for its current property values."""
        project = self.authenticate(request, params)
        response = self.service.list_properties(
            project, params["device_id"], _opt(request, "service_id")
        )
        body = {"request_id": self.platform.ids.uuid(), "response": response}
        return self.render(200, body, "iotda.list_properties")

    @route("PUT", DEV + "/properties", name="iotda.update_properties")
    def r_update_properties(self, request: HttpRequest, params: Params) -> HttpResponse:
        """Set properties on an online device."""
        project = self.authenticate(request, params)
        req = rq.parse(rq.DeviceProperties, _body(request))
        request_id, response = self.service.update_properties(project, params["device_id"], req)
        body = {"request_id": request_id, "response": response}
        return self.render(200, body, "iotda.update_properties")

    @route("POST", DEV + "/async-commands", name="iotda.create_async_command", status=201)
    def r_create_async(self, request: HttpRequest, params: Params) -> HttpResponse:
        """An asynchronous command (send_strategy immediately or delay)."""
        project = self.authenticate(request, params)
        req = rq.parse(rq.AsyncDeviceCommand, _body(request))
        command = self.service.create_async_command(project, params["device_id"], req)
        body = views.async_command(command, full=False)
        return self.render(201, body, "iotda.create_async_command")

    @route("GET", DEV + "/async-commands/{command_id}", name="iotda.show_async_device_command")
    def r_show_async(self, request: HttpRequest, params: Params) -> HttpResponse:
        """One asynchronous command with its status and result."""
        project = self.authenticate(request, params)
        command = self.service.async_command(project, params["device_id"], params["command_id"])
        return self.render(200, views.async_command(command), "iotda.show_async_device_command")

    def _command_filter(self, request: HttpRequest) -> CommandFilter:
        return CommandFilter(
            _opt(request, "status"),
            _opt(request, "command_name"),
            _time(request, "start_time"),
            _time(request, "end_time"),
        )

    @route("GET", DEV + "/async-commands", name="iotda.list_async_commands")
    def r_list_async(self, request: HttpRequest, params: Params) -> HttpResponse:
        """Queued commands (PENDING, SENT, DELIVERED)."""
        return self._list_async(request, params, False, "iotda.list_async_commands")

    @route("GET", DEV + "/async-commands-history", name="iotda.list_async_history_commands")
    def r_list_async_history(self, request: HttpRequest, params: Params) -> HttpResponse:
        """Finished commands (SUCCESSFUL, FAILED, TIMEOUT, EXPIRED)."""
        return self._list_async(request, params, True, "iotda.list_async_history_commands")

    def _list_async(
        self, request: HttpRequest, params: Params, history: bool, name: str
    ) -> HttpResponse:
        project = self.authenticate(request, params)
        rows, count, marker = self.service.list_async_commands(
            project, params["device_id"], _page(request), self._command_filter(request), history
        )
        body = _paged("commands", [views.async_command(c) for c in rows], count, marker)
        return self.render(200, body, name)

    @route(
        "POST",
        DEV + "/async-commands-history/count",
        name="iotda.count_async_history_commands",
    )
    def r_count_async(self, request: HttpRequest, params: Params) -> HttpResponse:
        """How many finished commands match."""
        project = self.authenticate(request, params)
        count = self.service.count_async_history(
            project, params["device_id"], self._command_filter(request)
        )
        return self.render(200, {"count": count}, "iotda.count_async_history_commands")

    # =========================================================================================
    # Messages
    # =========================================================================================
    @route("POST", DEV + "/messages", name="iotda.create_message", status=201)
    def r_create_message(self, request: HttpRequest, params: Params) -> HttpResponse:
        """Send a downlink message (cached for ttl minutes while the device is offline)."""
        project = self.authenticate(request, params)
        req = rq.parse(rq.DeviceMessage, _body(request))
        message = self.service.create_message(project, params["device_id"], req)
        return self.render(201, views.message_result(message), "iotda.create_message")

    @route("GET", DEV + "/messages", name="iotda.list_device_messages")
    def r_list_messages(self, request: HttpRequest, params: Params) -> HttpResponse:
        """The device's last 20 messages (no paging)."""
        project = self.authenticate(request, params)
        device = self.service.device(project, params["device_id"])
        body = {
            "device_id": device.device_id,
            "messages": [views.message(m) for m in device.messages.values()],
        }
        return self.render(200, body, "iotda.list_device_messages")

    @route("GET", DEV + "/messages/{message_id}", name="iotda.show_device_message")
    def r_show_message(self, request: HttpRequest, params: Params) -> HttpResponse:
        """One message with its status."""
        project = self.authenticate(request, params)
        message = self.service.message(project, params["device_id"], params["message_id"])
        return self.render(200, views.message(message), "iotda.show_device_message")

    @route("DELETE", DEV + "/messages/{message_id}", name="iotda.delete_device_message", status=204)
    def r_delete_message(self, request: HttpRequest, params: Params) -> HttpResponse:
        """Delete one message."""
        project = self.authenticate(request, params)
        self.service.delete_message(project, params["device_id"], params["message_id"])
        return self.render(204, None, "iotda.delete_device_message")

    # =========================================================================================
    # Device groups
    # =========================================================================================
    @route("POST", P + "/device-group", name="iotda.add_device_group", status=201)
    def r_add_group(self, request: HttpRequest, params: Params) -> HttpResponse:
        """Create a static or dynamic device group."""
        project = self.authenticate(request, params)
        group = self.service.add_group(project, rq.parse(rq.AddDeviceGroup, _body(request)))
        return self.render(201, views.group(group), "iotda.add_device_group")

    @route("GET", P + "/device-group", name="iotda.list_device_groups")
    def r_list_groups(self, request: HttpRequest, params: Params) -> HttpResponse:
        """List device groups."""
        project = self.authenticate(request, params)
        name, group_type = _opt(request, "name"), _opt(request, "group_type")
        app_id = _opt(request, "app_id")
        pool = [
            g
            for g in project.groups.values()
            if (name is None or g.name == name)
            and (group_type is None or g.group_type == group_type)
            and (app_id is None or g.app_id == app_id)
        ]
        rows, count, marker = _page(request).apply(pool, lambda g: g.marker)
        body = _paged("device_groups", [views.group(g) for g in rows], count, marker)
        return self.render(200, body, "iotda.list_device_groups")

    @route("GET", P + "/device-group/{group_id}", name="iotda.show_device_group")
    def r_show_group(self, request: HttpRequest, params: Params) -> HttpResponse:
        """One device group."""
        project = self.authenticate(request, params)
        group = self.service.group(project, params["group_id"])
        return self.render(200, views.group(group), "iotda.show_device_group")

    @route("PUT", P + "/device-group/{group_id}", name="iotda.update_device_group")
    def r_update_group(self, request: HttpRequest, params: Params) -> HttpResponse:
        """Rename or describe a device group."""
        project = self.authenticate(request, params)
        req = rq.parse(rq.UpdateDeviceGroup, _body(request))
        group = self.service.group(project, params["group_id"])
        if req.name is not None:
            group.name = req.name
        if req.description is not None:
            group.description = req.description
        return self.render(200, views.group(group), "iotda.update_device_group")

    @route("DELETE", P + "/device-group/{group_id}", name="iotda.delete_device_group", status=204)
    def r_delete_group(self, request: HttpRequest, params: Params) -> HttpResponse:
        """Delete a device group (its devices stay)."""
        project = self.authenticate(request, params)
        self.service.delete_group(project, params["group_id"])
        return self.render(204, None, "iotda.delete_device_group")

    @route(
        "POST", P + "/device-group/{group_id}/action", name="iotda.create_or_delete_device_in_group"
    )
    def r_group_member(self, request: HttpRequest, params: Params) -> HttpResponse:
        """``?action_id=addDevice|removeDevice&device_id=...``."""
        project = self.authenticate(request, params)
        device_id = request.query.get("device_id")
        if not device_id:
            raise ApiError(E.INVALID_PARAM, "device_id: required")
        action = request.query.get("action_id", "")
        self.service.group_member(project, params["group_id"], action, device_id)
        return self.render(200, None, "iotda.create_or_delete_device_in_group")

    @route("GET", P + "/device-group/{group_id}/devices", name="iotda.show_devices_in_group")
    def r_group_devices(self, request: HttpRequest, params: Params) -> HttpResponse:
        """The devices of a group."""
        project = self.authenticate(request, params)
        group = self.service.group(project, params["group_id"])
        members = self.service.group_devices(project, group)
        rows, count, marker = _page(request).apply(members, lambda d: d.marker)
        devices = [
            {
                "device_id": d.device_id,
                "node_id": d.node_id,
                "device_name": d.device_name,
                "product_id": d.product_id,
            }
            for d in rows
        ]
        return self.render(
            200, _paged("devices", devices, count, marker), "iotda.show_devices_in_group"
        )

    # =========================================================================================
    # Tags
    # =========================================================================================
    @route("POST", P + "/tags/bind-resource", name="iotda.tag_device")
    def r_tag(self, request: HttpRequest, params: Params) -> HttpResponse:
        """Bind tags to a device (an existing key's value is replaced)."""
        project = self.authenticate(request, params)
        self.service.tag(project, rq.parse(rq.BindTags, _body(request)))
        return self.render(200, None, "iotda.tag_device")

    @route("POST", P + "/tags/unbind-resource", name="iotda.untag_device")
    def r_untag(self, request: HttpRequest, params: Params) -> HttpResponse:
        """Remove tags from a device by key."""
        project = self.authenticate(request, params)
        self.service.untag(project, rq.parse(rq.UnbindTags, _body(request)))
        return self.render(200, None, "iotda.untag_device")

    @route("POST", P + "/tags/query-resources", name="iotda.list_resources_by_tags")
    def r_by_tags(self, request: HttpRequest, params: Params) -> HttpResponse:
        """Devices carrying any of the tags."""
        project = self.authenticate(request, params)
        req = rq.parse(rq.QueryResourceByTags, _body(request))
        rows, count, marker = self.service.by_tags(project, req, _page(request))
        resources = [{"resource_id": d.device_id} for d in rows]
        return self.render(
            200, _paged("resources", resources, count, marker), "iotda.list_resources_by_tags"
        )

    # =========================================================================================
    # Resource spaces
    # =========================================================================================
    @route("POST", P + "/apps", name="iotda.add_application", status=201)
    def r_add_app(self, request: HttpRequest, params: Params) -> HttpResponse:
        """Create a resource space."""
        project = self.authenticate(request, params)
        req = rq.parse(rq.AddApplication, _body(request))
        app = self.service.add_app(project, req.app_name)
        return self.render(201, views.app(app), "iotda.add_application")

    @route("GET", P + "/apps", name="iotda.show_applications")
    def r_list_apps(self, request: HttpRequest, params: Params) -> HttpResponse:
        """Every resource space (``?default_app=true|false`` filters)."""
        project = self.authenticate(request, params)
        default = request.query.get("default_app")
        if default not in (None, "true", "false"):
            raise ApiError(E.INVALID_PARAM, "default_app: must be true or false")
        apps = [
            views.app(a)
            for a in project.apps.values()
            if default is None or a.default == (default == "true")
        ]
        return self.render(200, {"applications": apps}, "iotda.show_applications")

    @route("GET", P + "/apps/{app_id}", name="iotda.show_application")
    def r_show_app(self, request: HttpRequest, params: Params) -> HttpResponse:
        """One resource space."""
        project = self.authenticate(request, params)
        app = self.service.app(project, params["app_id"])
        return self.render(200, views.app(app), "iotda.show_application")

    @route("DELETE", P + "/apps/{app_id}", name="iotda.delete_application", status=204)
    def r_delete_app(self, request: HttpRequest, params: Params) -> HttpResponse:
        """Delete an empty, non-default resource space."""
        project = self.authenticate(request, params)
        self.service.delete_app(project, params["app_id"])
        return self.render(204, None, "iotda.delete_application")

    # =========================================================================================
    # Data forwarding
    # =========================================================================================
    @route("POST", P + "/routing-rule/rules", name="iotda.create_routing_rule", status=201)
    def r_add_rule(self, request: HttpRequest, params: Params) -> HttpResponse:
        """Create a forwarding rule (inactive until updated with active=true)."""
        project = self.authenticate(request, params)
        rule = self.service.add_rule(project, rq.parse(rq.AddRule, _body(request)))
        return self.render(201, views.rule(rule), "iotda.create_routing_rule")

    @route("GET", P + "/routing-rule/rules", name="iotda.list_routing_rules")
    def r_list_rules(self, request: HttpRequest, params: Params) -> HttpResponse:
        """List forwarding rules."""
        project = self.authenticate(request, params)
        rows, count, marker = _page(request).apply(list(project.rules.values()), lambda r: r.marker)
        body = _paged("rules", [views.rule(r) for r in rows], count, marker)
        return self.render(200, body, "iotda.list_routing_rules")

    @route("GET", P + "/routing-rule/rules/{rule_id}", name="iotda.show_routing_rule")
    def r_show_rule(self, request: HttpRequest, params: Params) -> HttpResponse:
        """One forwarding rule."""
        project = self.authenticate(request, params)
        rule = self.service.rule(project, params["rule_id"])
        return self.render(200, views.rule(rule), "iotda.show_routing_rule")

    @route("PUT", P + "/routing-rule/rules/{rule_id}", name="iotda.update_routing_rule")
    def r_update_rule(self, request: HttpRequest, params: Params) -> HttpResponse:
        """Update a rule; ``active: true`` turns it on."""
        project = self.authenticate(request, params)
        req = rq.parse(rq.UpdateRule, _body(request))
        rule = self.service.update_rule(project, params["rule_id"], req)
        return self.render(200, views.rule(rule), "iotda.update_routing_rule")

    @route(
        "DELETE", P + "/routing-rule/rules/{rule_id}", name="iotda.delete_routing_rule", status=204
    )
    def r_delete_rule(self, request: HttpRequest, params: Params) -> HttpResponse:
        """Delete a rule and its actions."""
        project = self.authenticate(request, params)
        self.service.delete_rule(project, params["rule_id"])
        return self.render(204, None, "iotda.delete_routing_rule")

    @route("POST", P + "/routing-rule/actions", name="iotda.create_rule_action", status=201)
    def r_add_action(self, request: HttpRequest, params: Params) -> HttpResponse:
        """Add an action (HTTP_FORWARDING pushes to its URL) to a rule."""
        project = self.authenticate(request, params)
        action = self.service.add_action(project, rq.parse(rq.AddAction, _body(request)))
        return self.render(201, views.action(action), "iotda.create_rule_action")

    @route("GET", P + "/routing-rule/actions/{action_id}", name="iotda.show_rule_action")
    def r_show_action(self, request: HttpRequest, params: Params) -> HttpResponse:
        """One rule action."""
        project = self.authenticate(request, params)
        action = self.service.action(project, params["action_id"])
        return self.render(200, views.action(action), "iotda.show_rule_action")

    @route(
        "DELETE",
        P + "/routing-rule/actions/{action_id}",
        name="iotda.delete_rule_action",
        status=204,
    )
    def r_delete_action(self, request: HttpRequest, params: Params) -> HttpResponse:
        """Delete a rule action."""
        project = self.authenticate(request, params)
        self.service.action(project, params["action_id"])
        del project.actions[params["action_id"]]
        return self.render(204, None, "iotda.delete_rule_action")
