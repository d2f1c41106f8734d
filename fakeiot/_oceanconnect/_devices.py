"""OceanConnect's simulated device (``platform.oceanconnect.simulate``): connects with its
nodeId and verify code, reports data, receives V4 commands and answers them, and may sleep
(an NB-IoT device in power saving: commands wait until it reports or wakes)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .. import _device
from .._errors import UsageError
from ._model import Connection

if TYPE_CHECKING:
    from ._service import DeviceView
    from ._traffic import TrafficService


@dataclass(eq=False)
class OcDevice(_device.SimulatedDevice):
    """A simulated OceanConnect device. ``device_id`` is known once the nodeId is registered."""

    node_id: str = ""
    verify_code: str | None = None
    connection: Connection | None = None
    face: Any = None
    #: hold the ACK of each V4 command until the test calls :meth:`ack` (spec E): the command
    #: stays SENT (retransmitted, then TIMEOUT) and the next PENDING one waits for it (A.3)
    manual_ack: bool = False
    #: the V4 commands received and not acknowledged yet, by commandId
    unacked: dict[str, _device.Command] = field(default_factory=dict)

    def _face(self) -> TrafficService:
        face: TrafficService = self.face
        return face

    def _registered_id(self) -> str:
        """The deviceId its nodeId is registered under (the registration may come late)."""
        face = self._face()
        with face.platform.lock:
            device = face.state.by_node.get(self.node_id)
        if device is None:
            if not self.device_id:
                raise UsageError(f"no device is registered with nodeId {self.node_id!r} yet")
            return self.device_id
        self.device_id = device.device_id
        return self.device_id

    def connect(self) -> DeviceView:
        """Connect (binding the registration the first time): the device is ONLINE and gets
        the commands that waited for it. Raises :class:`fakeiot.ConnectRefused` as
        ``connect_device`` does."""
        view = self._face().connect_device(
            self.node_id, self.verify_code, connection=self.connection
        )
        self.device_id = view.device_id
        return view

    def disconnect(self) -> DeviceView:
        """Disconnect: an ONLINE or ABNORMAL device goes OFFLINE."""
        return self._face().disconnect_device(self._registered_id())

    def report(
        self,
        service_id: str | Mapping[str, dict[str, Any]],
        data: dict[str, Any] | None = None,
        *,
        service_type: str | None = None,
    ) -> DeviceView:
        """Report ``data`` for ``service_id`` (spec A.16): the shadow, the data history and the
        pushes follow, and PENDING commands are sent now, even to a sleeping device.

        ``report({"Switch": {...}, "Meter": {...}})`` reports several services at once (one
        MQTT ``deviceReq`` with several elements, spec A.8): ``deviceDatasChanged`` is pushed
        besides ``deviceDataChanged`` per service."""
        if isinstance(service_id, Mapping):
            if data is not None or service_type is not None:
                raise UsageError("report(services) takes no data or service_type: they are in it")
            return self._face().report_services(self._registered_id(), service_id)
        if data is None:
            raise UsageError(f"report({service_id!r}) needs the data: report(service_id, data)")
        return self._face().report_data(
            self._registered_id(), service_id, data, service_type=service_type
        )

    def wake(self) -> None:
        """Leave power saving: commands that waited are sent now."""
        self.asleep = False
        self._face().wake_device(self._registered_id())

    def ack(self, command_id: str) -> None:
        """Acknowledge a command held with ``manual_ack``: it is DELIVERED, the handler
        answers it, and the next PENDING command is sent. Raises :class:`LookupError` if the
        command is not SENT to this device (never received, acknowledged, or TIMEOUT)."""
        self._face().ack_command(self._registered_id(), command_id)

    def complete(self, command_id: str, reply: _device.Reply) -> None:
        """What ``respond`` calls: the face completes the command with ``reply``."""
        self._face().complete_command(self._registered_id(), command_id, reply)

    @property
    def status(self) -> str:
        """The device's status as the platform shows it (``ONLINE``, ``OFFLINE``...)."""
        return self._face().device(self._registered_id()).status
