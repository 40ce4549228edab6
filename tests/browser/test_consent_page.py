"""The OAuth consent page in a real browser that cannot reach the internet (issue 15): sign in
with the admin key, choose a location, Allow, and land on the app's redirect URI with a code
that makes tokens."""

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

from support.api import ADMIN_HEADERS, ADMIN_KEY
from support.browser import offline_chromium, require_browser
from support.databases import fresh_database
from support.server import live_server

pytestmark = pytest.mark.slow

SCREENSHOT = Path(os.environ.get("OPENCALENDARS_CONSENT_SCREENSHOT", "/tmp/consent_page.png"))
SIGN_IN_SCREENSHOT = Path(
    os.environ.get("OPENCALENDARS_CONSENT_SIGN_IN_SCREENSHOT", "/tmp/consent_sign_in.png")
)
WAIT_SECONDS = 30
SCOPES = ["calendars.readonly", "calendars/events.write", "contacts.readonly"]


@contextmanager
def receiver() -> Iterator[tuple[str, list[str]]]:
    """The app's redirect URI: a loopback server answering 200 "ok"; the paths it was asked."""
    asked: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            asked.append(self.path)
            body = b"ok"
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/oauth/callback", asked
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    require_browser()
    directory = tmp_path_factory.mktemp("consent-page")
    with fresh_database(directory) as url, live_server(url, directory) as server:
        yield server


@pytest.fixture
def api(served):
    with httpx.Client(base_url=served.base_url, timeout=30) as client:
        yield client


def created(response, key):
    assert response.status_code == 201, response.text
    return response.json()[key]


def test_sign_in_choose_a_location_and_allow_in_an_offline_browser(served, api, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as shown
    from selenium.webdriver.support.ui import WebDriverWait

    company = created(
        api.post("/admin/companies", json={"name": "Sunrise Agency"}, headers=ADMIN_HEADERS),
        "company",
    )
    locations = [
        created(
            api.post(
                "/admin/locations",
                json={"name": name, "timezone": "America/New_York", **extra},
                headers=ADMIN_HEADERS,
            ),
            "location",
        )
        for name, extra in (
            ("Downtown Dental", {"companyId": company["id"]}),
            ("Harbor Physio", {"companyId": company["id"]}),
            ("Westside Salon", {}),
        )
    ]
    chosen = locations[1]

    with (
        receiver() as (redirect_uri, asked),
        offline_chromium(tmp_path / "profile", width=1000, height=1000) as driver,
    ):
        app = created(
            api.post(
                "/admin/apps",
                json={"name": "Appointment Sync", "redirectUris": [redirect_uri], "scopes": SCOPES},
                headers=ADMIN_HEADERS,
            ),
            "app",
        )
        query = {
            "response_type": "code",
            "client_id": app["clientId"],
            "redirect_uri": redirect_uri,
            "scope": " ".join(SCOPES),
            "state": "state-from-the-app",
        }
        wait = WebDriverWait(driver, WAIT_SECONDS)

        # The SDK's URL: {MARKETPLACE_URL}/v2/oauth/chooselocation?...
        driver.get(f"{served.base_url}/v2/oauth/chooselocation?{urlencode(query)}")
        key_field = wait.until(shown.visibility_of_element_located((By.ID, "admin_key")))
        assert "Appointment Sync" in driver.find_element(By.TAG_NAME, "main").text
        assert driver.find_elements(By.CSS_SELECTOR, "input[name=target]") == []
        driver.save_screenshot(str(SIGN_IN_SCREENSHOT))

        # A wrong key first: the form again, with the error.
        key_field.send_keys("not-the-admin-key")
        driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        error = wait.until(shown.visibility_of_element_located((By.CSS_SELECTOR, ".error")))
        assert "not the admin key" in error.text
        # The console noted the 401; what is logged from here on must be clean.
        driver.get_log("browser")

        driver.find_element(By.ID, "admin_key").send_keys(ADMIN_KEY)
        driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        wait.until(shown.presence_of_element_located((By.CSS_SELECTOR, "input[name=target]")))
        assert urlsplit(driver.current_url).path == "/v2/oauth/chooselocation"

        # The session cookie: HttpOnly (no script reads it), SameSite=Lax.
        cookies = driver.get_cookies()
        assert cookies and all(c["httpOnly"] and c["sameSite"] == "Lax" for c in cookies)
        assert driver.execute_script("return document.cookie") == ""

        page = driver.find_element(By.TAG_NAME, "main").text
        for each in locations:
            assert each["name"] in page
        assert "Sunrise Agency" in page
        for scope in SCOPES:
            assert scope in page
        radio = driver.find_element(By.CSS_SELECTOR, f"input[value='location:{chosen['id']}']")
        radio.find_element(By.XPATH, "./ancestor::label").click()
        assert radio.is_selected()
        driver.save_screenshot(str(SCREENSHOT))

        # Everything the page loaded came from this server, and nothing broke its policy.
        loaded = driver.execute_script(
            "return performance.getEntriesByType('resource').map(entry => entry.name)"
        )
        assert [url for url in loaded if not url.startswith(served.base_url)] == []

        driver.find_element(By.CSS_SELECTOR, "button[value=allow]").click()
        wait.until(lambda d: d.current_url.startswith(redirect_uri))
        wait.until(shown.text_to_be_present_in_element((By.TAG_NAME, "body"), "ok"))
        failures = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
        assert failures == []
        landed = parse_qs(urlsplit(driver.current_url).query)

    assert landed["state"] == ["state-from-the-app"]
    (code,) = landed["code"]
    # The app was asked once (the browser may ask it for a favicon too).
    callbacks = [path for path in asked if path.startswith("/oauth/callback?")]
    assert [parse_qs(urlsplit(path).query)["code"] for path in callbacks] == [[code]]

    installs = api.get("/admin/installs", params={"appId": app["id"]}, headers=ADMIN_HEADERS)
    assert installs.status_code == 200, installs.text
    (install,) = installs.json()["installs"]
    assert install["locationId"] == chosen["id"]

    tokens = api.post(
        "/oauth/token",
        data={
            "client_id": app["clientId"],
            "client_secret": app["clientSecret"],
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
        },
    )
    assert tokens.status_code == 200, tokens.text
    assert tokens.json()["access_token"]
    assert tokens.json()["locationId"] == chosen["id"]
