from __future__ import annotations

import fakeiot
from tests.oc import CREDENTIALS, IMEI, OcClient


def test_registered_device_activates_on_first_connection(oc: OcClient) -> None:
    device_id = oc.register_ok(IMEI, timeout=0)
    before = oc.call("GET", CREDENTIALS.format(device_id)).json_body()
    oc.platform.oceanconnect.connect_device(IMEI)
    after = oc.call("GET", CREDENTIALS.format(device_id)).json_body()
    assert (before["activated"], after["activated"]) == (False, True)


def test_unmatched_request_gets_404_naming_routes(platform: fakeiot.Platform) -> None:
    """The face's own 404 on the wire; the routes that exist named in platform.calls."""
    response = platform.handle(fakeiot.HttpRequest("GET", "/iocm/app/nowhere"))
    assert response.status == 404
    assert response.route is None
    assert response.json_body()["error_code"] == "100225"
    assert "/iocm/app/reg/{version}/deviceCredentials" in (platform.calls[-1].explanation or "")
