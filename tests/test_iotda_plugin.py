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


def test_docs_page_lists_every_error_route_and_transition() -> None:
    from pathlib import Path

    import fakeiot
    from fakeiot._iotda._errors import IotdaError
    from fakeiot._iotda._lifecycle import markdown

    page = (Path(__file__).parent.parent / "docs" / "iotda.md").read_text(encoding="utf-8")
    for error in IotdaError:
        assert f"`{error.row.code}` | {error.row.msg} | `{error.name}`" in page
    for route in fakeiot.Platform().routes:
        if route.face == "iotda":
            assert f"`{route.name}`" in page or f"`{route.name.split('.')[1]}`" in page
    assert markdown() in page


def test_docs_page_example_runs() -> None:
    import re
    from pathlib import Path

    page = (Path(__file__).parent.parent / "docs" / "iotda.md").read_text(encoding="utf-8")
    (block,) = re.findall(r"```python\n(.*?)```", page, re.S)
    exec(compile(block, "docs/iotda.md", "exec"), {"__name__": "docs"})
