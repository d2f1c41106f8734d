"""The IoTDA routes, declared: method, path, success status, ``auth="project"`` and the input
class (:mod:`._schemas`). Each handler receives the authenticated :class:`Project` and its
parsed input, calls the service and returns the data the face renders.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .._errors import ApiError
from .._http import HttpRequest, HttpResponse
from .._routes import route
from . import _schemas as sc
from . import _views as views
from ._auth import SignatureError, parse_sdk_date
from ._errors import IotdaError
from ._model import Project
from ._service import CommandFilter, DeviceFilter, Page
from ._unsupported import UNSUPPORTED

if TYPE_CHECKING:
    from .._face import Host
    from ._model import IotdaState
    from ._service import Service

E = IotdaError
P = "/v5/iot/{project_id}"
DEV = P + "/devices/{device_id}"
AUTH = "project"
Data = dict[str, Any]


def _time(name: str, text: str | None) -> float | None:
    if text is None:
        return None
    try:
        return parse_sdk_date(text)
    except SignatureError:
        raise ApiError(E.INVALID_TIME, f"query field {name}: {text!r} is not a time") from None


def _page(req: sc.Paged | sc.DevicePaged | sc.GroupPaged) -> Page:
    return Page(req.limit, req.marker, req.offset)


def _paged(key: str, rows: list[Data], count: int, marker: str | None) -> Data:
    return {key: rows, "page": {"count": count, "marker": marker}}


def _commands(req: sc.ListAsyncCommands | sc.CountAsyncHistory) -> CommandFilter:
    return CommandFilter(
        req.status,
        req.command_name,
        _time("start_time", req.start_time),
        _time("end_time", req.end_time),
    )


class IotdaRoutes:
    """The route handlers of :class:`Iotda` (a mixin: ``self`` is the face)."""

    if TYPE_CHECKING:
        platform: Host
        state: IotdaState
        service: Service

        def authenticate(self, scheme: str, request: HttpRequest) -> Project: ...

    # =========================================================================================
    # Products
    # =========================================================================================
    @route("POST", P + "/products", auth=AUTH, status=201)
    def _create_product(self, project: Project, req: sc.AddProduct) -> Data:
        """Create a product with its service capabilities."""
        return views.product(project, self.service.create_product(project, req))

    @route("GET", P + "/products", auth=AUTH)
    def _list_products(self, project: Project, req: sc.ListProducts) -> Data:
        """List products, newest first (limit/marker/offset)."""
        rows, count, marker = self.service.list_products(
            project, _page(req), req.app_id, req.product_name
        )
        return _paged("products", [views.product_summary(project, p) for p in rows], count, marker)

    @route("GET", P + "/products/{product_id}", auth=AUTH)
    def _show_product(self, project: Project, req: sc.ProductPath) -> Data:
        """One product with its service capabilities."""
        return views.product(project, self.service.product(project, req.product_id, req.app_id))

    @route("PUT", P + "/products/{product_id}", auth=AUTH)
    def _update_product(self, project: Project, req: sc.UpdateProduct) -> Data:
        """Update a product (protocol_type may not become CoAP)."""
        return views.product(project, self.service.update_product(project, req.product_id, req))

    @route("DELETE", P + "/products/{product_id}", auth=AUTH, status=204, media_type=None)
    def _delete_product(self, project: Project, req: sc.ProductPath) -> None:
        """Delete a product that no device uses."""
        self.service.delete_product(project, req.product_id, req.app_id)

    # =========================================================================================
    # Devices
    # =========================================================================================
    @route("POST", P + "/devices", auth=AUTH, status=201)
    def _add_device(self, project: Project, req: sc.AddDevice) -> Data:
        """Add a device; device_id defaults to product_id + "_" + node_id."""
        return views.device(project, self.service.add_device(project, req), reveal=True)

    @route("GET", P + "/devices", auth=AUTH)
    def _list_devices(self, project: Project, req: sc.ListDevices) -> Data:
        """List devices with filters, newest first (limit/marker/offset)."""
        filters = DeviceFilter(
            req.product_id,
            req.gateway_id,
            req.is_cascade_query,
            req.node_id,
            req.device_name,
            req.app_id,
            _time("start_time", req.start_time),
            _time("end_time", req.end_time),
        )
        rows, count, marker = self.service.list_devices(project, _page(req), filters)
        return _paged("devices", [views.device_simple(project, d) for d in rows], count, marker)

    @route("GET", DEV, auth=AUTH)
    def _show_device(self, project: Project, req: sc.DevicePath) -> Data:
        """One device (its secret masked)."""
        return views.device(project, self.service.device(project, req.device_id))

    @route("PUT", DEV, auth=AUTH)
    def _update_device(self, project: Project, req: sc.UpdateDevice) -> Data:
        """Update name, description, extension_info, secure_access and timeout."""
        return views.device(project, self.service.update_device(project, req.device_id, req))

    @route("DELETE", DEV, auth=AUTH, status=204, media_type=None)
    def _delete_device(self, project: Project, req: sc.DevicePath) -> None:
        """Delete a device that has no children."""
        self.service.delete_device(project, req.device_id)

    @route("POST", DEV + "/action", auth=AUTH)
    def _reset_device_secret(self, project: Project, req: sc.ResetDeviceSecret) -> Data:
        """``?action_id=resetSecret``: a new primary or secondary secret."""
        device, secret = self.service.reset_secret(project, req.device_id, req)
        return {"device_id": device.device_id, "secret": secret, "secret_type": req.secret_type}

    @route("POST", DEV + "/freeze", auth=AUTH, status=204, media_type=None)
    def _freeze_device(self, project: Project, req: sc.DevicePath) -> None:
        """Freeze a directly connected device: it is disconnected and may not connect."""
        self.service.freeze(project, req.device_id)

    @route("POST", DEV + "/unfreeze", auth=AUTH, status=204, media_type=None)
    def _unfreeze_device(self, project: Project, req: sc.DevicePath) -> None:
        """Unfreeze a frozen device (OFFLINE, or INACTIVE if it never connected)."""
        self.service.unfreeze(project, req.device_id)

    @route("POST", P + "/search/query-devices", auth=AUTH)
    def _search_devices(self, project: Project, req: sc.SearchDevices) -> Data:
        """Search devices with the SQL-like language of spec §5.8."""
        rows, count = self.service.search(project, req.sql)
        answer: Data = {"devices": rows}
        if count is not None:
            answer["count"] = count
        return answer

    # =========================================================================================
    # Shadow
    # =========================================================================================
    @route("GET", DEV + "/shadow", auth=AUTH)
    def _show_device_shadow(self, project: Project, req: sc.DevicePath) -> Data:
        """The device shadow: desired and reported per service, with versions."""
        return views.shadow(self.service.device(project, req.device_id))

    @route("PUT", DEV + "/shadow", auth=AUTH)
    def _update_device_shadow_desired_data(self, project: Project, req: sc.UpdateDesireds) -> Data:
        """Merge desired properties (null deletes, {} clears) per service, checking versions."""
        return views.shadow(self.service.update_desired(project, req.device_id, req))

    @route("DELETE", DEV + "/shadow", auth=AUTH, status=204, media_type=None)
    def _delete_device_shadow(self, project: Project, req: sc.DevicePath) -> None:
        """Clear the device shadow."""
        self.service.delete_shadow(project, req.device_id)

    # =========================================================================================
    # Commands and properties
    # =========================================================================================
    @route("POST", DEV + "/commands", auth=AUTH)
    def _create_command(self, project: Project, req: sc.DeviceCommand) -> Data:
        """A synchronous command: the device's answer, or 200 with IOTDA.014111 on timeout."""
        command_id, response = self.service.create_command(project, req.device_id, req)
        return {"command_id": command_id, "response": response}

    @route("GET", DEV + "/properties", auth=AUTH)
    def _list_properties(self, project: Project, req: sc.ListProperties) -> Data:
        """Ask an online device for its current property values."""
        response = self.service.list_properties(project, req.device_id, req.service_id)
        return {"request_id": self.platform.ids.uuid(), "response": response}

    @route("PUT", DEV + "/properties", auth=AUTH)
    def _update_properties(self, project: Project, req: sc.DeviceProperties) -> Data:
        """Set properties on an online device."""
        request_id, response = self.service.update_properties(project, req.device_id, req)
        return {"request_id": request_id, "response": response}

    @route("POST", DEV + "/async-commands", auth=AUTH, status=201)
    def _create_async_command(self, project: Project, req: sc.AsyncDeviceCommand) -> Data:
        """An asynchronous command (send_strategy immediately or delay)."""
        command = self.service.create_async_command(project, req.device_id, req)
        return views.async_command(command, full=False)

    @route("GET", DEV + "/async-commands/{command_id}", auth=AUTH)
    def _show_async_device_command(self, project: Project, req: sc.AsyncCommandPath) -> Data:
        """One asynchronous command with its status and result."""
        command = self.service.async_command(project, req.device_id, req.command_id)
        return views.async_command(command)

    @route("GET", DEV + "/async-commands", auth=AUTH)
    def _list_async_commands(self, project: Project, req: sc.ListAsyncCommands) -> Data:
        """Queued commands (PENDING, SENT, DELIVERED)."""
        rows, count, marker = self.service.list_async_commands(
            project, req.device_id, _page(req), _commands(req), False
        )
        return _paged("commands", [views.async_command(c) for c in rows], count, marker)

    @route("GET", DEV + "/async-commands-history", auth=AUTH)
    def _list_async_history_commands(self, project: Project, req: sc.ListAsyncCommands) -> Data:
        """Finished commands (SUCCESSFUL, FAILED, TIMEOUT, EXPIRED)."""
        rows, count, marker = self.service.list_async_commands(
            project, req.device_id, _page(req), _commands(req), True
        )
        return _paged("commands", [views.async_command(c) for c in rows], count, marker)

    @route("POST", DEV + "/async-commands-history/count", auth=AUTH)
    def _count_async_history_commands(self, project: Project, req: sc.CountAsyncHistory) -> Data:
        """How many finished commands match."""
        return {"count": self.service.count_async_history(project, req.device_id, _commands(req))}

    # =========================================================================================
    # Messages
    # =========================================================================================
    @route("POST", DEV + "/messages", auth=AUTH, status=201)
    def _create_message(self, project: Project, req: sc.DeviceMessage) -> Data:
        """Send a downlink message (cached for ttl minutes while the device is offline)."""
        return views.message_result(self.service.create_message(project, req.device_id, req))

    @route("GET", DEV + "/messages", auth=AUTH)
    def _list_device_messages(self, project: Project, req: sc.DevicePath) -> Data:
        """The device's last 20 messages (no paging)."""
        device = self.service.device(project, req.device_id)
        messages = [views.message(m) for m in device.messages.values()]
        return {"device_id": device.device_id, "messages": messages}

    @route("GET", DEV + "/messages/{message_id}", auth=AUTH)
    def _show_device_message(self, project: Project, req: sc.MessagePath) -> Data:
        """One message with its status."""
        return views.message(self.service.message(project, req.device_id, req.message_id))

    @route("DELETE", DEV + "/messages/{message_id}", auth=AUTH, status=204, media_type=None)
    def _delete_device_message(self, project: Project, req: sc.MessagePath) -> None:
        """Delete one message."""
        self.service.delete_message(project, req.device_id, req.message_id)

    # =========================================================================================
    # Device groups
    # =========================================================================================
    @route("POST", P + "/device-group", auth=AUTH, status=201)
    def _add_device_group(self, project: Project, req: sc.AddDeviceGroup) -> Data:
        """Create a static or dynamic device group."""
        return views.group(self.service.add_group(project, req))

    @route("GET", P + "/device-group", auth=AUTH)
    def _list_device_groups(self, project: Project, req: sc.ListGroups) -> Data:
        """List device groups."""
        pool = [
            g
            for g in project.groups.values()
            if (req.name is None or g.name == req.name)
            and (req.group_type is None or g.group_type == req.group_type)
            and (req.app_id is None or g.app_id == req.app_id)
        ]
        rows, count, marker = _page(req).apply(pool, lambda g: g.marker)
        return _paged("device_groups", [views.group(g) for g in rows], count, marker)

    @route("GET", P + "/device-group/{group_id}", auth=AUTH)
    def _show_device_group(self, project: Project, req: sc.GroupPath) -> Data:
        """One device group."""
        return views.group(self.service.group(project, req.group_id))

    @route("PUT", P + "/device-group/{group_id}", auth=AUTH)
    def _update_device_group(self, project: Project, req: sc.UpdateDeviceGroup) -> Data:
        """Rename or describe a device group."""
        group = self.service.group(project, req.group_id)
        if req.name is not None:
            group.name = req.name
        if req.description is not None:
            group.description = req.description
        return views.group(group)

    @route("DELETE", P + "/device-group/{group_id}", auth=AUTH, status=204, media_type=None)
    def _delete_device_group(self, project: Project, req: sc.GroupPath) -> None:
        """Delete a device group (its devices stay)."""
        self.service.delete_group(project, req.group_id)

    @route("POST", P + "/device-group/{group_id}/action", auth=AUTH, media_type=None)
    def _create_or_delete_device_in_group(self, project: Project, req: sc.GroupMember) -> None:
        """``?action_id=addDevice|removeDevice&device_id=...``."""
        self.service.group_member(project, req.group_id, req.action_id, req.device_id)

    @route("GET", P + "/device-group/{group_id}/devices", auth=AUTH)
    def _show_devices_in_group(self, project: Project, req: sc.GroupPaged) -> Data:
        """The devices of a group."""
        group = self.service.group(project, req.group_id)
        members = self.service.group_devices(project, group)
        rows, count, marker = _page(req).apply(members, lambda d: d.marker)
        devices = [
            {
                "device_id": d.device_id,
                "node_id": d.node_id,
                "device_name": d.device_name,
                "product_id": d.product_id,
            }
            for d in rows
        ]
        return _paged("devices", devices, count, marker)

    # =========================================================================================
    # Tags
    # =========================================================================================
    @route("POST", P + "/tags/bind-resource", auth=AUTH, media_type=None)
    def _tag_device(self, project: Project, req: sc.BindTags) -> None:
        """Bind tags to a device (an existing key's value is replaced)."""
        self.service.tag(project, req)

    @route("POST", P + "/tags/unbind-resource", auth=AUTH, media_type=None)
    def _untag_device(self, project: Project, req: sc.UnbindTags) -> None:
        """Remove tags from a device by key."""
        self.service.untag(project, req)

    @route("POST", P + "/tags/query-resources", auth=AUTH)
    def _list_resources_by_tags(self, project: Project, req: sc.QueryResourceByTags) -> Data:
        """Devices carrying any of the tags."""
        rows, count, marker = self.service.by_tags(project, req, _page(req))
        return _paged("resources", [{"resource_id": d.device_id} for d in rows], count, marker)

    # =========================================================================================
    # Resource spaces
    # =========================================================================================
    @route("POST", P + "/apps", auth=AUTH, status=201)
    def _add_application(self, project: Project, req: sc.AddApplication) -> Data:
        """Create a resource space."""
        return views.app(self.service.add_app(project, req.app_name))

    @route("GET", P + "/apps", auth=AUTH)
    def _show_applications(self, project: Project, req: sc.ListApplications) -> Data:
        """Every resource space (``?default_app=true|false`` filters)."""
        apps = [
            views.app(a)
            for a in project.apps.values()
            if req.default_app is None or a.default == req.default_app
        ]
        return {"applications": apps}

    @route("GET", P + "/apps/{app_id}", auth=AUTH)
    def _show_application(self, project: Project, req: sc.AppPath) -> Data:
        """One resource space."""
        return views.app(self.service.app(project, req.app_id))

    @route("DELETE", P + "/apps/{app_id}", auth=AUTH, status=204, media_type=None)
    def _delete_application(self, project: Project, req: sc.AppPath) -> None:
        """Delete an empty, non-default resource space."""
        self.service.delete_app(project, req.app_id)

    # =========================================================================================
    # Data forwarding
    # =========================================================================================
    @route("POST", P + "/routing-rule/rules", auth=AUTH, status=201)
    def _create_routing_rule(self, project: Project, req: sc.AddRule) -> Data:
        """Create a forwarding rule (inactive until updated with active=true)."""
        return views.rule(self.service.add_rule(project, req))

    @route("GET", P + "/routing-rule/rules", auth=AUTH)
    def _list_routing_rules(self, project: Project, req: sc.Paged) -> Data:
        """List forwarding rules."""
        rows, count, marker = _page(req).apply(list(project.rules.values()), lambda r: r.marker)
        return _paged("rules", [views.rule(r) for r in rows], count, marker)

    @route("GET", P + "/routing-rule/rules/{rule_id}", auth=AUTH)
    def _show_routing_rule(self, project: Project, req: sc.RulePath) -> Data:
        """One forwarding rule."""
        return views.rule(self.service.rule(project, req.rule_id))

    @route("PUT", P + "/routing-rule/rules/{rule_id}", auth=AUTH)
    def _update_routing_rule(self, project: Project, req: sc.UpdateRule) -> Data:
        """Update a rule; ``active: true`` turns it on."""
        return views.rule(self.service.update_rule(project, req.rule_id, req))

    @route("DELETE", P + "/routing-rule/rules/{rule_id}", auth=AUTH, status=204, media_type=None)
    def _delete_routing_rule(self, project: Project, req: sc.RulePath) -> None:
        """Delete a rule and its actions."""
        self.service.delete_rule(project, req.rule_id)

    @route("POST", P + "/routing-rule/actions", auth=AUTH, status=201)
    def _create_rule_action(self, project: Project, req: sc.AddAction) -> Data:
        """Add an action (HTTP_FORWARDING pushes to its URL) to a rule."""
        return views.action(self.service.add_action(project, req))

    @route("GET", P + "/routing-rule/actions/{action_id}", auth=AUTH)
    def _show_rule_action(self, project: Project, req: sc.ActionPath) -> Data:
        """One rule action."""
        return views.action(self.service.action(project, req.action_id))

    @route(
        "DELETE", P + "/routing-rule/actions/{action_id}", auth=AUTH, status=204, media_type=None
    )
    def _delete_rule_action(self, project: Project, req: sc.ActionPath) -> None:
        """Delete a rule action."""
        self.service.action(project, req.action_id)
        del project.actions[req.action_id]


# =============================================================================================
# Every other SDK operation: authenticated, then 501 (listed in docs/iotda.md)
# =============================================================================================
def _unsupported(op: str) -> Callable[..., HttpResponse]:
    """A raw handler (no input schema: it never reads its input) for one SDK operation."""

    def handler(self: IotdaRoutes, request: HttpRequest, params: dict[str, str]) -> HttpResponse:
        self.authenticate("project", request)
        raise ApiError(E.NOT_SUPPORTED, f"the SDK operation {op} is not served by fakeiot")

    handler.__doc__ = f"``{op}``: not served by fakeiot (501)."
    return handler


for _method, _path, _op in UNSUPPORTED:
    # "~" sorts after every letter: these routes are tried after the served ones
    setattr(
        IotdaRoutes,
        f"~{_op}",
        route(_method, P + _path, name=f"iotda.{_op}")(_unsupported(_op)),
    )
