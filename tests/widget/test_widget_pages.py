"""The widget's public pages: which calendars and groups are public, what a page shows, the
month's slots (the free-slot engine's own answer), languages, headers, embedding."""

import re

import pytest

from api.slot_helpers import make_calendar
from support.api import create_tenant
from widget.helpers import ZONE, hrefs, public_calendar

MARCH_2_NINE = "2026-03-02T09:00:00-05:00"


def group(tenant, slug, active=True):
    created = tenant.post(
        "/calendars/groups",
        json={
            "locationId": tenant.location_id,
            "name": f"Group {slug}",
            "description": "Our team",
            "slug": slug,
            "isActive": active,
        },
    )
    assert created.status_code == 201, created.text
    return created.json()["group"]["id"]


def set_calendar(tenant, calendar_id, **fields):
    response = tenant.put(f"/calendars/{calendar_id}", json=fields)
    assert response.status_code == 200, response.text


def test_an_active_calendar_has_a_page_with_its_settings(client, ny):
    calendar_id = public_calendar(
        ny,
        description="A first visit.\nBring your notes.",
        slotDuration=45,
        eventColor="#7C3AED",
        widgetSlug="first-visit",
        calendarCoverImage="https://images.example.com/cover.jpg",
    )
    response = client.get(f"/widget/booking/{calendar_id}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    assert "<h1>personal calendar</h1>" in page
    assert "A first visit.\nBring your notes." in page
    assert "45 minutes" in page
    assert "--accent:#7c3aed" in page
    assert '<img class="cover" src="https://images.example.com/cover.jpg" alt="">' in page
    policy = response.headers["content-security-policy"]
    assert "img-src 'self' https://images.example.com;" in policy
    assert "frame-ancestors *" in policy
    assert "script-src 'self';" in policy
    assert "X-Frame-Options" not in response.headers
    assert response.headers["referrer-policy"] == "no-referrer"
    # Opened on the first month with slots, its first day with slots chosen, in the location's
    # zone until the browser says otherwise.
    assert "March 2026" in page
    assert "Monday, March 2, 2026" in page
    assert f'data-slot="{MARCH_2_NINE}">9:00\u202fAM<' in page
    assert 'data-zone-explicit="false"' in page
    # The same page by its widget slug.
    by_slug = client.get("/widget/bookings/first-visit")
    assert by_slug.status_code == 200
    assert "<h1>personal calendar</h1>" in by_slug.text


def test_a_cover_image_that_is_not_a_web_url_is_not_shown(client, ny):
    calendar_id = public_calendar(ny, calendarCoverImage="javascript:alert(1)")
    response = client.get(f"/widget/booking/{calendar_id}")
    assert response.status_code == 200
    assert "<img" not in response.text
    assert "img-src 'self';" in response.headers["content-security-policy"]


def test_what_is_not_public_is_a_plain_404_page(client, ny):
    inactive = public_calendar(ny, isActive=False)
    in_inactive_group = public_calendar(ny, groupId=group(ny, "closed", active=False))
    deleted = public_calendar(ny)
    assert ny.delete(f"/calendars/{deleted}").status_code == 200
    for path in (
        f"/widget/booking/{inactive}",
        f"/widget/booking/{in_inactive_group}",
        f"/widget/booking/{deleted}",
        "/widget/booking/unknownCalendarId000",
        "/widget/booking/" + "x" * 300,
        "/widget/bookings/no-such-slug",
        "/widget/group/no-such-group",
        "/widget/group/closed",
        f"/widget/booking/{inactive}/slots",
    ):
        response = client.get(path)
        assert response.status_code == 404, path
    page = client.get(f"/widget/booking/{inactive}")
    assert page.headers["content-type"].startswith("text/html")
    assert "This page does not exist" in page.text
    assert "personal calendar" not in page.text


def test_a_calendar_of_an_active_group_is_public_and_the_group_lists_its_active_ones(client, ny):
    group_id = group(ny, "dental-team")
    shown = public_calendar(ny, groupId=group_id, name="Cleaning", description="Teeth")
    public_calendar(ny, groupId=group_id, name="Hidden draft", isActive=False)
    public_calendar(ny, name="Not in the group")
    assert client.get(f"/widget/booking/{shown}").status_code == 200
    for key in (group_id, "dental-team"):
        response = client.get(f"/widget/group/{key}")
        assert response.status_code == 200, key
        assert "Group dental-team" in response.text
        assert "Cleaning" in response.text
        assert "Hidden draft" not in response.text
        assert "Not in the group" not in response.text
        assert f"/widget/booking/{shown}?lang=en" in hrefs(response.text, "/widget/booking/")
    # The group switched off: its page and its calendars' pages are gone.
    assert ny.put(f"/calendars/groups/{group_id}/status", json={"isActive": False}).status_code in (
        200,
        201,
    )
    assert client.get(f"/widget/group/{group_id}").status_code == 404
    assert client.get(f"/widget/booking/{shown}").status_code == 404


def test_a_slug_two_locations_use_names_neither_until_the_location_says_which(client, ny):
    other = create_tenant(client, timezone=ZONE, require_contacts=True)
    mine = public_calendar(ny, widgetSlug="consultation")
    public_calendar(other, widgetSlug="consultation")
    assert client.get("/widget/bookings/consultation").status_code == 404
    response = client.get(
        "/widget/bookings/consultation",
        params={"location": ny.location_id, "slot": MARCH_2_NINE},
    )
    assert response.status_code == 200
    assert f'action="/widget/booking/{mine}"' in response.text
    # Its links keep the location, so the page stays the same one.
    assert any("location=" in href for href in hrefs(response.text, "/widget/bookings/"))


@pytest.mark.parametrize("zone", [None, "Europe/Madrid", "Asia/Tokyo", "Pacific/Auckland"])
def test_the_months_slots_are_the_free_slots_answer(client, ny, zone):
    calendar_id = public_calendar(ny)
    params = {"month": "2026-03"}
    api_params = {"startDate": "2026-03-01", "endDate": "2026-03-31"}
    if zone:
        params["timezone"] = zone
        api_params["timezone"] = zone
    widget = client.get(f"/widget/booking/{calendar_id}/slots", params=params)
    assert widget.status_code == 200, widget.text
    api = ny.get(f"/calendars/{calendar_id}/free-slots", params=api_params)
    assert api.status_code == 200, api.text
    assert widget.json() == api.json()
    assert widget.json()  # March has slots


def test_the_month_slots_refuse_what_the_api_refuses(client, ny):
    calendar_id = public_calendar(ny)
    path = f"/widget/booking/{calendar_id}/slots"
    assert client.get(path, params={"timezone": "Mars/Base"}).status_code == 400
    assert client.get(path, params={"month": "2026-13"}).status_code == 400
    assert client.get(path, params={"month": "26-03"}).status_code == 400
    # Without a month: the current one (the server clock's, in the zone).
    current = client.get(path)
    assert current.status_code == 200
    assert all(day.startswith("2026-02") for day in current.json())


def test_the_page_shows_the_days_and_times_in_the_visitors_zone(client, ny):
    calendar_id = public_calendar(ny)
    response = client.get(
        f"/widget/booking/{calendar_id}", params={"timezone": "Asia/Tokyo", "month": "2026-03"}
    )
    assert response.status_code == 200
    page = response.text
    # 09:00 in New York on Monday March 2 is 23:00 in Tokyo the same day.
    assert "Monday, March 2, 2026" in page
    assert 'data-slot="2026-03-02T23:00:00+09:00">11:00\u202fPM<' in page
    assert 'data-zone-explicit="true"' in page
    assert '<option value="Asia/Tokyo" selected>' in page
    # Every link keeps the zone and the language.
    for href in hrefs(page, f"/widget/booking/{calendar_id}?"):
        assert "timezone=Asia%2FTokyo" in href and "lang=" in href
    # A day: its slots; a day without slots is no link.
    march_3 = client.get(
        f"/widget/booking/{calendar_id}",
        params={"timezone": "Asia/Tokyo", "date": "2026-03-03"},
    )
    assert 'data-slot="2026-03-03T23:00:00+09:00"' in march_3.text
    assert 'aria-current="date"' in march_3.text
    unknown_zone = client.get(f"/widget/booking/{calendar_id}", params={"timezone": "Nowhere/X"})
    assert unknown_zone.status_code == 200
    assert 'data-zone-explicit="false"' in unknown_zone.text


def test_months_are_bounded_to_the_current_one_and_two_years_ahead(client, ny):
    calendar_id = public_calendar(ny)
    past = client.get(f"/widget/booking/{calendar_id}", params={"month": "1999-01"})
    assert "February 2026" in past.text
    assert "Previous month" not in past.text
    far = client.get(f"/widget/booking/{calendar_id}", params={"month": "2099-01"})
    assert "February 2028" in far.text
    assert "Next month" not in far.text


def test_a_round_robin_page_may_name_a_member(client, ny):
    calendar_id = make_calendar(
        ny, "round_robin", members=("ann", "bob"), days=("monday",), hours=(("09:00", "10:00"),)
    )
    path = f"/widget/booking/{calendar_id}"
    assert client.get(path, params={"userId": "bob"}).status_code == 200
    assert client.get(path, params={"userId": "stranger"}).status_code == 404
    widget = client.get(f"{path}/slots", params={"month": "2026-03", "userId": "bob"})
    api = ny.get(
        f"/calendars/{calendar_id}/free-slots",
        params={"startDate": "2026-03-01", "endDate": "2026-03-31", "userId": "bob"},
    )
    assert widget.json() == api.json()
    page = client.get(path, params={"userId": "bob"}).text
    assert 'name="userId" value="bob"' in page
    # A personal calendar has no one to choose: the parameter is ignored.
    personal = public_calendar(ny)
    assert client.get(f"/widget/booking/{personal}", params={"userId": "x"}).status_code == 200


def test_spanish_from_accept_language_or_the_switch(client, ny):
    calendar_id = public_calendar(ny)
    path = f"/widget/booking/{calendar_id}"
    spanish = client.get(path, headers={"Accept-Language": "es-ES,es;q=0.9,en;q=0.5"})
    page = spanish.text
    assert '<html lang="es">' in page
    assert "Elige una fecha y una hora" in page
    assert "Marzo de 2026" in page
    assert "Lunes, 2 de marzo de 2026" in page
    assert "30 minutos" in page
    assert f'data-slot="{MARCH_2_NINE}">9:00<' in page
    assert "Choose a date and time" not in page
    # English wins by q-value; ?lang= wins over the header; links keep the language.
    assert '<html lang="en">' in client.get(path, headers={"Accept-Language": "es;q=0.4, en"}).text
    switched = client.get(path, params={"lang": "es"}, headers={"Accept-Language": "en"}).text
    assert '<html lang="es">' in switched
    assert all("lang=" in href for href in hrefs(switched, path + "?"))
    assert '<html lang="en">' in client.get(path, params={"lang": "fr"}).text
    # The 404 page speaks it too.
    missing = client.get("/widget/booking/nothing", params={"lang": "es"})
    assert "Esta página no existe" in missing.text


def test_the_embed_script_frames_the_booking_page(client, ny):
    calendar_id = public_calendar(ny, name='Say "hi" </script>')
    response = client.get(f"/widget/embed/{calendar_id}.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    script = response.text
    assert f'"/widget/booking/{calendar_id}"' in script
    assert "</script>" not in script
    assert 'createElement("iframe")' in script
    missing = client.get("/widget/embed/unknownCalendar.js")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("text/javascript")


def test_static_files_are_served_and_nothing_else(client):
    css = client.get("/widget/static/widget.css")
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")
    again = client.get("/widget/static/widget.css", headers={"If-None-Match": css.headers["etag"]})
    assert again.status_code == 304
    assert client.get("/widget/static/widget.js").status_code == 200
    for name in ("..%2Fpages.py", "pages.py", "templates", "widget.CSS"):
        assert client.get(f"/widget/static/{name}").status_code == 404


def test_the_page_loads_nothing_from_elsewhere(client, ny):
    page = client.get(f"/widget/booking/{public_calendar(ny)}").text
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert sources
    assert all(source.startswith(("/", "#")) for source in sources), sources
