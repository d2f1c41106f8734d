"""Recipe: pytest-xdist. Each test gets its own platform whose seed derives from the test's node
id, so ids and secrets are the same under ``-n 2`` as in a serial run, whichever worker runs it."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

USER_TESTS = """
def test_one(fakeiot_app):
    print("ids:", fakeiot_app.app_id)

def test_two(fakeiot_app):
    print("ids:", fakeiot_app.app_id)
"""


def _ids(result: pytest.RunResult) -> list[str]:
    return sorted(line for line in result.outlines if "ids:" in line)


def test_the_same_ids_under_xdist_as_serially(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_user=USER_TESTS)
    serial = pytester.runpytest("-p", "no:cacheprovider", "-rP", "-n", "0")
    parallel = pytester.runpytest("-p", "no:cacheprovider", "-rP", "-n", "2")
    serial.assert_outcomes(passed=2)
    parallel.assert_outcomes(passed=2)
    assert len(_ids(serial)) == 2
    assert _ids(parallel) == _ids(serial)
