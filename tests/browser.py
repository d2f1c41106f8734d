"""The system browser the dashboard tests drive: Chromium and its driver, found on the PATH.

Without them those tests skip with the reason and the packages to install, so a machine with
nothing but Python passes the suite; ``FAKEIOT_REQUIRE_BROWSER=1`` (set by ``.ci/run``) turns
the skip into a failure.
"""

from __future__ import annotations

import os
import shutil

import pytest

REQUIRE = "FAKEIOT_REQUIRE_BROWSER"
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
INSTALL = "Debian/Ubuntu: apt-get install chromium chromium-driver"


def system_browser() -> tuple[str, str]:
    """``(browser, chromedriver)`` paths; skips the test (fails it under ``REQUIRE``) without."""
    browser = next((path for name in BROWSERS if (path := shutil.which(name))), None)
    driver = shutil.which("chromedriver")
    if browser is not None and driver is not None:
        return browser, driver
    missing = " and ".join(
        name for name, found in (("Chromium", browser), ("chromedriver", driver)) if not found
    )
    reason = f"the dashboard tests need a browser: no {missing} on the PATH ({INSTALL})"
    if os.environ.get(REQUIRE, "") not in ("", "0"):
        pytest.fail(f"{reason}; {REQUIRE} is set, so this is a failure", pytrace=False)
    pytest.skip(reason)
