# SPDX-License-Identifier: Apache-2.0
"""The web UI in headless Chromium (Debian's /usr/bin/chromium and /usr/bin/chromedriver, Selenium
4): log in, watch a device appear, open it, read, write, observe with a live chart, see a failed
request as an error, the event log, log out; a fresh profile is refused by the API. The page must
log no error in the browser console (the 401 of the login check and of a wrong password aside).

Screenshots (console-login.png, console-devices.png, console-device.png, console-observe.png,
console-error.png, the names docs/CONSOLE.md shows): into $ZEELOS_SCREENSHOT_DIR, or docs/img/ with
ZEELOS_UPDATE_SCREENSHOTS=1, else the test's temporary directory.  Every wait is on a condition."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from console_env import CHROMEDRIVER, CHROMIUM, PASSWORDS
from gateway_proc import ROOT

pytestmark = pytest.mark.browser


# ------------------------------------------------------------------ browser plumbing
def make_driver(profile: Path) -> webdriver.Chrome:
    o = webdriver.ChromeOptions()
    o.binary_location = CHROMIUM
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
              "--disable-background-networking", "--disable-component-update", "--disable-sync",
              "--disable-dev-shm-usage", "--window-size=1280,800", f"--user-data-dir={profile}"):
        o.add_argument(a)
    o.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    d = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=o)
    d.set_page_load_timeout(30)
    return d


def sel(testid: str, **attrs) -> str:
    s = f'[data-testid="{testid}"]'
    for k, v in attrs.items():
        s += f'[data-{k.replace("_", "-")}="{v}"]'
    return s


def wait(driver, cond, timeout: float = 15, what: str = ""):
    try:
        return WebDriverWait(driver, timeout, poll_frequency=0.1,
                             ignored_exceptions=(StaleElementReferenceException,)).until(lambda d: cond(d))
    except TimeoutException:
        raise AssertionError(f"timed out after {timeout}s waiting for {what or cond}; page at {driver.current_url}:\n"
                             f"{driver.find_element(By.TAG_NAME, 'body').text[:1500]}") from None


def visible(driver, css: str, root=None):
    """The first visible element matching css (under root), or None."""
    for el in (root or driver).find_elements(By.CSS_SELECTOR, css):
        if el.is_displayed():
            return el
    return None


def shown(driver, css: str, root=None) -> bool:
    return visible(driver, css, root) is not None


def wait_visible(driver, css: str, timeout: float = 15, root=None):
    return wait(driver, lambda d: visible(d, css, root), timeout, f"a visible {css}")


def results(driver) -> list[tuple]:
    return [(el.id, el.get_attribute("data-status"), el.text) for el in
            driver.find_elements(By.CSS_SELECTOR, sel("op-result"))]


def wait_result(driver, before: list[tuple], statuses=("success", "error", "queued"), timeout: float = 20):
    """The op-result element that appeared or changed since the snapshot before, once its
    data-status is one of statuses; returns (element, status, text)."""
    def new(d):
        for el in d.find_elements(By.CSS_SELECTOR, sel("op-result")):
            key = (el.id, el.get_attribute("data-status"), el.text)
            if key not in before and key[1] in statuses:
                return el, key[1], key[2]
        return None
    return wait(driver, new, timeout, f"a new op-result with data-status in {statuses}")


def type_into(el, text: str):
    el.click()
    el.send_keys(Keys.CONTROL, "a")
    el.send_keys(Keys.DELETE)
    el.send_keys(text)


def severe_logs(driver) -> list[str]:
    """SEVERE browser-console entries except the expected 401s of /api/session (the page's
    session check before a login, and the wrong-password attempt)."""
    out = []
    for e in driver.get_log("browser"):
        if e.get("level") != "SEVERE":
            continue
        msg = e.get("message", "")
        if "/api/session" in msg and "401" in msg:
            continue
        out.append(msg)
    return out


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    d = os.environ.get("ZEELOS_SCREENSHOT_DIR")
    if d:
        p = Path(d)
    elif os.environ.get("ZEELOS_UPDATE_SCREENSHOTS") == "1":
        p = ROOT / "docs" / "img"
    else:
        p = tmp_path_factory.mktemp("screenshots")
    p.mkdir(parents=True, exist_ok=True)
    return p


def shot(driver, shots: Path, name: str, center=None):
    """Saves console-<name>.png, the element center (a CSS selector) scrolled to the middle first."""
    if center:
        el = visible(driver, center)
        if el is not None:
            driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", el)
    assert driver.save_screenshot(str(shots / f"console-{name}.png")), name


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    d = make_driver(tmp_path_factory.mktemp("chromium-profile"))
    yield d
    d.quit()


@pytest.fixture
def page(browser, console):
    """The module's browser; after the test, no unexpected error in its console."""
    yield browser
    bad = severe_logs(browser)
    assert not bad, "the page logged errors:\n  " + "\n  ".join(bad)


def current_user(d) -> str:
    el = visible(d, sel("current-user"))
    return el.text.strip() if el else ""


def ensure_logged_in(d, console):
    """Logged in as alice (logs in when the page shows no current user)."""
    if not d.current_url.startswith(console.url):
        d.get(console.url + "/")
    wait(d, lambda d: current_user(d) or visible(d, sel("login-user")), 15, "the login form or the user")
    if current_user(d) != "alice":
        type_into(wait_visible(d, sel("login-user")), "alice")
        type_into(visible(d, sel("login-password")), PASSWORDS["alice"])
        visible(d, sel("login-submit")).click()
        wait(d, lambda d: current_user(d) == "alice", 15, "alice logged in")


def open_device(d, console, gw, ep):
    ensure_logged_in(d, console)
    d.get(f"{console.url}/#/device/{gw}/{ep}")
    wait(d, lambda d: ep in (visible(d, sel("device-title")).text if visible(d, sel("device-title")) else ""), 15,
         f"the device page of {ep}")


def row(d, path: str):
    return wait_visible(d, sel("resource-row", path=path), 15)


def click_in(d, row_css: str, button: str):
    r = wait_visible(d, row_css)
    b = wait(d, lambda d: visible(d, sel(button), r), 10, f"{button} in {row_css}")
    b.click()


def row_value(d, path: str) -> str:
    r = visible(d, sel("resource-row", path=path))
    v = visible(d, sel("resource-value"), r) if r else None
    return v.text.strip() if v else ""


# ------------------------------------------------------------------ the tests (in order: one browser)
def test_login_and_the_device_list(page, console, gw1, devices, admin, shots):
    d = page
    d.get(console.url + "/")
    user = wait_visible(d, sel("login-user"))
    shot(d, shots, "login")
    problems = []  # what the page shows that it should not: reported at the end, the flow goes on
    if shown(d, sel("device-row")):
        problems.append("devices are shown before a login")
    if shown(d, sel("logout")):
        problems.append("a logout button is shown before a login (the `hidden` of its box has no effect?)")
    type_into(user, "alice")
    type_into(visible(d, sel("login-password")), "not-the-password")
    visible(d, sel("login-submit")).click()
    err = wait_visible(d, sel("login-error"))
    assert err.text.strip(), "the login error says nothing"
    assert not current_user(d), "a user is shown after a wrong password"
    type_into(visible(d, sel("login-password")), PASSWORDS["alice"])
    visible(d, sel("login-submit")).click()
    wait(d, lambda d: current_user(d) == "alice", 15, "current-user alice")
    wait_visible(d, sel("gateway-row", gateway=gw1.id))
    if shown(d, sel("login-user")) or shown(d, sel("login-submit")):
        problems.append("the login form is still shown after the login (the `hidden` of its section has no effect?)")
    if shown(d, sel("login-error")):
        problems.append("the login error is still shown after the login")

    dev = devices(gw1)
    css = sel("device-row", endpoint=dev.ep, gateway=gw1.id)
    r = wait_visible(d, css, 20)  # the list follows the event stream: no reload
    st = wait(d, lambda d: visible(d, sel("device-status"), visible(d, css)), 10, "device-status")
    wait(d, lambda d: "online" in (visible(d, sel("device-status"), visible(d, css)).text.lower() +
                                   (visible(d, sel("device-status"), visible(d, css)).get_attribute("data-status")
                                    or "")), 10, "the device shown online")
    assert st is not None and r is not None
    shot(d, shots, "devices")
    # search narrows the list to the device
    type_into(wait_visible(d, sel("device-search")), dev.ep)
    wait(d, lambda d: all(dev.ep in (el.get_attribute("data-endpoint") or "")
                          for el in d.find_elements(By.CSS_SELECTOR, sel("device-row")) if el.is_displayed())
         and visible(d, css), 10, "the search to leave only the device")
    type_into(visible(d, sel("device-search")), "")
    assert not problems, "; ".join(problems)


def test_device_page_read_write_observe(page, console, gw1, devices, admin, shots):
    d = page
    dev = devices(gw1)
    admin.wait_client(dev.ep)
    ensure_logged_in(d, console)
    # open it from the list
    d.get(console.url + "/#/")
    r = wait_visible(d, sel("device-row", endpoint=dev.ep))
    (visible(d, "a", r) or r).click()
    wait(d, lambda d: f"#/device/{gw1.id}/{dev.ep}" in d.current_url, 10, "the device route")
    title = wait_visible(d, sel("device-title"))
    assert dev.ep in title.text
    wait_visible(d, sel("object-row", path="/3"))
    wait_visible(d, sel("instance-row", path="/3303/0"))

    before = results(d)
    click_in(d, sel("resource-row", path="/3/0/0"), "btn-read")
    _, status, _ = wait_result(d, before)
    assert status == "success"
    wait(d, lambda d: "ACME" in row_value(d, "/3/0/0"), 10, "ACME in /3/0/0's resource-value")

    before = results(d)
    click_in(d, sel("resource-row", path="/3/0/14"), "btn-write")
    dialog = wait_visible(d, sel("write-dialog"))
    type_into(wait_visible(d, sel("write-value"), root=dialog), "+07:00")
    visible(d, sel("write-submit"), dialog).click()
    _, status, text = wait_result(d, before)
    assert status == "success", text
    assert dev.value((3, 0, 14)) == "+07:00"
    before = results(d)
    click_in(d, sel("resource-row", path="/3/0/14"), "btn-read")
    wait_result(d, before)
    wait(d, lambda d: "+07:00" in row_value(d, "/3/0/14"), 10, "+07:00 read back")
    shot(d, shots, "device", sel("resource-row", path="/3/0/1"))

    before = results(d)
    click_in(d, sel("resource-row", path="/3303/0/5700"), "btn-observe")
    _, status, _ = wait_result(d, before)
    assert status == "success"
    dev.wait_observers((3303, 0, 5700), 1)
    first = row_value(d, "/3303/0/5700")
    dev.start_ticking()
    chart = wait_visible(d, sel("resource-chart"), 15)
    assert chart.tag_name.lower() == "svg"

    def points(d):
        r = visible(d, sel("resource-row", path="/3303/0/5700"))
        c = (visible(d, sel("resource-chart"), r) if r else None) or visible(d, sel("resource-chart"))
        try:
            return int(c.get_attribute("data-points") or 0) if c else 0
        except ValueError:
            return 0
    n0 = points(d)
    wait(d, lambda d: points(d) >= max(3, n0 + 2), 15, "the chart to grow by live notifications")
    wait(d, lambda d: row_value(d, "/3303/0/5700") not in ("", first), 10, "the value to change in place")
    shot(d, shots, "observe", sel("resource-row", path="/3303/0/5700"))
    dev.stop_ticking()
    before = results(d)
    click_in(d, sel("resource-row", path="/3303/0/5700"), "btn-cancel-observe")
    _, status, _ = wait_result(d, before)
    assert status == "success"
    dev.wait_observers((3303, 0, 5700), 0)


def test_failed_request_shows_an_error(page, console, gw1, devices, admin, shots):
    """An instance the device announced but does not have: its 4.04 is shown as an error with
    the code."""
    d = page
    dev = devices(gw1, unregistered=True)
    gw1.register(dev, links=dev.links() + b",</3303/5>")
    admin.wait_client(dev.ep)
    open_device(d, console, gw1.id, dev.ep)
    wait_visible(d, sel("instance-row", path="/3303/5"))
    before = results(d)
    click_in(d, sel("resource-row", path="/3303/5/5700"), "btn-read")
    _, status, text = wait_result(d, before)
    assert status == "error", text
    assert "NOT_FOUND" in text or "not found" in text.lower(), text
    shot(d, shots, "error", sel("op-result"))


def test_composite_read(page, console, gw1, devices, admin):
    """The composite bar: two paths read in one request fill both resource cells."""
    from test_composite import CompositeDevice  # tests/e2e: FETCH on "/" written with json/cbor2
    d = page
    dev = devices(gw1, cls=CompositeDevice, register={"version": "1.1"})
    admin.wait_client(dev.ep)
    open_device(d, console, gw1.id, dev.ep)
    type_into(wait_visible(d, sel("composite-paths")), "/3/0/0,/3303/1/5700")
    before = results(d)
    wait_visible(d, sel("composite-read")).click()
    _, status, text = wait_result(d, before)
    assert status == "success", text
    wait(d, lambda d: row_value(d, "/3/0/0") == "ACME" and row_value(d, "/3303/1/5700") == "18.25", 10,
         "both values of the composite read in their cells")
    assert any(e[0] == "FETCH" for e in dev.log), "no FETCH reached the device"


def test_event_log_page(page, console, gw1, devices, admin):
    d = page
    dev = devices(gw1)
    admin.wait_client(dev.ep)
    ensure_logged_in(d, console)
    wait_visible(d, sel("nav-events")).click()
    wait(d, lambda d: "#/events" in d.current_url, 10, "the events route")
    wait_visible(d, sel("event-log"))
    wait_visible(d, sel("event-item", type="registration"))
    n = len(d.find_elements(By.CSS_SELECTOR, sel("event-item", type="request")))
    admin.op("GET", dev.ep, "/3/0/0")
    wait(d, lambda d: len(d.find_elements(By.CSS_SELECTOR, sel("event-item", type="request"))) > n, 15,
         "the request to appear live in the event log")
    wait_visible(d, sel("nav-home")).click()
    wait(d, lambda d: d.current_url.endswith("#/") or d.current_url.endswith("/"), 10, "home")


def test_logout(page, console):
    d = page
    ensure_logged_in(d, console)
    wait_visible(d, sel("logout")).click()
    wait_visible(d, sel("login-user"), 10)
    wait(d, lambda d: not current_user(d), 10, "the user name to go")
    d.get(console.url + "/")
    wait_visible(d, sel("login-user"), 10)  # a reload does not log back in
    assert not current_user(d) and not shown(d, sel("device-row"))
    assert not shown(d, sel("logout")), "a logout button is shown after the logout"


def test_a_fresh_profile_is_refused(console, tmp_path):
    """A browser without the session cookie: the API answers 401 JSON, the page asks for a login."""
    d = make_driver(tmp_path / "fresh")
    try:
        d.get(console.url + "/api/clients")
        body = d.find_element(By.TAG_NAME, "body").text
        data = json.loads(body)
        assert data["code"] == "unauthorized", data
        got = d.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "fetch('/api/gateways').then(r => r.json().then(j => done([r.status, j]))).catch(e => done(['x', String(e)]));")
        assert got[0] == 401 and got[1]["code"] == "unauthorized", got
        d.get(console.url + "/")
        wait_visible(d, sel("login-user"))
        assert not shown(d, sel("device-row"))
    finally:
        d.quit()
