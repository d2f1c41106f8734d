"""Connect Service devices (spec §4): ``/connect-service/v2.1/devices?action=``, and
``batchCreate`` on v2.0 as documented and on v2.1 as the vendor's Python sample posts it."""

from __future__ import annotations

from .._errors import ApiError
from .._routes import route
from .._schema import parse_object
from ._errors import EnosError
from ._model import Device, Org
from ._schemas import (
    Batch,
    BatchCreateDevices,
    BatchRow,
    CreateDevice,
    CreateOption,
    DeviceCall,
    DeviceKeys,
    DeviceStats,
    DeviceStatsAnswer,
    Encoded,
    Page,
    ReplaceDevice,
    SearchDevices,
    UnknownAction,
    UpdateDevice,
    paging,
    special_characters,
    unknown_action,
)
from ._search import DEVICE_FIELDS, device_record, project
from ._service import EnosService

E = EnosError
DEVICES = "/connect-service/{version}/devices"
V21 = ("v2.1",)
#: batchCreate is documented at v2.0; the vendor's Python sample posts it to v2.1 (spec §4.2).
BATCH_VERSIONS = ("v2.0", "v2.1")
#: every action accepts GET and POST: the official client sends GET for delete/enable/disable.
ANY = ("GET", "POST")


class DeviceRoutes(EnosService):
    """Create (one or a batch), get, search, update, delete, enable, disable, replace, count."""

    @route(ANY, DEVICES, versions=V21, query={"action": "create"}, auth="org")
    def _create_device(self, org: Org, req: CreateDevice) -> DeviceKeys:
        """Create a device (inactive); ``data`` has assetId, deviceKey and deviceSecret."""
        return self._new_device(org, req.option())

    @route(ANY, DEVICES, versions=BATCH_VERSIONS, query={"action": "batchCreate"}, auth="org")
    def _batch_create_devices(self, org: Org, req: BatchCreateDevices) -> Batch:
        """Create up to 1,000 devices; each item succeeds or fails on its own."""
        items = req.device_list
        if len(items) > self.limits.max_batch_size:
            raise ApiError(
                E.INVALID_ARGUMENTS,
                f"deviceList holds more than {self.limits.max_batch_size} devices",
            )
        results: list[BatchRow] = []
        success = 0
        for index, item in enumerate(items):
            try:
                option = parse_object(CreateOption, item, self.invalid, f"deviceList[{index}]")
                created = self._new_device(org, option)
            except ApiError as error:
                member = error.error
                row = member.value if isinstance(member, EnosError) else E.INVALID_ARGUMENTS.value
                results.append({"code": -1, "msg": row.msg, "data": None})
            else:
                success += 1
                results.append({"code": 0, "msg": "OK", "data": created})
        return Batch(results, success, len(items))

    @route(ANY, DEVICES, versions=V21, query={"action": "get"}, auth="org")
    def _get_device(self, org: Org, req: DeviceCall) -> Encoded:
        """One device, by assetId or productKey+deviceKey."""
        device = self._device(org, req, E.DEVICE_NOT_FOUND)
        return Encoded(device.wire_bytes(org.products[device.product_key]))

    @route(ANY, DEVICES, versions=V21, query={"action": "search"}, auth="org")
    def _search_device(self, org: Org, req: SearchDevices) -> Page:
        """Devices matching an expression, newest first, paged, optionally projected."""
        predicate = self._predicate(req.expression, DEVICE_FIELDS)
        page_no, page_size = paging(req.pagination, self.platform.settings.enos_page_size_above_max)
        products = org.products
        pool: list[Device] = list(reversed(org.devices.values()))
        if predicate is not None:
            pool = [d for d in pool if predicate(device_record(d, products[d.product_key]))]
        first = (page_no - 1) * page_size
        data = [d.wire(products[d.product_key]) for d in pool[first : first + page_size]]
        paths = req.projection
        if paths is not None:
            data = [project(item, tuple(paths)) for item in data]
        return Page(data, page_no, page_size, len(pool))

    @route(ANY, DEVICES, versions=V21, query={"action": "update"}, auth="org")
    def _update_device(self, org: Org, req: UpdateDevice) -> None:
        """Update a device: patch (default) or full (``isPatchUpdate=false``)."""
        device = self._device(org, req, E.DEVICE_NOT_FOUND)
        patch, name = req.is_patch_update, req.device_name
        self._patch_device(
            device,
            patch=patch,
            name=None if name is None else name.patch(device.name) if patch else name.wire(),
            timezone=req.timezone,
            attributes=req.device_attributes,
            tags=req.device_tags,
            desc=req.device_desc,
        )

    @route(ANY, DEVICES, versions=V21, query={"action": "delete"}, auth="org")
    def _delete_device(self, org: Org, req: DeviceCall) -> None:
        """Delete a device; its assetId no longer resolves and its key no longer logs in."""
        self._remove_device(org, self._device(org, req, E.DEVICE_NOT_FOUND))

    @route(ANY, DEVICES, versions=V21, query={"action": "enable"}, auth="org")
    def _enable_device(self, org: Org, req: DeviceCall) -> None:
        """Enable a disabled device: back to inactive, or offline if it was ever activated."""
        self._enable(self._device(org, req, E.ENABLE_NOT_FOUND))

    @route(ANY, DEVICES, versions=V21, query={"action": "disable"}, auth="org")
    def _disable_device(self, org: Org, req: DeviceCall) -> None:
        """Disable a device: it is kicked off if online and refused at login until enabled."""
        self._disable(self._device(org, req, E.DEVICE_NOT_FOUND))

    @route(ANY, DEVICES, versions=V21, query={"action": "replaceDevice"}, auth="org")
    def _replace_device(self, org: Org, req: ReplaceDevice) -> DeviceKeys:
        """Give a device a new deviceKey and secret; same assetId, back to inactive."""
        new_key = req.new_device_key
        if self.platform.settings.enos_strict_new_device_key and special_characters(new_key) > 3:
            raise ApiError(
                E.INVALID_ARGUMENTS,
                "newDeviceKey may hold at most 3 special characters (enos_strict_new_device_key)",
            )
        device = self._device(org, req, E.INVALID_ARGUMENTS)
        return self._rekey(org, device, new_key)

    @route(ANY, DEVICES, versions=V21, query={"action": "getStats"}, auth="org")
    def _get_device_stats(self, org: Org, req: DeviceStats) -> DeviceStatsAnswer:
        """Device counts by status, of the org or of one product (``productKey``)."""
        product = None
        if req.product_key:
            product = self._product(org, req.product_key, E.PRODUCT_NOT_FOUND)
        return self._count_devices(org, product)

    @route(ANY, DEVICES, versions=V21, auth="org")
    def _device_action_unknown(self, org: Org, req: UnknownAction) -> None:
        """A missing or unknown ``action`` on devices: 99400."""
        unknown_action(req.action)
