"""The pytest plugin, loaded through its ``pytest11`` entry point, seen from inner test runs."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]


def test_fakeiot_fixture_patches_requests_only_during_the_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import requests
        from requests.adapters import HTTPAdapter

        REAL = HTTPAdapter.__dict__["send"]
        LOGIN = "https://iot.example:8743/iocm/app/sec/v1.1.0/login"

        def test_patched(fakeiot):
            app = fakeiot.oceanconnect.create_app()
            response = requests.post(LOGIN, data={"appId": app.app_id, "secret": app.secret})
            assert HTTPAdapter.__dict__["send"] is not REAL
            assert response.status_code == 200

        def test_unpatched_after():
            assert HTTPAdapter.__dict__["send"] is REAL
        """
    )
    pytester.runpytest().assert_outcomes(passed=2)


def test_fixtures_share_one_platform_per_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import json
        import urllib.parse
        import urllib.request

        def test_shared(fakeiot, fakeiot_platform, fakeiot_app, fakeiot_server):
            assert fakeiot is fakeiot_platform
            assert fakeiot_server.platform is fakeiot_platform
            assert fakeiot_app in fakeiot_platform.oceanconnect.apps()
            form = urllib.parse.urlencode(
                {"appId": fakeiot_app.app_id, "secret": fakeiot_app.secret}
            ).encode()
            url = fakeiot_server.url + "/iocm/app/sec/v1.1.0/login"
            with urllib.request.urlopen(url, data=form) as response:
                assert json.load(response)["tokenType"] == "bearer"
            assert [call.route for call in fakeiot_platform.calls] == ["oceanconnect.login"]

        def test_fresh_next_time(fakeiot_platform, fakeiot_server):
            assert fakeiot_server.platform is fakeiot_platform
            assert fakeiot_platform.oceanconnect.apps() == []
        """
    )
    pytester.runpytest().assert_outcomes(passed=2)


def test_marker_configures_the_platform(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.fakeiot(seed=5, token_ttl=10)
        def test_configured(fakeiot_platform):
            assert fakeiot_platform.seed == 5
            assert fakeiot_platform.settings.token_ttl == 10
        """
    )
    pytester.runpytest().assert_outcomes(passed=1)


def test_marker_with_an_unknown_setting_names_the_closest(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.fakeiot(token_tll=10)
        def test_misspelt(fakeiot_platform):
            pass
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*UnknownSettingError*'token_tll'*Did you mean 'token_ttl'?*"])


def test_seed_option_seeds_the_platform(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        def test_seeded(fakeiot_platform):
            assert fakeiot_platform.seed == 7
        """
    )
    pytester.runpytest("--fakeiot-seed=7").assert_outcomes(passed=1)


def test_seed_defaults_to_one_derived_from_the_node_id(pytester: pytest.Pytester) -> None:
    """Without a seed, each test gets the same ids on every run, and other tests other ids."""
    pytester.makepyfile(
        """
        import zlib

        def test_one(fakeiot_platform, request):
            assert fakeiot_platform.seed == zlib.crc32(request.node.nodeid.encode())

        def test_two(fakeiot_platform, request):
            assert fakeiot_platform.seed == zlib.crc32(request.node.nodeid.encode())
        """
    )
    pytester.runpytest().assert_outcomes(passed=2)


def test_plugin_can_be_turned_off(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        def test_wants_platform(fakeiot_platform):
            pass
        """
    )
    result = pytester.runpytest("-p", "no:fakeiot")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*fixture 'fakeiot_platform' not found*"])


def test_server_side_exception_surfaces_in_the_test_that_caused_it(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        """
        import urllib.error
        import urllib.request

        import pytest

        import fakeiot

        class Boom:
            @fakeiot.hookimpl
            def fakeiot_request(self):
                raise RuntimeError("boom")

        def test_causes(fakeiot_platform, fakeiot_server):
            fakeiot_platform.hooks.register(Boom())
            with pytest.raises(urllib.error.HTTPError) as raised:
                urllib.request.urlopen(fakeiot_server.url + "/iocm/app/dm/v1.4.0/devices")
            raised.value.close()
            assert raised.value.code == 500

        def test_innocent(fakeiot_server):
            with pytest.raises(urllib.error.HTTPError) as raised:
                urllib.request.urlopen(fakeiot_server.url + "/iocm/app/dm/v1.4.0/devices")
            raised.value.close()
            assert raised.value.code != 500
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(
        ["*ERROR at teardown of test_causes*", "*RuntimeError: boom*", "*ServerError*"]
    )


def test_failing_test_report_carries_the_transcript(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        def test_fails(fakeiot_platform):
            app = fakeiot_platform.oceanconnect.create_app()
            import fakeiot
            fakeiot_platform.handle(fakeiot.HttpRequest(
                "POST", "/iocm/app/sec/v1.1.0/login",
                body=f"appId={app.app_id}&secret={app.secret}".encode()))
            assert False
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*- fakeiot -*", "*#0 POST /iocm/app/sec/v1.1.0/login -> 200*"])


def test_failure_section_names_the_field_a_validation_error_refused(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        """
        import requests

        def test_fails(fakeiot, fakeiot_app):
            base = "https://iot.example:8743/iocm/app"
            token = requests.post(f"{base}/sec/v1.1.0/login", data={
                "appId": fakeiot_app.app_id, "secret": fakeiot_app.secret}).json()["accessToken"]
            answer = requests.post(
                f"{base}/reg/v1.1.0/deviceCredentials",
                json={"nodeId": "861234567890123", "psk": "not-hex!"},
                headers={"app_key": fakeiot_app.app_id, "Authorization": f"Bearer {token}"},
            )
            assert answer.status_code == 200
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*- fakeiot -*", "*POST /iocm/app/reg/v1.1.0/deviceCredentials -> 400 50400*psk*"]
    )
    # the vendor never sends the detail: it stays out of the answer
    assert "must match" not in result.stdout.str().split("- fakeiot -")[0]


def test_passing_test_report_has_no_transcript(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_ok(fakeiot_platform):\n    assert True\n")
    result = pytester.runpytest("-rA")
    result.assert_outcomes(passed=1)
    assert "#0 POST" not in result.stdout.str()


def test_fakeiot_pushes_records_pushes_without_a_network(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import requests

        BASE = "https://iot.example:8743/iocm/app"

        def test_pushes(fakeiot, fakeiot_app, fakeiot_pushes):
            token = requests.post(f"{BASE}/sec/v1.1.0/login", data={
                "appId": fakeiot_app.app_id, "secret": fakeiot_app.secret}).json()["accessToken"]
            headers = {"app_key": fakeiot_app.app_id, "Authorization": "Bearer " + token}
            requests.post(f"{BASE}/sub/v1.2.0/subscriptions", headers=headers, json={
                "notifyType": "deviceAdded", "callbackUrl": "https://app.example:443/cb"})
            requests.post(f"{BASE}/reg/v1.1.0/deviceCredentials", headers=headers,
                          json={"nodeId": "861234567890123"})
            assert [p.notify_type for p in fakeiot_pushes] == ["deviceAdded"]
            assert fakeiot_pushes[0].result == "delivered"
        """
    )
    pytester.runpytest().assert_outcomes(passed=1)


def test_pushes_appear_in_the_failure_transcript(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        def test_fails(fakeiot_platform, fakeiot_pushes):
            oc = fakeiot_platform.oceanconnect
            app = oc.create_app()
            import fakeiot, json
            def call(method, path, body=None, headers=None):
                return fakeiot_platform.handle(fakeiot.HttpRequest(
                    method, path, headers=headers or {}, body=body or b""))
            token = call("POST", "/iocm/app/sec/v1.1.0/login",
                         f"appId={app.app_id}&secret={app.secret}".encode()).json_body()
            headers = {"app_key": app.app_id, "Authorization": "Bearer " + token["accessToken"]}
            call("POST", "/iocm/app/sub/v1.2.0/subscriptions", json.dumps({
                "notifyType": "deviceAdded", "callbackUrl": "http://h:1/cb"}).encode(), headers)
            call("POST", "/iocm/app/reg/v1.1.0/deviceCredentials",
                 json.dumps({"nodeId": "n1"}).encode(), headers)
            assert False
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*push #0 deviceAdded -> http://h:1/cb: delivered 200*"])


def test_settings_option_and_ini_configure_every_platform(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nfakeiot_settings =\n    token_ttl=42\n")
    pytester.makepyfile(
        """
        def test_settings(fakeiot_platform):
            assert fakeiot_platform.settings.token_ttl == 42
            assert fakeiot_platform.settings.flow_control_limit is None
        """
    )
    result = pytester.runpytest("--fakeiot-setting", "flow_control_limit=none")
    result.assert_outcomes(passed=1)


def test_seed_option_is_printed_in_the_header(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_ok():\n    pass\n")
    result = pytester.runpytest("--fakeiot-seed=11")
    result.stdout.fnmatch_lines(["fakeiot: seed=11"])


def test_coverage_summary_lists_exercised_transitions(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import fakeiot, json

        def test_register(fakeiot_platform):
            oc = fakeiot_platform.oceanconnect
            app = oc.create_app()
            token = fakeiot_platform.handle(fakeiot.HttpRequest(
                "POST", "/iocm/app/sec/v1.1.0/login",
                body=f"appId={app.app_id}&secret={app.secret}".encode())).json_body()
            fakeiot_platform.handle(fakeiot.HttpRequest(
                "POST", "/iocm/app/reg/v1.1.0/deviceCredentials",
                headers={"app_key": app.app_id,
                         "Authorization": "Bearer " + token["accessToken"]},
                body=json.dumps({"nodeId": "n1"}).encode()))
            oc.connect_device("n1")
        """
    )
    result = pytester.runpytest("--fakeiot-coverage")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [
            "*fakeiot lifecycle coverage*",
            "states: 2/6 exercised; never: offline, abnormal, disabled, deleted",
            "transitions: 2/*; never: connect, disconnect*",
        ]
    )


# -- under pytest-xdist -----------------------------------------------------------------------

#: an inner test's helper: register a device on the test's platform through Platform.handle
REGISTER_HELPER = """
import json
import os
from pathlib import Path

import fakeiot

def register(platform, node_id):
    app = platform.oceanconnect.create_app()
    token = platform.handle(fakeiot.HttpRequest(
        "POST", "/iocm/app/sec/v1.1.0/login",
        body=f"appId={app.app_id}&secret={app.secret}".encode())).json_body()["accessToken"]
    reply = platform.handle(fakeiot.HttpRequest(
        "POST", "/iocm/app/reg/v1.1.0/deviceCredentials",
        headers={"app_key": app.app_id, "Authorization": "Bearer " + token},
        body=json.dumps({"nodeId": node_id}).encode()))
    return reply.json_body()["deviceId"]

def note_worker(name):
    Path(__file__).with_name(f"{name}.worker").write_text(os.environ["PYTEST_XDIST_WORKER"])
"""


def test_fixtures_work_under_xdist(pytester: pytest.Pytester) -> None:
    """Each worker has its own session server and gives each test its own fresh platform."""
    pytester.makepyfile(
        """
        import urllib.parse
        import urllib.request

        import pytest
        import requests

        LOGIN = "/iocm/app/sec/v1.1.0/login"

        @pytest.mark.parametrize("round", range(6))
        def test_fixtures(fakeiot, fakeiot_platform, fakeiot_app, fakeiot_org, fakeiot_server,
                          round):
            assert fakeiot is fakeiot_platform is fakeiot_server.platform
            assert fakeiot_platform.oceanconnect.apps() == [fakeiot_app]
            assert fakeiot_platform.enos.orgs() == [fakeiot_org]
            form = {"appId": fakeiot_app.app_id, "secret": fakeiot_app.secret}
            mocked = requests.post("https://iot.example:8743" + LOGIN, data=form)
            with urllib.request.urlopen(
                fakeiot_server.url + LOGIN, data=urllib.parse.urlencode(form).encode()
            ) as served:
                assert (mocked.status_code, served.status) == (200, 200)
            assert [c.route for c in fakeiot_platform.calls] == ["oceanconnect.login"] * 2
        """
    )
    result = pytester.runpytest("-n", "2", "-p", "xdist")
    result.assert_outcomes(passed=6)
    result.stdout.fnmatch_lines(["*2 workers*"])


def test_coverage_is_merged_from_every_xdist_worker(pytester: pytest.Pytester) -> None:
    """One file per worker (``--dist loadfile``): one test disconnects a device, the other
    deletes one; the controller's summary counts both."""
    pytester.makepyfile(helper=REGISTER_HELPER)
    pytester.makepyfile(
        test_disconnect="""
        from helper import note_worker, register

        def test_disconnect(fakeiot_platform):
            note_worker("disconnect")
            device_id = register(fakeiot_platform, "n1")
            fakeiot_platform.oceanconnect.connect_device("n1")
            fakeiot_platform.oceanconnect.disconnect_device(device_id)
        """,
        test_delete="""
        import fakeiot
        from helper import note_worker, register

        def test_delete(fakeiot_platform):
            note_worker("delete")
            device_id = register(fakeiot_platform, "n2")
            app = fakeiot_platform.oceanconnect.apps()[0]
            login = fakeiot_platform.handle(fakeiot.HttpRequest(
                "POST", "/iocm/app/sec/v1.1.0/login",
                body=f"appId={app.app_id}&secret={app.secret}".encode())).json_body()
            deleted = fakeiot_platform.handle(fakeiot.HttpRequest(
                "DELETE", f"/iocm/app/dm/v1.4.0/devices/{device_id}",
                headers={"app_key": app.app_id,
                         "Authorization": "Bearer " + login["accessToken"]}))
            assert deleted.status == 204
        """,
    )
    result = pytester.runpytest(
        "-n", "2", "-p", "xdist", "--dist", "loadfile", "--fakeiot-coverage"
    )
    result.assert_outcomes(passed=2)
    workers = {(pytester.path / f"{name}.worker").read_text() for name in ("disconnect", "delete")}
    assert workers == {"gw0", "gw1"}
    result.stdout.fnmatch_lines(
        [
            "*fakeiot lifecycle coverage*",
            "states: 4/6 exercised; never: abnormal, disabled",
            "transitions: 4/*; never: connect, age_abnormal, age_offline, rekey, *",
        ]
    )
    assert result.stdout.str().count("fakeiot lifecycle coverage") == 1
