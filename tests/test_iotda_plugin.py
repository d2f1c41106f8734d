"""The ``fakeiot_project`` fixture and the official SDK inside a downstream pytest run."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]


def test_fakeiot_project_fixture_with_the_sdk(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import os
        os.environ["HOME"] = os.getcwd()
        from huaweicloudsdkcore.auth.credentials import BasicCredentials
        from huaweicloudsdkiotda.v5 import IoTDAClient, ListDevicesRequest

        def test_list(fakeiot, fakeiot_project):
            assert fakeiot.iotda.projects() == [fakeiot_project]
            client = (
                IoTDAClient.new_builder()
                .with_credentials(BasicCredentials(
                    fakeiot_project.ak, fakeiot_project.sk, fakeiot_project.project_id))
                .with_endpoint("https://iotda.cn-north-4.myhuaweicloud.com")
                .build()
            )
            assert client.list_devices(ListDevicesRequest()).page.count == 0
        """
    )
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-W", "ignore")
    result.assert_outcomes(passed=1)
