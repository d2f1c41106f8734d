"""The dashboard in a real headless Chromium: it lists tenants and devices, its buttons drive
the device side and the clock, and it updates without a reload."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

import fakeiot
from tests.browser import system_browser
from tests.enos import EnosClient
from tests.oc import IMEI, OcClient


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[webdriver.Chrome]:
    chromium, chromedriver = system_browser()  # skips (or fails, in CI) without one
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
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
    driver = webdriver.Chrome(options=options, service=Service(chromedriver))
    yield driver
    driver.quit()


@pytest.fixture
def served() -> Iterator[tuple[fakeiot.Server, OcClient]]:
    platform = fakeiot.Platform(seed=0, clock=fakeiot.ManualClock())
    client = OcClient(platform)
    with fakeiot.Server(platform) as server:
        server.control.remember_initial_state()
        yield server, client


def _click(browser: webdriver.Chrome, by: str, selector: str) -> None:
    """Click an element, finding it again if the dashboard's refresh replaced it meanwhile."""

    def click(driver: webdriver.Chrome) -> bool:
        driver.find_element(by, selector).click()
        return True

    WebDriverWait(browser, 10, ignored_exceptions=[StaleElementReferenceException]).until(click)


def _cell_text(browser: webdriver.Chrome, selector: str) -> str:
    """The element's text, read again if the dashboard's refresh replaced it meanwhile."""

    def read(driver: webdriver.Chrome) -> list[str]:  # a list: an empty text is an answer too
        return [str(driver.find_element(By.CSS_SELECTOR, selector).text)]

    wait = WebDriverWait(browser, 10, ignored_exceptions=[StaleElementReferenceException])
    return wait.until(read)[0]


def test_dashboard_drives_devices_clock_and_reset(
    browser: webdriver.Chrome, served: tuple[fakeiot.Server, OcClient], tmp_path: Path
) -> None:
    server, client = served
    device_id = client.register_ok(IMEI, timeout=600)
    browser.get(server.url + "/")
    wait = WebDriverWait(browser, 10)

    wait.until(lambda b: device_id in _cell_text(b, "#oceanconnect-devices tbody"))
    assert client.app.app_id in _cell_text(browser, "#oceanconnect-apps tbody")
    assert "OFFLINE/NOT_ACTIVE" in _cell_text(browser, "#oceanconnect-devices tbody")
    assert "600 s" in _cell_text(browser, "#oceanconnect-devices tbody")

    _click(browser, By.XPATH, "//button[text()='Connect']")
    wait.until(lambda b: "ONLINE/NONE" in _cell_text(b, "#oceanconnect-devices tbody"))
    assert client.platform.oceanconnect.device(device_id).activated

    client.register_ok("second-device", timeout=60)  # changed behind the page's back
    wait.until(lambda b: "second-device" in _cell_text(b, "#oceanconnect-devices tbody"))

    before = _cell_text(browser, "#now")
    seconds = browser.find_element(By.ID, "seconds")
    seconds.clear()
    seconds.send_keys("61")
    _click(browser, By.ID, "advance")
    wait.until(lambda b: "second-device" not in _cell_text(b, "#oceanconnect-devices tbody"))
    assert _cell_text(browser, "#now") != before
    assert "deviceCredentials -> 200" in _cell_text(browser, "#calls")
    browser.save_screenshot(str(tmp_path / "dashboard.png"))

    _click(browser, By.XPATH, "//button[text()='Disconnect']")
    wait.until(lambda b: "OFFLINE/NONE" in _cell_text(b, "#oceanconnect-devices tbody"))

    _click(browser, By.ID, "reset")
    wait.until(lambda b: "no devices" in _cell_text(b, "#oceanconnect-devices tbody"))
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
    wait.until(lambda b: IMEI in _cell_text(b, "#oceanconnect-devices tbody"))
    _click(browser, By.XPATH, "//button[text()='Connect']")
    wait.until(lambda b: "expired" in _cell_text(b, "#message"))
    assert oc.device(device_id).status == "OFFLINE"


def test_dashboard_shows_enos_and_drives_its_device_side(
    browser: webdriver.Chrome, served: tuple[fakeiot.Server, OcClient]
) -> None:
    server, client = served
    enos = EnosClient(client.platform)
    product = enos.create_product()
    device = enos.create_device(product)
    browser.get(server.url + "/")
    wait = WebDriverWait(browser, 10)
    wait.until(lambda b: device["assetId"] in _cell_text(b, "#enos-devices tbody"))
    assert enos.org.org_id in _cell_text(browser, "#enos-orgs tbody")
    assert "inactive" in _cell_text(browser, "#enos-devices tbody")
    _click(browser, By.XPATH, "//table[@id='enos-devices']//button[text()='Login']")
    wait.until(lambda b: "online" in _cell_text(b, "#enos-devices tbody"))
    assert client.platform.enos.devices()[0].status == "online"
    _click(browser, By.XPATH, "//table[@id='enos-devices']//button[text()='Logout']")
    wait.until(lambda b: "offline" in _cell_text(b, "#enos-devices tbody"))


def test_the_calls_panel_keeps_the_real_calls_after_minutes_of_polling(
    browser: webdriver.Chrome, served: tuple[fakeiot.Server, OcClient]
) -> None:
    """The page polls every second; 200 polls (over three minutes of polling) and the icon
    requests never push the vendor calls out of the panel."""
    server, client = served
    client.register_ok(IMEI)
    browser.get(server.url + "/")
    wait = WebDriverWait(browser, 10)
    wait.until(lambda b: "deviceCredentials -> 200" in _cell_text(b, "#calls"))
    with requests.Session() as session:
        for _ in range(200):
            session.get(server.url + "/_fakeiot/api/overview", timeout=5)
        assert session.get(server.url + "/favicon.ico", timeout=5).status_code == 200
    time.sleep(1.5)  # at least one more poll of the page itself
    assert "deviceCredentials -> 200" in _cell_text(browser, "#calls")
    assert "favicon" not in _cell_text(browser, "#calls")
    assert browser.find_element(By.ID, "clock-controls").is_displayed() is not False


def test_clock_controls_only_with_a_manual_clock(browser: webdriver.Chrome) -> None:
    with fakeiot.Server(fakeiot.Platform(seed=0)) as server:
        browser.get(server.url + "/")
        wait = WebDriverWait(browser, 10)
        wait.until(lambda b: "(real)" in _cell_text(b, "#clockkind"))
        assert not browser.find_element(By.ID, "clock-controls").is_displayed()
