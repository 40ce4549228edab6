"""The booking widget in a real, offline Chromium (issue 17): a visitor in another zone than the
business books, the booking is the API's, a second browser racing for the slot is told, the
signed links reschedule and cancel, the Spanish page, a booking made with the keyboard alone,
axe-core finds nothing serious, and the page holds at 360 px wide.

Screenshots of each step go to `$OPENCALENDARS_WIDGET_SCREENSHOTS` (default
/tmp/widget-screenshots), kept by CI as artifacts.
"""

import base64
import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from api.slot_helpers import make_calendar
from support.api import ADMIN_HEADERS, create_tenant
from support.browser import offline_chromium, require_browser
from support.databases import fresh_database
from widget.helpers import NOW, ZONE
from widget.live import widget_server

pytestmark = pytest.mark.slow

SHOTS = Path(os.environ.get("OPENCALENDARS_WIDGET_SCREENSHOTS", "/tmp/widget-screenshots"))
AXE_DIR = Path(__file__).parent / "axe"
AXE_JS = AXE_DIR / "node_modules" / "axe-core" / "axe.min.js"
WAIT_SECONDS = 30
MAX_TABS = 200
# 09:00 in New York on Tuesday March 3, 2026 is 15:00 in Madrid.
MADRID = "Europe/Madrid"
TUESDAY_NINE_MADRID = "2026-03-03T15:00:00+01:00"
PERSON = {"firstName": "Lucía", "lastName": "Pérez", "email": "lucia@example.com"}


# --- the server, the API, the browser ---------------------------------------------------------


@pytest.fixture(scope="module")
def base_url(tmp_path_factory):
    require_browser()
    directory = tmp_path_factory.mktemp("widget-browser")
    with fresh_database(directory) as url, widget_server(url) as base:
        with httpx.Client(base_url=base, timeout=30) as admin:
            frozen = admin.put("/admin/clock", json={"now": NOW}, headers=ADMIN_HEADERS)
            assert frozen.status_code == 200, frozen.text
        yield base


@pytest.fixture
def api(base_url):
    with httpx.Client(base_url=base_url, timeout=30) as client:
        yield client


@pytest.fixture
def tenant(api):
    return create_tenant(api, timezone=ZONE, require_contacts=True)


@pytest.fixture(scope="module", autouse=True)
def screenshots():
    SHOTS.mkdir(parents=True, exist_ok=True)
    return SHOTS


def shot(driver, name: str) -> Path:
    """The whole page (beyond the window) as a PNG."""
    metrics = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})
    size = metrics["cssContentSize"]
    picture = driver.execute_cdp_cmd(
        "Page.captureScreenshot",
        {
            "format": "png",
            "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1},
        },
    )
    path = SHOTS / f"{name}.png"
    path.write_bytes(base64.b64decode(picture["data"]))
    return path


def in_zone(driver, zone: str) -> None:
    driver.execute_cdp_cmd("Emulation.setTimezoneOverride", {"timezoneId": zone})


def phone_sized(driver, width: int = 360, height: int = 780) -> None:
    """A phone's viewport (a headless window is at least 500 px wide)."""
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": True},
    )


def speaking(driver, accept_language: str) -> None:
    agent = driver.execute_script("return navigator.userAgent")
    driver.execute_cdp_cmd(
        "Emulation.setUserAgentOverride", {"userAgent": agent, "acceptLanguage": accept_language}
    )


def waiter(driver):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, WAIT_SECONDS)


def by_css(driver, selector: str):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as shown

    return waiter(driver).until(shown.presence_of_element_located((By.CSS_SELECTOR, selector)))


def click(driver, selector: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as shown

    waiter(driver).until(shown.element_to_be_clickable((By.CSS_SELECTOR, selector))).click()


def fill(driver, values: dict) -> None:
    for name, value in values.items():
        field = by_css(driver, f"#{name}")
        field.clear()
        field.send_keys(value)


def events_of(tenant, calendar_id: str) -> list[dict]:
    response = tenant.get(
        "/calendars/events",
        params={
            "locationId": tenant.location_id,
            "calendarId": calendar_id,
            "startTime": 1772000000000,
            "endTime": 1775000000000,
        },
    )
    assert response.status_code == 200, response.text
    return response.json()["events"]


def contact_named(tenant, email: str) -> dict:
    response = tenant.get(
        "/contacts/search/duplicate", params={"locationId": tenant.location_id, "email": email}
    )
    assert response.status_code == 200, response.text
    return response.json()["contact"]


def calendar_of(tenant, members=("ann",), **settings) -> str:
    return make_calendar(
        tenant,
        members=members,
        days=("monday", "tuesday", "wednesday"),
        hours=(("09:00", "12:00"),),
        **{
            "name": "Dental check-up",
            "description": "A 30-minute check-up with our hygienist.\n"
            "Please arrive 5 minutes early.",
            "eventColor": "#0F766E",
            **settings,
        },
    )


def console_errors(driver) -> list[dict]:
    return [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


# --- axe-core ---------------------------------------------------------------------------------


def axe_source() -> str:
    """axe-core from the npm registry (tests/browser/axe, pinned by its package-lock.json)."""
    if not AXE_JS.is_file():
        npm = shutil.which("npm")
        if npm is None:
            if os.environ.get("CI") == "true":
                pytest.fail("CI=true and npm is missing: axe-core cannot be installed")
            pytest.skip("npm is not installed: axe-core cannot be installed")
        subprocess.run(
            [npm, "ci", "--prefix", str(AXE_DIR), "--no-audit", "--no-fund", "--ignore-scripts"],
            check=True,
            timeout=300,
        )
    return AXE_JS.read_text()


def serious_violations(driver) -> list[dict]:
    driver.execute_script(axe_source())
    violations = driver.execute_async_script(
        """
        const done = arguments[arguments.length - 1];
        axe.run(document, {resultTypes: ["violations"]}).then(
          (result) => done(result.violations.map((v) => ({
            id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.slice(0, 5).map((n) => n.target.join(" ")),
          }))),
          (error) => done([{id: "axe-error", impact: "critical", help: String(error)}]),
        );
        """
    )
    return [v for v in violations if v["impact"] in ("serious", "critical")]


# --- the tests --------------------------------------------------------------------------------


def test_a_visitor_in_madrid_books_a_new_york_calendar(base_url, tenant, tmp_path):
    calendar_id = calendar_of(
        tenant, consentLabel="I agree to be contacted about this visit.", widgetType="default"
    )
    with offline_chromium(tmp_path / "profile", width=1100, height=1000) as driver:
        driver.set_script_timeout(60)
        in_zone(driver, MADRID)
        driver.get(f"{base_url}/widget/booking/{calendar_id}")
        # The page reopens itself in the browser's zone.
        waiter(driver).until(lambda d: "timezone=Europe%2FMadrid" in d.current_url)
        by_css(driver, "a.day.available")
        assert by_css(driver, "#timezone").get_attribute("value") == MADRID
        assert "Dental check-up" in by_css(driver, "h1").text
        shot(driver, "01-month-en")
        assert serious_violations(driver) == []

        click(driver, 'a.day[href*="date=2026-03-03"]')
        waiter(driver).until(lambda d: "date=2026-03-03" in d.current_url)
        assert by_css(driver, "#slots-title").text == "Tuesday, March 3, 2026"
        shot(driver, "02-day-en")
        click(driver, f'a.slot[data-slot="{TUESDAY_NINE_MADRID}"]')
        by_css(driver, "#booking-form")
        assert "3:00\u202fPM" in by_css(driver, ".chosen-time").text
        fill(driver, {**PERSON, "phone": "+34 612 345 678", "notes": "First visit"})
        click(driver, "#consent")
        shot(driver, "03-form-en")
        assert serious_violations(driver) == []
        click(driver, "#booking-form button[type=submit]")

        done = by_css(driver, "h1#done")
        assert done.text == "Your appointment is confirmed"
        summary = by_css(driver, ".summary").text
        assert "Tuesday, March 3, 2026" in summary
        assert "3:00\u202fPM \u2013 3:30\u202fPM" in summary
        assert MADRID in summary
        shot(driver, "04-confirmed-en")
        assert serious_violations(driver) == []

        (event,) = events_of(tenant, calendar_id)
        assert event["startTime"] == "2026-03-03T09:00:00-05:00"
        contact = contact_named(tenant, PERSON["email"])
        assert event["contactId"] == contact["id"]
        assert contact["firstName"] == "Lucía"
        assert contact["phone"] == "+34612345678"
        assert contact["timezone"] == MADRID

        # The booked slot is gone from the page.
        driver.get(
            f"{base_url}/widget/booking/{calendar_id}?timezone=Europe%2FMadrid&date=2026-03-03"
        )
        by_css(driver, "a.slot")
        offered = [
            e.get_attribute("data-slot") for e in driver.find_elements("css selector", "a.slot")
        ]
        assert TUESDAY_NINE_MADRID not in offered
        assert "2026-03-03T15:30:00+01:00" in offered
        # Everything came from this server; nothing broke the page's policy.
        loaded = driver.execute_script(
            "return performance.getEntriesByType('resource').map(entry => entry.name)"
        )
        assert [url for url in loaded if not url.startswith(base_url)] == []
        assert console_errors(driver) == []


def test_a_second_browser_racing_for_the_slot_is_told(base_url, tenant, tmp_path):
    calendar_id = calendar_of(tenant)
    slot = "2026-03-02T09:00:00-05:00"
    form_url = f"{base_url}/widget/booking/{calendar_id}?timezone=America%2FNew_York&slot=" + (
        slot.replace("+", "%2B").replace(":", "%3A")
    )
    with (
        offline_chromium(tmp_path / "first", width=900, height=1000) as first,
        offline_chromium(tmp_path / "second", width=900, height=1000) as second,
    ):
        for driver in (first, second):
            driver.get(form_url)
            by_css(driver, "#booking-form")
        fill(first, {"firstName": "Ann", "lastName": "First", "email": "first@example.com"})
        fill(second, {"firstName": "Bo", "lastName": "Second", "email": "second@example.com"})
        click(first, "#booking-form button[type=submit]")
        assert by_css(first, "h1#done").text == "Your appointment is confirmed"
        click(second, "#booking-form button[type=submit]")
        alert = by_css(second, "#alert")
        assert alert.text == "The slot you have selected is no longer available."
        # Fresh slots of that day, without the one taken.
        offered = [
            e.get_attribute("data-slot") for e in second.find_elements("css selector", "a.slot")
        ]
        assert offered and slot not in offered
        assert second.switch_to.active_element.get_attribute("id") == "alert"
        shot(second, "05-slot-taken-en")
    (event,) = events_of(tenant, calendar_id)
    assert event["contactId"] == contact_named(tenant, "first@example.com")["id"]


def test_reschedule_and_cancel_through_the_links(base_url, tenant, tmp_path):
    calendar_id = calendar_of(tenant)
    with offline_chromium(tmp_path / "profile", width=1000, height=1000) as driver:
        driver.get(
            f"{base_url}/widget/booking/{calendar_id}?timezone=America%2FNew_York"
            "&slot=2026-03-02T10%3A00%3A00-05%3A00"
        )
        fill(driver, {"firstName": "Cy", "lastName": "Moss", "email": "cy@example.com"})
        click(driver, "#booking-form button[type=submit]")
        by_css(driver, "h1#done")
        (event,) = events_of(tenant, calendar_id)

        click(driver, 'a[href^="/widget/reschedule/"]')
        assert "Choose a new date and time" in by_css(driver, "#pick-title").text
        click(driver, 'a.day[href*="date=2026-03-04"]')
        click(driver, 'a.slot[data-slot="2026-03-04T11:00:00-05:00"]')
        shot(driver, "06-reschedule-en")
        assert serious_violations(driver) == []
        click(driver, "#booking-form button[type=submit]")
        assert by_css(driver, "h1#done").text == "Your appointment has been moved"
        moved = tenant.get(f"/calendars/events/appointments/{event['id']}").json()["appointment"]
        assert moved["startTime"] == "2026-03-04T11:00:00-05:00"

        click(driver, 'a[href^="/widget/cancel/"]')
        assert by_css(driver, "h1").text == "Cancel this appointment?"
        shot(driver, "07-cancel-en")
        assert serious_violations(driver) == []
        click(driver, "form button[type=submit]")
        assert by_css(driver, "h1#done").text == "Your appointment has been cancelled"
        shot(driver, "08-cancelled-en")
        gone = tenant.get(f"/calendars/events/appointments/{event['id']}").json()["appointment"]
        assert gone["appointmentStatus"] == "cancelled"
        assert driver.find_elements("css selector", 'a[href^="/widget/cancel/"]') == []


def test_the_spanish_page_at_360_px(base_url, tenant, tmp_path):
    calendar_id = calendar_of(tenant, guestType="count_only")
    with offline_chromium(tmp_path / "profile", width=600, height=800) as driver:
        phone_sized(driver)
        speaking(driver, "es-ES,es;q=0.9")
        in_zone(driver, MADRID)
        driver.get(f"{base_url}/widget/booking/{calendar_id}")
        waiter(driver).until(lambda d: "timezone=Europe%2FMadrid" in d.current_url)
        assert by_css(driver, "html").get_attribute("lang") == "es"
        assert by_css(driver, "#pick-title").text == "Elige una fecha y una hora"
        assert by_css(driver, ".month-title").text.lower() == "marzo de 2026"
        assert by_css(driver, "#slots-title").text.lower() == "lunes, 2 de marzo de 2026"
        assert driver.execute_script("return window.innerWidth") <= 360
        wide = driver.execute_script("return document.documentElement.scrollWidth")
        assert wide <= driver.execute_script("return window.innerWidth"), "scrolls sideways"
        shot(driver, "09-month-es-360")
        assert serious_violations(driver) == []
        click(driver, 'a.slot[data-slot="2026-03-02T15:00:00+01:00"]')
        by_css(driver, "#booking-form")
        assert by_css(driver, "label[for=firstName]").text.startswith("Nombre")
        fill(driver, {"firstName": "Lucía", "lastName": "Pérez", "email": "l@example.com"})
        # A phone the location cannot read: refused next to the field, in Spanish.
        fill(driver, {"phone": "555-0100"})
        click(driver, "#booking-form button[type=submit]")
        error = by_css(driver, "#phone-error")
        assert error.text.startswith("phone debe ser un número de teléfono válido")
        assert driver.switch_to.active_element.get_attribute("id") == "phone"
        assert driver.execute_script("return document.documentElement.scrollWidth") <= 360
        shot(driver, "10-form-error-es-360")
        assert serious_violations(driver) == []
        fill(driver, {"phone": "+34 612 345 678"})
        click(driver, "#booking-form button[type=submit]")
        assert by_css(driver, "h1#done").text == "Tu cita está confirmada"
        assert "Lunes, 2 de marzo de 2026" in by_css(driver, ".summary").text
        shot(driver, "11-confirmed-es-360")
        assert serious_violations(driver) == []


def test_a_booking_with_the_keyboard_alone(base_url, tenant, tmp_path):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    calendar_id = calendar_of(tenant, consentLabel="I agree to the clinic's privacy policy.")
    with offline_chromium(tmp_path / "profile", width=1100, height=1000) as driver:

        def press(key: str) -> None:
            ActionChains(driver).send_keys(key).perform()

        def type_text(text: str) -> None:
            ActionChains(driver).send_keys(text).perform()

        def focused(selector: str) -> bool:
            return driver.execute_script(
                "return document.activeElement && document.activeElement.matches(arguments[0])",
                selector,
            )

        def tab_to(selector: str) -> None:
            for _ in range(MAX_TABS):
                if focused(selector):
                    return
                press(Keys.TAB)
            raise AssertionError(f"{selector} cannot be reached with TAB")

        driver.get(f"{base_url}/widget/booking/{calendar_id}?timezone=America%2FNew_York")
        by_css(driver, "a.day.available")
        tab_to('a.day[href*="date=2026-03-04"]')
        press(Keys.ENTER)
        waiter(driver).until(lambda d: "date=2026-03-04" in d.current_url)
        by_css(driver, "#slots-title")
        tab_to('a.slot[data-slot="2026-03-04T09:30:00-05:00"]')
        press(Keys.ENTER)
        by_css(driver, "#booking-form")
        tab_to("#firstName")
        type_text("Kay")
        press(Keys.TAB)
        assert focused("#lastName")
        type_text("Board")
        press(Keys.TAB)
        assert focused("#email")
        type_text("kay@example.com")
        tab_to("#consent")
        press(Keys.SPACE)
        assert driver.execute_script("return document.getElementById('consent').checked")
        tab_to("#booking-form button[type=submit]")
        shot(driver, "12-keyboard-en")
        press(Keys.ENTER)
        assert by_css(driver, "h1#done").text == "Your appointment is confirmed"
    (event,) = events_of(tenant, calendar_id)
    assert event["startTime"] == "2026-03-04T09:30:00-05:00"
    assert event["contactId"] == contact_named(tenant, "kay@example.com")["id"]


@contextmanager
def host_site(html: str) -> Iterator[str]:
    """A business's own site on another origin (another loopback port) with `html` at /."""
    body = html.encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200 if self.path == "/" else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body) if self.path == "/" else 0))
            self.end_headers()
            if self.path == "/":
                self.wfile.write(body)

        def log_message(self, *_args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_the_embed_snippet_puts_the_widget_on_another_site(base_url, tenant, tmp_path):

    calendar_id = calendar_of(tenant)
    snippet = f'<script src="{base_url}/widget/embed/{calendar_id}.js" data-lang="es"></script>'
    page = (
        "<!DOCTYPE html><html lang='en'><head><title>Smile Dental</title></head><body>"
        f"<h1>Smile Dental</h1><p>Book below.</p>{snippet}<p>Thanks!</p></body></html>"
    )
    with (
        host_site(page) as site,
        offline_chromium(tmp_path / "profile", width=1000, height=900) as driver,
    ):
        driver.get(site)
        frame = by_css(driver, "iframe")
        assert frame.get_attribute("src") == f"{base_url}/widget/booking/{calendar_id}?lang=es"
        # Right where the script tag is, before the paragraph after it.
        following = driver.execute_script(
            "return arguments[0].nextElementSibling.textContent", frame
        )
        assert following == "Thanks!"
        driver.switch_to.frame(frame)
        assert by_css(driver, "#pick-title").text == "Elige una fecha y una hora"
        by_css(driver, "a.slot")
        driver.switch_to.default_content()
        # The widget tells the page how tall it is.
        waiter(driver).until(lambda d: frame.size["height"] > 640)
        shot(driver, "14-embedded-es")


def test_the_group_page_and_the_404_page_pass_axe(base_url, tenant, tmp_path):
    group = tenant.post(
        "/calendars/groups",
        json={
            "locationId": tenant.location_id,
            "name": "Smile Dental",
            "description": "Book any of our services.",
            "slug": "smile-dental",
        },
    )
    assert group.status_code == 201, group.text
    group_id = group.json()["group"]["id"]
    calendar_of(tenant, groupId=group_id)
    calendar_of(
        tenant,
        members=("bob",),
        groupId=group_id,
        name="Teeth whitening",
        description="One hour, with a follow-up call.",
        slotDuration=60,
        eventColor="#FACC15",
    )
    with offline_chromium(tmp_path / "profile", width=900, height=900) as driver:
        driver.get(f"{base_url}/widget/group/{group_id}")
        assert len(driver.find_elements("css selector", "a.calendar-link")) == 2
        shot(driver, "13-group-en")
        assert serious_violations(driver) == []
        driver.get(f"{base_url}/widget/booking/no-such-calendar?lang=es")
        assert by_css(driver, "h1").text == "Esta página no existe"
        assert serious_violations(driver) == []
