"""`/docs` in a real browser that cannot reach the internet: authorize with a location's token,
book an appointment through "Try it out", and find it through the API (issue 20)."""

import json
import os
from pathlib import Path

import httpx
import pytest

from api.slot_helpers import make_calendar
from support.api import ADMIN_HEADERS, create_tenant
from support.browser import offline_chromium, require_browser
from support.databases import fresh_database
from support.server import live_server

pytestmark = pytest.mark.slow

SCREENSHOT = Path(os.environ.get("OPENCALENDARS_DOCS_SCREENSHOT", "/tmp/docs_page.png"))
NOW = "2026-02-27T12:00:00Z"
NINE = "2026-03-02T09:00:00-05:00"
WAIT_SECONDS = 30
CDN_SWAGGER_JS = "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui-bundle.js"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    require_browser()
    directory = tmp_path_factory.mktemp("docs-page")
    with fresh_database(directory) as url, live_server(url, directory) as server:
        yield server


@pytest.fixture
def api(served):
    with httpx.Client(base_url=served.base_url, timeout=30) as client:
        frozen = client.put("/admin/clock", json={"now": NOW}, headers=ADMIN_HEADERS)
        assert frozen.status_code == 200, frozen.text
        yield client
        client.delete("/admin/clock", headers=ADMIN_HEADERS)


def test_booking_through_try_it_out_in_an_offline_browser(served, api, tmp_path):
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as shown
    from selenium.webdriver.support.ui import Select, WebDriverWait

    tenant = create_tenant(api, timezone="America/New_York", name="Docs page")
    calendar_id = make_calendar(tenant, hours=(("09:00", "11:00"),))
    body = {
        "calendarId": calendar_id,
        "locationId": tenant.location_id,
        "contactId": "contact-docs",
        "startTime": NINE,
        "title": "Booked from /docs",
    }

    with offline_chromium(tmp_path / "profile", height=2400) as driver:
        wait = WebDriverWait(driver, WAIT_SECONDS)
        # The precondition: the CDN FastAPI's own page would load Swagger UI from is unreachable.
        with pytest.raises(WebDriverException, match="ERR_NAME_NOT_RESOLVED"):
            driver.get(CDN_SWAGGER_JS)

        def css(selector, root=None):
            return wait.until(lambda _: (root or driver).find_element(By.CSS_SELECTOR, selector))

        driver.get(f"{served.base_url}/docs")
        wait.until(shown.text_to_be_present_in_element((By.CSS_SELECTOR, ".info .title"), "Open"))

        # Authorize: the location's bearer token (the admin key has a form of its own).
        css(".auth-wrapper button.authorize").click()
        bearer = wait.until(
            lambda d: d.find_element(
                By.XPATH,
                "//div[contains(@class, 'auth-container')][.//h4//code[text()='bearer']]",
            )
        )
        css("input", bearer).send_keys(tenant.token)
        css("button.authorize", bearer).click()
        wait.until(lambda _: bearer.find_elements(By.CSS_SELECTOR, "button.authorize") == [])
        css(".modal-ux button.close-modal").click()

        # POST /calendars/events/appointments: Try it out, the spec's body, Execute.
        css("#operations-tag-Calendar_Events").click()
        operation = css("#operations-Calendar_Events-create-appointment")
        css(".opblock-summary-control", operation).click()
        css("button.try-out__btn", operation).click()
        version = Select(css("tr[data-param-name='Version'] select", operation))
        assert version.first_selected_option.text == "2021-07-28"
        editor = css("textarea.body-param__text", operation)
        assert json.loads(editor.get_attribute("value")).keys() >= body.keys()
        editor.send_keys(Keys.CONTROL, "a")
        editor.send_keys(Keys.DELETE)
        editor.send_keys(json.dumps(body))
        css("button.execute", operation).click()

        status = css(".live-responses-table .response .response-col_status", operation)
        wait.until(lambda _: status.text.strip().isdigit())
        answer = css(".live-responses-table .response-col_description pre", operation).text
        driver.execute_script("arguments[0].scrollIntoView({block: 'start'})", operation)
        driver.save_screenshot(str(SCREENSHOT))
        curl = css(".curl-command", operation).text

        assert status.text.strip() == "200", answer
        # Everything the page loaded came from this server.
        loaded = driver.execute_script(
            "return performance.getEntriesByType('resource').map(entry => entry.name)"
        )
        assert loaded, "no resources recorded"
        assert [url for url in loaded if not url.startswith(served.base_url)] == []
        failures = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
        assert failures == []
        # persistAuthorization: the token is kept for the next visit.
        kept = json.loads(driver.execute_script("return localStorage.getItem('authorized')"))
        assert kept["bearer"]["value"] == tenant.token

    assert f"Bearer {tenant.token}" in curl
    assert "Version: 2021-07-28" in curl
    booked = json.loads(answer)
    found = tenant.get(f"/calendars/events/appointments/{booked['id']}")
    assert found.status_code == 200, found.text
    event = found.json()["event"]
    assert (event["calendarId"], event["contactId"], event["title"]) == (
        calendar_id,
        "contact-docs",
        "Booked from /docs",
    )
    assert event["startTime"] == NINE
    # The slot is taken now.
    again = tenant.post("/calendars/events/appointments", json={**body, "contactId": "c2"})
    assert again.status_code == 400
