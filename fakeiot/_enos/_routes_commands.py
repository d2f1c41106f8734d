"""Connect Service commands and measure points (spec device-traffic B.1, B.2):
``/connect-service/v2.1/commands?action=`` and ``measurepoints?action=queryLatest``."""

from __future__ import annotations

from .._routes import route
from ._commands import INVOKE_SERVICE, SET_MEASUREPOINT
from ._errors import EnosError
from ._model import Org
from ._schemas import (
    CancelCommand,
    CommandCreated,
    GetCommand,
    InvokeService,
    Page,
    PointStatus,
    QueryLatest,
    SearchCommands,
    SetMeasurepoint,
    UnknownAction,
    unknown_action,
)
from ._traffic import TrafficService

E = EnosError
COMMANDS = "/connect-service/{version}/commands"
MEASUREPOINTS = "/connect-service/{version}/measurepoints"
V21 = ("v2.1",)
#: every action accepts GET and POST, as on devices: ``enos-poseidon`` sends GET when it has
#: no body (``cancel``, ``get``).
ANY = ("GET", "POST")


class CommandRoutes(TrafficService):
    """invokeService, setMeasurepoint, get, search, cancel; queryLatest."""

    @route(ANY, COMMANDS, versions=V21, query={"action": "invokeService"}, auth="org")
    def _invoke_service(self, org: Org, req: InvokeService) -> CommandCreated:
        """Invoke a device service: immediate (``pendingTtl=0``, waits for the device's
        ``outputData`` up to ``timeout`` s) or cached for ``pendingTtl`` s."""
        return self._create_command(
            org, req, INVOKE_SERVICE, req.service_id, req.input_data, req.input_data
        )

    @route(ANY, COMMANDS, versions=V21, query={"action": "setMeasurepoint"}, auth="org")
    def _set_measurepoint(self, org: Org, req: SetMeasurepoint) -> CommandCreated:
        """Set a measure point on the device, immediately or cached (as invokeService)."""
        point = req.measurepoint_id
        return self._create_command(
            org, req, SET_MEASUREPOINT, point, req.value, {point: req.value}
        )

    @route(ANY, COMMANDS, versions=V21, query={"action": "get"}, auth="org")
    def _get_command(self, org: Org, req: GetCommand) -> dict[str, object]:
        """One command of the device (unknown commandId: 99404)."""
        device = self._device(org, req, E.DEVICE_NOT_FOUND)
        return self._wire(device, self._command(device, req.command_id))

    @route(ANY, COMMANDS, versions=V21, query={"action": "search"}, auth="org")
    def _search_command(self, org: Org, req: SearchCommands) -> Page:
        """The device's commands, newest first, filtered by ``state``, ``commandName`` and
        ``createTime``; 100 per page by default."""
        device = self._device(org, req, E.DEVICE_NOT_FOUND)
        return self._search_commands(device, req.expression, req.pagination, req.projection)

    @route(ANY, COMMANDS, versions=V21, query={"action": "cancel"}, auth="org")
    def _cancel_command(self, org: Org, req: CancelCommand) -> list[dict[str, object]]:
        """Cancel one cached command (``commandId``) or all; returns those cancelled."""
        device = self._device(org, req, E.DEVICE_NOT_FOUND)
        return self._cancel(device, req.command_id or None)

    @route(ANY, COMMANDS, versions=V21, auth="org")
    def _command_action_unknown(self, org: Org, req: UnknownAction) -> None:
        """A missing or unknown ``action`` on commands: 99400."""
        unknown_action(req.action)

    @route(ANY, MEASUREPOINTS, versions=V21, query={"action": "queryLatest"}, auth="org")
    def _query_latest_measurepoints(self, org: Org, req: QueryLatest) -> list[PointStatus]:
        """The latest value of each measure point the device reported (``time``: a string of
        epoch ms)."""
        device = self._device(org, req, E.DEVICE_NOT_FOUND)
        return self._query_latest(device, req.measurepoint_ids)

    @route(ANY, MEASUREPOINTS, versions=V21, auth="org")
    def _measurepoint_action_unknown(self, org: Org, req: UnknownAction) -> None:
        """A missing or unknown ``action`` on measure points: 99400."""
        unknown_action(req.action)
