"""The OAuth consent page (issue 15): `/oauth/chooselocation` and `/v2/oauth/chooselocation`,
its operator sign-in, Allow and Cancel, and the requests it refuses without redirecting."""

import html
import re
import time
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from fastapi.testclient import TestClient

from opencalendars.app import create_app
from opencalendars.settings import Settings
from opencalendars.web import session
from support.api import ADMIN_HEADERS, ADMIN_KEY

PATHS = ("/oauth/chooselocation", "/v2/oauth/chooselocation")
REDIRECT_URI = "https://app.example/oauth/callback"
EVIL_URI = "https://evil.example/steal"
SCOPES = ["calendars.readonly", "calendars/events.write"]
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture
def admin(client):
    """The operator's API client (the suite's: these tests never sign it in to the page)."""
    return client


@pytest.fixture
def web_app(app):
    """The suite's application (`app` names a marketplace app in these tests)."""
    return app


@pytest.fixture
def browser(web_app):
    """A browser of its own per test: its own cookies, redirects not followed."""
    with TestClient(web_app, follow_redirects=False) as test_client:
        yield test_client


def created(response, key):
    assert response.status_code == 201, response.text
    return response.json()[key]


def new_location(admin, name="Consent", company_id=None) -> dict:
    body = {"name": name, "timezone": "UTC"}
    if company_id is not None:
        body["companyId"] = company_id
    return created(admin.post("/admin/locations", json=body, headers=ADMIN_HEADERS), "location")


def new_company(admin, name="Agency") -> dict:
    return created(
        admin.post("/admin/companies", json={"name": name}, headers=ADMIN_HEADERS), "company"
    )


def new_app(admin, distribution="location", name="Booking Helper", **fields) -> dict:
    body = {
        "name": name,
        "redirectUris": [REDIRECT_URI],
        "scopes": SCOPES,
        "distribution": distribution,
        **fields,
    }
    return created(admin.post("/admin/apps", json=body, headers=ADMIN_HEADERS), "app")


def installs(admin, app_id) -> list[dict]:
    answer = admin.get("/admin/installs", params={"appId": app_id}, headers=ADMIN_HEADERS)
    assert answer.status_code == 200, answer.text
    return answer.json()["installs"]


def oauth_query(app, **overrides) -> dict:
    query = {
        "response_type": "code",
        "client_id": app["clientId"],
        "redirect_uri": app["redirectUris"][0],
        "scope": " ".join(SCOPES),
        "state": "xyz-state",
        **overrides,
    }
    return {name: value for name, value in query.items() if value is not None}


def consent_url(app, path=PATHS[1], **overrides) -> str:
    return f"{path}?{urlencode(oauth_query(app, **overrides))}"


def sign_in(browser, next_url="/oauth/chooselocation", key=ADMIN_KEY):
    return browser.post("/oauth/signin", data={"admin_key": key, "next": next_url}, headers=FORM)


def signed_in(browser):
    answer = sign_in(browser)
    assert answer.status_code == 303, answer.text
    return browser


def hidden_value(page: str, name: str) -> str | None:
    found = re.search(rf'<input type="hidden" name="{re.escape(name)}" value="([^"]*)"', page)
    return html.unescape(found[1]) if found else None


def radio_values(page: str) -> list[str]:
    return [html.unescape(value) for value in re.findall(r'name="target" value="([^"]*)"', page)]


def consent_form(browser, app, path=PATHS[1], **overrides) -> dict:
    """The consent page's form fields, as a browser would post them (without a choice)."""
    page = browser.get(consent_url(app, path, **overrides))
    assert page.status_code == 200, page.text
    names = ("response_type", "client_id", "redirect_uri", "scope", "state", "csrf_token")
    return {name: hidden_value(page.text, name) for name in names if hidden_value(page.text, name)}


def redirect_query(answer) -> dict[str, list[str]]:
    assert answer.status_code == 303, answer.text
    return parse_qs(urlsplit(answer.headers["location"]).query)


def assert_html_headers(answer) -> None:
    assert answer.headers["content-type"].startswith("text/html")
    assert answer.headers["cache-control"] == "no-store"
    assert answer.headers["x-frame-options"] == "DENY"
    assert answer.headers["referrer-policy"] == "no-referrer"
    policy = answer.headers["content-security-policy"]
    assert "default-src 'none'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "form-action 'self'" in policy


def assert_refused(answer, *absent: str) -> None:
    """An error page: 400, HTML, no redirect, nothing pointing at the URIs named."""
    assert answer.status_code == 400, answer.text
    assert "location" not in answer.headers
    assert_html_headers(answer)
    assert 'name="target"' not in answer.text
    for text in absent:
        assert text not in answer.text
        assert text not in answer.headers["content-security-policy"]


# --- signing in ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", PATHS)
def test_a_visitor_who_is_not_signed_in_gets_the_sign_in_form(admin, browser, path):
    app = new_app(admin)
    answer = browser.get(consent_url(app, path))
    assert answer.status_code == 200, answer.text
    assert_html_headers(answer)
    page = answer.text
    assert '<form method="post" action="/oauth/signin">' in page
    assert 'type="password"' in page and 'name="admin_key"' in page
    assert "Booking Helper" in page
    assert hidden_value(page, "next") == consent_url(app, path)
    # No consent form, no CSRF token for an anonymous visitor.
    assert 'name="target"' not in page
    assert 'value="allow"' not in page
    assert hidden_value(page, "csrf_token") is None
    assert "<script" not in page and "src=" not in page and "href=" not in page


def test_a_wrong_key_shows_the_form_again_with_a_401(admin, browser):
    app = new_app(admin)
    answer = sign_in(browser, consent_url(app), key="not-the-key")
    assert answer.status_code == 401
    assert_html_headers(answer)
    assert "That is not the admin key." in answer.text
    assert "Booking Helper" in answer.text  # the app is named again
    assert 'name="admin_key"' in answer.text
    assert hidden_value(answer.text, "next") == consent_url(app)
    assert "set-cookie" not in answer.headers
    # Still signed out.
    assert 'value="allow"' not in browser.get(consent_url(app)).text


def test_an_empty_key_is_refused(browser):
    answer = browser.post("/oauth/signin", data={"admin_key": "", "next": PATHS[0]}, headers=FORM)
    assert answer.status_code == 401
    assert "set-cookie" not in answer.headers


def test_the_right_key_sets_an_http_only_same_site_cookie_and_goes_back(admin, browser):
    app = new_app(admin)
    answer = sign_in(browser, consent_url(app))
    assert answer.status_code == 303
    assert answer.headers["location"] == consent_url(app)
    cookies = answer.headers.get_list("set-cookie")
    assert {re.search(r"Path=([^;]+)", cookie)[1] for cookie in cookies} == {"/oauth", "/v2/oauth"}
    for cookie in cookies:
        assert cookie.startswith(f"{session.COOKIE}=")
        assert "HttpOnly" in cookie
        assert "SameSite=lax" in cookie
        assert "Max-Age=43200" in cookie
        assert "Secure" not in cookie  # plain http here
        # The admin key itself is never the cookie.
        assert ADMIN_KEY not in cookie
    # Signed in: the consent form now.
    assert 'value="allow"' in browser.get(answer.headers["location"]).text


def test_over_https_the_cookie_is_secure(web_app):
    with TestClient(web_app, base_url="https://testserver", follow_redirects=False) as client:
        answer = sign_in(client)
    assert answer.status_code == 303
    for cookie in answer.headers.get_list("set-cookie"):
        assert "Secure" in cookie


@pytest.mark.parametrize(
    "next_url",
    [
        "https://evil.example/oauth/chooselocation",
        "//evil.example/oauth/chooselocation",
        "/\\evil.example/oauth/chooselocation",
        "\\\\evil.example/oauth/chooselocation",
        "http:/oauth/chooselocation",
        "/admin/locations",
        "/oauth/chooselocationx",
        "/oauth/chooselocation/../../admin",
        "oauth/chooselocation",
        "/oauth/chooselocation\r\nSet-Cookie: x=1",
        "",
    ],
)
def test_the_sign_in_never_goes_anywhere_but_the_consent_page(browser, next_url):
    answer = sign_in(browser, next_url)
    assert answer.status_code == 400, answer.text
    assert "location" not in answer.headers
    assert "set-cookie" not in answer.headers
    assert "evil.example" not in answer.text


def test_the_sign_in_keeps_the_consent_query_and_drops_a_fragment(browser):
    answer = sign_in(browser, "/v2/oauth/chooselocation?client_id=a&state=b#frag")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/v2/oauth/chooselocation?client_id=a&state=b"


def tampered(value: str) -> str:
    """The value with its last character changed."""
    return value[:-1] + ("1" if value.endswith("0") else "0")


def test_a_session_signed_with_another_key_or_expired_is_no_session(admin, browser):
    app = new_app(admin)
    for value in (
        session.new_session("an-old-admin-key"),
        session.new_session(ADMIN_KEY, now=time.time() - session.SESSION_SECONDS - 1),
        tampered(session.new_session(ADMIN_KEY)),
        "garbage",
    ):
        browser.cookies.set(session.COOKIE, value)
        page = browser.get(consent_url(app)).text
        assert 'name="admin_key"' in page and 'value="allow"' not in page
        browser.cookies.clear()


def test_sign_out_ends_the_session(admin, browser):
    app = new_app(admin)
    signed_in(browser)
    form = consent_form(browser, app)
    answer = browser.post(
        "/oauth/signout",
        data={"next": consent_url(app), "csrf_token": form["csrf_token"]},
        headers=FORM,
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == consent_url(app)
    cleared = answer.headers.get_list("set-cookie")
    assert len(cleared) == 2 and all("Max-Age=0" in cookie for cookie in cleared)
    assert 'name="admin_key"' in browser.get(consent_url(app)).text


def test_sign_out_needs_the_csrf_token(admin, browser):
    signed_in(browser)
    answer = browser.post("/oauth/signout", data={"next": PATHS[0]}, headers=FORM)
    assert answer.status_code == 403
    assert "set-cookie" not in answer.headers


# --- the consent form ---------------------------------------------------------------------


def test_a_signed_in_operator_sees_the_locations_the_scopes_and_allow_cancel(admin, browser):
    company = new_company(admin, "Acme Agency")
    first = new_location(admin, "Downtown Clinic", company_id=company["id"])
    second = new_location(admin, "Uptown Clinic")
    app = new_app(admin)
    signed_in(browser)
    answer = browser.get(consent_url(app))
    assert answer.status_code == 200, answer.text
    assert_html_headers(answer)
    # Allow's 303 goes to the app: Chromium checks form-action on the redirect too.
    assert "form-action 'self' https://app.example;" in answer.headers["content-security-policy"]
    page = answer.text
    assert "Install Booking Helper" in page
    for scope in SCOPES:
        assert f"<code>{scope}</code>" in page
    values = radio_values(page)
    assert f"location:{first['id']}" in values
    assert f"location:{second['id']}" in values
    assert not any(value.startswith("company:") for value in values)
    assert "Downtown Clinic" in page and "Uptown Clinic" in page
    assert "in Acme Agency" in page
    assert 'value="allow"' in page and 'value="cancel"' in page
    assert '<form method="post" action="/v2/oauth/chooselocation">' in page
    for name, value in oauth_query(app).items():
        assert hidden_value(page, name) == value
    token = hidden_value(page, "csrf_token")
    assert token and re.fullmatch(r"[0-9a-f]{64}", token)
    assert "<script" not in page and "src=" not in page and "href=" not in page


def test_without_scope_the_app_asks_for_all_of_its_scopes(admin, browser):
    app = new_app(admin)
    signed_in(browser)
    page = browser.get(consent_url(app, scope=None)).text
    for scope in SCOPES:
        assert f"<code>{scope}</code>" in page
    assert hidden_value(page, "scope") is None


def test_what_the_page_shows_is_escaped(admin, browser):
    app = new_app(admin, name='<script>alert("app")</script>')
    new_location(admin, '<img src=x onerror="alert(1)">')
    signed_in(browser)
    page = browser.get(consent_url(app, state='"><script>alert(2)</script>')).text
    assert "<script>alert" not in page
    assert "<img src=x" not in page
    assert "&lt;script&gt;alert(&quot;app&quot;)&lt;/script&gt;" in page
    assert hidden_value(page, "state") == '"><script>alert(2)</script>'


@pytest.mark.parametrize("path", PATHS)
def test_allow_installs_and_redirects_with_a_code_that_makes_tokens(admin, browser, path):
    location = new_location(admin, "Allowed")
    app = new_app(admin, webhookUrl="https://app.example/webhooks")
    signed_in(browser)
    form = consent_form(browser, app, path)
    answer = browser.post(
        path, data={**form, "target": f"location:{location['id']}", "action": "allow"}, headers=FORM
    )
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"].startswith(REDIRECT_URI + "?")
    assert answer.headers["cache-control"] == "no-store"
    query = redirect_query(answer)
    assert query["state"] == ["xyz-state"]
    (code,) = query["code"]

    (found,) = installs(admin, app["id"])
    assert found["locationId"] == location["id"]
    assert found["appId"] == app["id"]
    assert sorted(found["scopes"]) == sorted(SCOPES)

    tokens = admin.post(
        "/oauth/token",
        data={
            "client_id": app["clientId"],
            "client_secret": app["clientSecret"],
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
        },
        headers=FORM,
    )
    assert tokens.status_code == 200, tokens.text
    assert tokens.json()["access_token"]
    assert tokens.json()["locationId"] == location["id"]


def test_allow_asking_for_fewer_scopes_grants_those(admin, browser):
    location = new_location(admin)
    app = new_app(admin)
    signed_in(browser)
    form = consent_form(browser, app, scope="calendars.readonly")
    answer = browser.post(
        PATHS[1],
        data={**form, "target": f"location:{location['id']}", "action": "allow"},
        headers=FORM,
    )
    assert answer.status_code == 303, answer.text
    (found,) = installs(admin, app["id"])
    assert found["scopes"] == ["calendars.readonly"]


def test_allow_keeps_the_redirect_uris_own_query_and_omits_a_missing_state(admin, browser):
    location = new_location(admin)
    uri = "https://app.example/cb?tenant=a%20b&x=1"
    app = new_app(admin, redirectUris=[uri])
    signed_in(browser)
    form = consent_form(browser, app, state=None)
    assert "state" not in form
    answer = browser.post(
        PATHS[1],
        data={**form, "target": f"location:{location['id']}", "action": "allow"},
        headers=FORM,
    )
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"].startswith("https://app.example/cb?tenant=a%20b&x=1&code=")
    query = redirect_query(answer)
    assert query["tenant"] == ["a b"] and query["x"] == ["1"]
    assert "state" not in query


def test_an_installed_location_is_marked_and_can_be_consented_again(admin, browser):
    location = new_location(admin, "Twice")
    app = new_app(admin)
    signed_in(browser)
    for _ in range(2):
        form = consent_form(browser, app)
        answer = browser.post(
            PATHS[1],
            data={**form, "target": f"location:{location['id']}", "action": "allow"},
            headers=FORM,
        )
        assert answer.status_code == 303, answer.text
    assert len(installs(admin, app["id"])) == 1
    page = browser.get(consent_url(app)).text
    row = re.search(rf'value="location:{location["id"]}".*?</label>', page, flags=re.DOTALL)[0]
    assert "Installed" in row


@pytest.mark.parametrize("path", PATHS)
def test_cancel_redirects_with_access_denied_and_the_state(admin, browser, path):
    location = new_location(admin)
    app = new_app(admin)
    signed_in(browser)
    form = consent_form(browser, app, path)
    answer = browser.post(
        path,
        data={**form, "target": f"location:{location['id']}", "action": "cancel"},
        headers=FORM,
    )
    query = redirect_query(answer)
    assert answer.headers["location"].startswith(REDIRECT_URI + "?")
    assert query["error"] == ["access_denied"]
    assert query["error_description"]
    assert query["state"] == ["xyz-state"]
    assert "code" not in query
    assert installs(admin, app["id"]) == []


def test_cancel_needs_no_choice(admin, browser):
    app = new_app(admin)
    signed_in(browser)
    form = consent_form(browser, app, state=None)
    query = redirect_query(browser.post(PATHS[0], data={**form, "action": "cancel"}, headers=FORM))
    assert query["error"] == ["access_denied"]
    assert "state" not in query


def test_a_post_without_the_csrf_token_is_refused_and_installs_nothing(admin, browser):
    location = new_location(admin)
    app = new_app(admin)
    signed_in(browser)
    form = consent_form(browser, app)
    for token in (None, "", "0" * 64, tampered(form["csrf_token"])):
        data = {**form, "target": f"location:{location['id']}", "action": "allow"}
        if token is None:
            del data["csrf_token"]
        else:
            data["csrf_token"] = token
        answer = browser.post(PATHS[1], data=data, headers=FORM)
        assert answer.status_code == 403, answer.text
        assert "location" not in answer.headers
        assert_html_headers(answer)
    assert installs(admin, app["id"]) == []


def test_a_csrf_token_of_another_session_is_refused(admin, web_app):
    location = new_location(admin)
    app = new_app(admin)
    with (
        TestClient(web_app, follow_redirects=False) as one,
        TestClient(web_app, follow_redirects=False) as other,
    ):
        signed_in(one)
        signed_in(other)
        form = consent_form(one, app)
        data = {**form, "target": f"location:{location['id']}", "action": "allow"}
        assert other.post(PATHS[1], data=data, headers=FORM).status_code == 403
    assert installs(admin, app["id"]) == []


def test_a_post_without_a_session_is_a_401_sign_in_form(admin, web_app, browser):
    location = new_location(admin)
    app = new_app(admin)
    with TestClient(web_app, follow_redirects=False) as operator:
        signed_in(operator)
        form = consent_form(operator, app)
    data = {**form, "target": f"location:{location['id']}", "action": "allow"}
    answer = browser.post(PATHS[1], data=data, headers=FORM)
    assert answer.status_code == 401
    assert "location" not in answer.headers
    assert 'name="admin_key"' in answer.text
    assert hidden_value(answer.text, "next") == consent_url(app, PATHS[1])
    assert installs(admin, app["id"]) == []


@pytest.mark.parametrize(
    "target",
    ["", "location:", "location:no-such-location", "company:no-such-company", "planet:earth"],
)
def test_a_bad_choice_shows_the_page_again_with_a_400(admin, browser, target):
    new_location(admin, "Somewhere")
    app = new_app(admin)
    signed_in(browser)
    form = consent_form(browser, app)
    data = {**form, "action": "allow"}
    if target:
        data["target"] = target
    answer = browser.post(PATHS[1], data=data, headers=FORM)
    assert answer.status_code == 400, answer.text
    assert "location" not in answer.headers
    assert 'class="error"' in answer.text
    assert 'name="target"' in answer.text  # the form again
    assert installs(admin, app["id"]) == []


def test_an_unknown_action_is_refused(admin, browser):
    location = new_location(admin)
    app = new_app(admin)
    signed_in(browser)
    form = consent_form(browser, app)
    data = {**form, "target": f"location:{location['id']}", "action": "install-everywhere"}
    answer = browser.post(PATHS[1], data=data, headers=FORM)
    assert_refused(answer)
    assert installs(admin, app["id"]) == []


# --- agency apps --------------------------------------------------------------------------


def test_an_agency_app_lists_companies_then_the_locations_of_its_companies(admin, browser):
    company = new_company(admin, "Agency One")
    location = new_location(admin, "Agency One Office", company_id=company["id"])
    loose = new_location(admin, "No Agency")
    app = new_app(admin, distribution="agency", name="Agency Tool")
    signed_in(browser)

    page = browser.get(consent_url(app)).text
    values = radio_values(page)
    assert f"company:{company['id']}" in values
    assert not any(value.startswith("location:") for value in values)
    assert "Choose a company or a location" in page

    form = consent_form(browser, app)
    data = {**form, "target": f"company:{company['id']}", "action": "allow"}
    answer = browser.post(PATHS[1], data=data, headers=FORM)
    assert redirect_query(answer)["code"]
    (found,) = installs(admin, app["id"])
    assert found["companyId"] == company["id"]
    assert found["locationId"] is None

    values = radio_values(browser.get(consent_url(app)).text)
    assert f"location:{location['id']}" in values
    assert f"location:{loose['id']}" not in values


def test_a_location_app_lists_no_companies(admin, browser):
    company = new_company(admin, "Not For Location Apps")
    app = new_app(admin)
    signed_in(browser)
    values = radio_values(browser.get(consent_url(app)).text)
    assert f"company:{company['id']}" not in values
    form = consent_form(browser, app)
    data = {**form, "target": f"company:{company['id']}", "action": "allow"}
    assert browser.post(PATHS[1], data=data, headers=FORM).status_code == 400
    assert installs(admin, app["id"]) == []


# --- requests no redirect may answer ------------------------------------------------------


REFUSED = {
    "an unknown client_id": {"client_id": "no-such-client"},
    "no client_id": {"client_id": None},
    "an unregistered redirect_uri": {"redirect_uri": EVIL_URI},
    "a redirect_uri that only starts like a registered one": {
        "redirect_uri": REDIRECT_URI + ".evil.example"
    },
    "no redirect_uri": {"redirect_uri": None},
    "a scope the app does not have": {"scope": "calendars.readonly contacts.write"},
    "a response_type that is not code": {"response_type": "token", "redirect_uri": EVIL_URI},
    "no response_type": {"response_type": None},
}


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("overrides", REFUSED.values(), ids=REFUSED.keys())
def test_a_bad_request_is_an_error_page_never_a_redirect(admin, browser, path, overrides):
    app = new_app(admin)
    asked = consent_url(app, path, **overrides)
    # Signed out and signed in alike.
    assert_refused(browser.get(asked), EVIL_URI)
    signed_in(browser)
    assert_refused(browser.get(asked), EVIL_URI)


@pytest.mark.parametrize("action", ["allow", "cancel"])
@pytest.mark.parametrize("overrides", REFUSED.values(), ids=REFUSED.keys())
def test_a_bad_post_is_an_error_page_never_a_redirect(admin, browser, action, overrides):
    location = new_location(admin)
    app = new_app(admin)
    signed_in(browser)
    form = consent_form(browser, app)
    data = {**form, "target": f"location:{location['id']}", "action": action}
    for name, value in overrides.items():
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value
    assert_refused(browser.post(PATHS[1], data=data, headers=FORM), EVIL_URI)
    assert installs(admin, app["id"]) == []


def test_the_redirect_uri_of_another_app_is_refused(admin, browser):
    other = new_app(admin, redirectUris=["https://other.example/cb"])
    app = new_app(admin)
    assert other["clientId"] != app["clientId"]
    signed_in(browser)
    assert_refused(browser.get(consent_url(app, redirect_uri="https://other.example/cb")))


def test_a_parameter_given_twice_is_refused(admin, browser):
    app = new_app(admin)
    signed_in(browser)
    asked = f"{consent_url(app)}&{urlencode({'redirect_uri': EVIL_URI})}"
    assert_refused(browser.get(asked), EVIL_URI)


def test_a_form_that_is_not_url_encoded_is_refused(admin, browser):
    app = new_app(admin)
    signed_in(browser)
    form = consent_form(browser, app)
    answer = browser.post(PATHS[1], json={**form, "action": "allow"})
    assert answer.status_code == 415
    assert "location" not in answer.headers
    answer = browser.post(PATHS[1], content=b"client_id=%ff%fe", headers=FORM)
    assert answer.status_code == 400
    answer = browser.post(PATHS[1], content=b"client_id=a%00b", headers=FORM)
    assert answer.status_code == 400


# --- without an admin key -----------------------------------------------------------------


def test_without_an_admin_key_consent_is_unavailable(admin, database_url):
    app = new_app(admin)
    keyless = create_app(Settings(database_url=database_url, admin_key=None, rate_limits=None))
    try:
        with TestClient(keyless, follow_redirects=False) as client:
            answer = client.get(consent_url(app))
            assert answer.status_code == 503
            assert_html_headers(answer)
            assert "OPENCALENDARS_ADMIN_KEY" in answer.text
            assert "<form" not in answer.text
            # A session made with any key is worth nothing, and signing in is impossible.
            client.cookies.set(session.COOKIE, session.new_session(ADMIN_KEY))
            assert client.get(consent_url(app)).status_code == 503
            signing_in = sign_in(client, consent_url(app))
            assert signing_in.status_code == 503
            assert "set-cookie" not in signing_in.headers
            form = {**oauth_query(app), "action": "allow", "target": "location:x"}
            assert client.post(PATHS[1], data=form, headers=FORM).status_code == 503
    finally:
        keyless.state.db.dispose()
    assert installs(admin, app["id"]) == []
