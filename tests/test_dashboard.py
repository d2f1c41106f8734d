"""The dashboard in a real headless Chromium: it lists tenants and devices, its buttons drive
the device side and the clock, and it updates without a reload."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

import fakeiot
from tests.oc import IMEI, OcClient

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[webdriver.Chrome]:
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium')}",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    yield driver
    driver.quit()


@pytest.fixture
def served() -> Iterator[tuple[fakeiot.Server, OcClient]]:
    platform = fakeiot.Platform(seed=0, clock=fakeiot.ManualClock())
    client = OcClient(platform)
    with fakeiot.Server(platform) as server:
        server.control.remember_initial_state()
        yield server, client


def _cell_text(browser: webdriver.Chrome, selector: str) -> str:
    return str(browser.find_element(By.CSS_SELECTOR, selector).text)


def test_dashboard_drives_devices_clock_and_reset(
    browser: webdriver.Chrome, served: tuple[fakeiot.Server, OcClient], tmp_path: Path
) -> None:
    server, client = served
    device_id = client.register_ok(IMEI, timeout=600)
    browser.get(server.url + "/")
    wait = WebDriverWait(browser, 10)

    wait.until(lambda b: device_id in _cell_text(b, "#devices tbody"))
    assert client.app.app_id in _cell_text(browser, "#apps tbody")
    assert "OFFLINE/NOT_ACTIVE" in _cell_text(browser, "#devices tbody")
    assert "600 s" in _cell_text(browser, "#devices tbody")

    browser.find_element(By.XPATH, "//button[text()='Connect']").click()
    wait.until(lambda b: "ONLINE/NONE" in _cell_text(b, "#devices tbody"))
    assert client.platform.oceanconnect.device(device_id).activated

    client.register_ok("second-device", timeout=60)  # changed behind the page's back
    wait.until(lambda b: "second-device" in _cell_text(b, "#devices tbody"))

    before = _cell_text(browser, "#now")
    seconds = browser.find_element(By.ID, "seconds")
    seconds.clear()
    seconds.send_keys("61")
    browser.find_element(By.ID, "advance").click()
    wait.until(lambda b: "second-device" not in _cell_text(b, "#devices tbody"))
    assert _cell_text(browser, "#now") != before
    assert "deviceCredentials -> 200" in _cell_text(browser, "#calls")
    browser.save_screenshot(str(tmp_path / "dashboard.png"))

    browser.find_element(By.XPATH, "//button[text()='Disconnect']").click()
    wait.until(lambda b: "OFFLINE/NONE" in _cell_text(b, "#devices tbody"))

    browser.find_element(By.ID, "reset").click()
    wait.until(lambda b: "no devices" in _cell_text(b, "#devices tbody"))
    assert client.platform.oceanconnect.devices() == []


def test_dashboard_shows_a_refusal_message(
    browser: webdriver.Chrome, served: tuple[fakeiot.Server, OcClient]
) -> None:
    """A rekeyed device whose new verify code expired is refused; the page says why."""
    server, client = served
    oc = client.platform.oceanconnect
    device_id = client.register_ok(IMEI, timeout=0)
    oc.connect_device(IMEI)
    oc.disconnect_device(device_id)
    client.call("PUT", f"/iocm/app/reg/v1.1.0/deviceCredentials/{device_id}", {"timeout": 30})
    client.platform.advance(31)
    browser.get(server.url + "/")
    wait = WebDriverWait(browser, 10)
    wait.until(lambda b: IMEI in _cell_text(b, "#devices tbody"))
    browser.find_element(By.XPATH, "//button[text()='Connect']").click()
    wait.until(lambda b: "expired" in _cell_text(b, "#message"))
    assert oc.device(device_id).status == "OFFLINE"
