"""OceanConnect device groups (spec A.13): ``devgroup/v1.3.0/devGroups`` and the members
routes under ``dm``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from .._errors import ApiError
from .._routes import route
from ._errors import OcError
from ._model import App, Group
from ._schemas import (
    CreateGroup,
    GroupAnswer,
    GroupMembers,
    GroupPath,
    GroupsAnswer,
    MembersAnswer,
    MembersChangedAnswer,
    ModifyGroup,
    QueryGroupMembers,
    QueryGroups,
)
from ._traffic import TrafficService

E = OcError
GRP = "/iocm/app/devgroup/{version}/devGroups"
GRP_VERSIONS = ("v1.3.0",)
#: the spelling the issue's brief used (spec §0: the SDK's is ``devgroup/.../devGroups``; serve
#: both): the same handlers, under route names ending in ``_dm``
DM_GRP = "/iocm/app/dm/{version}/devgroups"
F = TypeVar("F", bound=Callable[..., Any])


def _dm(method: str, pattern: str, name: str, **answer: Any) -> Callable[[F], F]:
    """The ``dm/v1.3.0/devgroups`` twin of a group route (``answer``: its status and media
    type, when not the defaults)."""
    return route(
        method,
        pattern.replace(GRP, DM_GRP),
        versions=GRP_VERSIONS,
        auth="app",
        trailing_slash=True,
        name=f"oceanconnect.{name}_dm",
        **answer,
    )


def _answer(group: Group) -> GroupAnswer:
    wire = group.wire(creator=False)
    return {
        "name": wire["name"],
        "description": wire["description"],
        "id": wire["id"],
        "appId": wire["appId"],
        "maxDevNum": wire["maxDevNum"],
        "curDevNum": wire["curDevNum"],
    }


class GroupRoutes(TrafficService):
    """``/iocm/app/devgroup`` and the group members routes."""

    def _group_of(self, app: App, group_id: str) -> Group:
        group = self.state.groups.get(group_id)
        if group is None or group.app_id != app.app_id:
            raise ApiError(E.RESOURCE_NOT_FOUND, f"no device group {group_id[:64]!r}")
        return group

    def _name_free(self, app: App, name: str, keep: Group | None = None) -> None:
        for group in self.state.groups.values():
            if group.app_id == app.app_id and group.name == name and group is not keep:
                raise ApiError(E.GROUP_NAME_USED, f"a group is named {name!r} already")

    def _add_members(self, app: App, group: Group, device_ids: list[str]) -> list[str]:
        """Add the app's devices among ``device_ids``; return the ids that are not its
        devices (what the answer lists: empty when every device was added)."""
        unknown = [d for d in device_ids if d not in app.devices]
        wanted = [d for d in dict.fromkeys(device_ids) if d in app.devices]
        new = [d for d in wanted if d not in group.device_ids]
        if group.max_dev_num and len(group.device_ids) + len(new) > group.max_dev_num:
            raise ApiError(
                E.GROUP_TOO_MANY_DEVICES,
                f"{len(group.device_ids) + len(new)} devices exceed maxDevNum {group.max_dev_num}",
            )
        group.device_ids.extend(new)
        return unknown

    @route("POST", GRP, versions=GRP_VERSIONS, auth="app", trailing_slash=True)
    @_dm("POST", GRP, "create_device_group")
    def _create_device_group(self, app: App, req: CreateGroup) -> GroupAnswer:
        """Create a device group (names are unique in the application), with members."""
        app = self._act_as(app, req.acting_for)
        self._name_free(app, req.name)
        held = sum(1 for g in self.state.groups.values() if g.app_id == app.app_id)
        limit = self.options.oceanconnect_group_limit
        if held >= limit:
            raise ApiError(E.GROUP_LIMIT, f"the application holds {limit} groups")
        group = Group(
            self.platform.ids.hex(24),
            app.app_id,
            req.name,
            req.description,
            req.max_dev_num or 0,
            app.app_id,
        )
        ids = req.device_ids or []
        if group.max_dev_num and len(set(ids)) > group.max_dev_num:
            raise ApiError(E.GROUP_TOO_MANY_DEVICES, f"more than {group.max_dev_num} devices")
        self._add_members(app, group, ids)
        self.state.groups[group.group_id] = group
        return _answer(group)

    @route("GET", GRP, versions=GRP_VERSIONS, auth="app", trailing_slash=True)
    @_dm("GET", GRP, "query_device_groups")
    def _query_device_groups(self, app: App, req: QueryGroups) -> GroupsAnswer:
        """The application's groups, by name, paged (list key ``list``, as really answered)."""
        app = self._act_as(app, req.access_app_id)
        matching = [
            g
            for g in self.state.groups.values()
            if g.app_id == app.app_id and (req.name is None or g.name == req.name)
        ]
        page_no, page_size = req.page_no or 0, req.page_size or 10
        first = page_no * page_size
        return {
            "totalCount": len(matching),
            "pageNo": page_no,
            "pageSize": page_size,
            "list": [g.wire() for g in matching[first : first + page_size]],
        }

    @route("GET", f"{GRP}/{{devGroupId}}", versions=GRP_VERSIONS, auth="app", trailing_slash=True)
    @_dm("GET", f"{GRP}/{{devGroupId}}", "query_device_group")
    def _query_device_group(self, app: App, req: GroupPath) -> GroupAnswer:
        """One group."""
        return _answer(self._group_of(self._act_as(app, req.access_app_id), req.dev_group_id))

    @route("PUT", f"{GRP}/{{devGroupId}}", versions=GRP_VERSIONS, auth="app", trailing_slash=True)
    @_dm("PUT", f"{GRP}/{{devGroupId}}", "modify_device_group")
    def _modify_device_group(self, app: App, req: ModifyGroup) -> GroupAnswer:
        """Rename a group, or change its description or maxDevNum."""
        app = self._act_as(app, req.access_app_id)
        group = self._group_of(app, req.dev_group_id)
        self._name_free(app, req.name, group)
        max_dev_num = group.max_dev_num if req.max_dev_num is None else req.max_dev_num
        if max_dev_num and len(group.device_ids) > max_dev_num:
            raise ApiError(E.GROUP_TOO_MANY_DEVICES, f"the group holds over {max_dev_num}")
        group.name, group.max_dev_num = req.name, max_dev_num
        if req.description is not None:
            group.description = req.description
        return _answer(group)

    @route(
        "DELETE",
        f"{GRP}/{{devGroupId}}",
        versions=GRP_VERSIONS,
        auth="app",
        trailing_slash=True,
        status=204,
        media_type=None,
    )
    @_dm("DELETE", f"{GRP}/{{devGroupId}}", "delete_device_group", status=204, media_type=None)
    def _delete_device_group(self, app: App, req: GroupPath) -> None:
        """Delete a group (its devices stay)."""
        group = self._group_of(self._act_as(app, req.access_app_id), req.dev_group_id)
        del self.state.groups[group.group_id]

    # NB: ``dm/{version}/devices/ids`` shares its shape with ``devices/{deviceId}``: routes of
    # one shape are tried in the order of their handlers' names, so this name sorts first.
    @route(
        "GET",
        "/iocm/app/dm/{version}/devices/ids",
        versions=("v1.2.0",),
        auth="app",
        trailing_slash=True,
    )
    def _device_group_members(self, app: App, req: QueryGroupMembers) -> MembersAnswer:
        """The devices of a group, paged."""
        group = self._group_of(self._act_as(app, req.access_app_id), req.dev_group_id)
        page_no, page_size = req.page_no or 0, req.page_size or 10
        first = page_no * page_size
        return {
            "totalCount": len(group.device_ids),
            "pageNo": page_no,
            "pageSize": page_size,
            "deviceIds": group.device_ids[first : first + page_size],
        }

    @route(
        "POST",
        "/iocm/app/dm/{version}/devices/addDevGroupTagToDevices",
        versions=("v1.1.0",),
        auth="app",
        trailing_slash=True,
    )
    def _add_devices_to_group(self, app: App, req: GroupMembers) -> MembersChangedAnswer:
        """Add devices to a group; ``deviceIds`` answers those that are not the app's."""
        app = self._act_as(app, req.acting_for)
        group = self._group_of(app, req.dev_group_id)
        return {
            "devGroupId": group.group_id,
            "deviceIds": self._add_members(app, group, req.device_ids),
        }

    @route(
        "POST",
        "/iocm/app/dm/{version}/devices/deleteDevGroupTagFromDevices",
        versions=("v1.1.0",),
        auth="app",
        trailing_slash=True,
    )
    def _remove_devices_from_group(self, app: App, req: GroupMembers) -> MembersChangedAnswer:
        """Remove devices from a group; ``deviceIds`` answers those that were not in it."""
        group = self._group_of(self._act_as(app, req.acting_for), req.dev_group_id)
        absent = [d for d in req.device_ids if d not in group.device_ids]
        group.device_ids = [d for d in group.device_ids if d not in req.device_ids]
        return {"devGroupId": group.group_id, "deviceIds": absent}
