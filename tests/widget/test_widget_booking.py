"""Booking through the widget: the same path as the API (engine check, contact, events), every
refusal a clear page, and what comes after (thanks or redirect, the `.ics`, signed links)."""

from datetime import UTC, datetime

import pytest
from icalendar import Calendar

from api.slot_helpers import make_calendar
from opencalendars.widget import links
from opencalendars.widget.limits import PostLimiter
from support.api import create_tenant
from widget.helpers import (
    PERSON,
    ZONE,
    book,
    csrf_of,
    form_page,
    hrefs,
    link_path,
    public_calendar,
    query_of,
    roomy_limiter,
)

NINE = "2026-03-02T09:00:00-05:00"
NINE_THIRTY = "2026-03-02T09:30:00-05:00"
NINE_MS = int(datetime(2026, 3, 2, 14, 0, tzinfo=UTC).timestamp() * 1000)


def appointments_of(tenant, calendar_id):
    response = tenant.get(
        "/calendars/events",
        params={
            "locationId": tenant.location_id,
            "calendarId": calendar_id,
            "startTime": NINE_MS - 86_400_000 * 30,
            "endTime": NINE_MS + 86_400_000 * 60,
        },
    )
    assert response.status_code == 200, response.text
    return response.json()["events"]


def contact_by_email(tenant, email):
    response = tenant.get(
        "/contacts/search/duplicate", params={"locationId": tenant.location_id, "email": email}
    )
    assert response.status_code == 200, response.text
    return response.json()["contact"]


def free_on_march_2(tenant, calendar_id):
    response = tenant.get(
        f"/calendars/{calendar_id}/free-slots",
        params={"startDate": "2026-03-02", "endDate": "2026-03-02"},
    )
    return response.json().get("2026-03-02", {}).get("slots", [])


def test_booking_creates_the_appointment_and_the_contact(client, ny):
    calendar_id = public_calendar(ny)
    # The visitor picks 15:00 in Madrid, which is 09:00 in New York.
    answer = book(client, calendar_id, "2026-03-02T15:00:00+01:00", timezone="Europe/Madrid")
    path = link_path(answer)
    assert path.startswith("/widget/appointment/")
    assert query_of(path) == {"lang": "en", "timezone": "Europe/Madrid", "done": "booked"}
    (event,) = appointments_of(ny, calendar_id)
    assert event["startTime"] == "2026-03-02T09:00:00-05:00"
    assert event["endTime"] == "2026-03-02T09:30:00-05:00"
    assert event["appointmentStatus"] == "confirmed"
    assert event["title"] == "Ann Lee"
    assert event["assignedUserId"] == "ann"
    contact = contact_by_email(ny, "ann.lee@example.com")
    assert event["contactId"] == contact["id"]
    assert contact["firstName"] == "Ann" and contact["lastName"] == "Lee"
    assert contact["phone"] == "+12125550100"
    assert contact["timezone"] == "Europe/Madrid"
    assert contact["source"] == "booking widget"
    details = ny.get(f"/calendars/events/appointments/{event['id']}").json()["appointment"]
    assert details["description"] == "First visit"
    # The slot is gone from the engine, and so from the page.
    assert NINE not in free_on_march_2(ny, calendar_id)
    page = client.get(f"/widget/booking/{calendar_id}", params={"date": "2026-03-02"}).text
    assert f'data-slot="{NINE}"' not in page
    assert f'data-slot="{NINE_THIRTY}"' in page
    # The confirmation: the time in the visitor's zone, thanks, the links.
    confirmation = client.get(path)
    assert confirmation.status_code == 200
    text = confirmation.text
    assert "Your appointment is confirmed" in text
    assert "Monday, March 2, 2026" in text
    assert "3:00\u202fPM \u2013 3:30\u202fPM" in text
    assert "Europe/Madrid" in text
    assert hrefs(text, "/widget/ics/")
    assert hrefs(text, "/widget/reschedule/")
    assert hrefs(text, "/widget/cancel/")


def test_a_second_booking_by_the_same_email_is_the_same_contact(client, ny):
    calendar_id = public_calendar(ny)
    link_path(book(client, calendar_id, NINE))
    link_path(book(client, calendar_id, NINE_THIRTY, firstName="Annie", phone=""))
    first, second = appointments_of(ny, calendar_id)
    assert first["contactId"] == second["contactId"]
    contact = contact_by_email(ny, "ann.lee@example.com")
    assert contact["firstName"] == "Annie"
    assert contact["phone"] == "+12125550100"  # left as it was


def test_a_slot_taken_meanwhile_is_a_clear_message_with_fresh_slots(client, ny):
    calendar_id = public_calendar(ny)
    page = form_page(client, calendar_id, NINE, timezone=ZONE)
    token = csrf_of(page.text)
    link_path(book(client, calendar_id, NINE, email="first@example.com"))
    late = client.post(
        f"/widget/booking/{calendar_id}",
        data={"csrf_token": token, "slot": NINE, "timezone": ZONE, "lang": "en", **PERSON},
        follow_redirects=False,
    )
    assert late.status_code == 409
    assert "The slot you have selected is no longer available." in late.text
    assert 'role="alert"' in late.text
    assert f'data-slot="{NINE}"' not in late.text
    assert f'data-slot="{NINE_THIRTY}"' in late.text
    assert len(appointments_of(ny, calendar_id)) == 1


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"email": "not-an-email"}, "email", "email must be an email"),
        ({"email": ""}, "email", "Enter your email address."),
        ({"firstName": "  "}, "firstName", "Enter your first name."),
        ({"lastName": ""}, "lastName", "Enter your last name."),
        (
            {"phone": "555-0100"},
            "phone",
            "phone must be a valid phone number (with + and the country code, or a number of "
            "the location&#39;s country, US)",
        ),
        (
            {"firstName": "x" * 256},
            "firstName",
            "firstName must be shorter than or equal to 255 characters",
        ),
        ({"notes": "n" * 2001}, "notes", "notes must be shorter than or equal to 2000 characters"),
    ],
)
def test_a_field_the_api_would_refuse_is_refused_next_to_it(client, ny, fields, field, message):
    calendar_id = public_calendar(ny)
    answer = book(client, calendar_id, NINE, **fields)
    assert answer.status_code == 400
    assert f'<p class="field-error" id="{field}-error">{message}</p>' in answer.text
    assert f'aria-describedby="{field}-error"' in answer.text
    # The form comes back filled in, on the chosen slot; nothing was booked.
    assert 'value="Lee"' in answer.text or field == "lastName"
    assert f'name="slot" value="{NINE}"' in answer.text
    assert appointments_of(ny, calendar_id) == []


def test_the_api_checks_the_same_email_and_phone(client, ny):
    """The messages above are the contacts API's own."""
    for body, message in (
        ({"email": "not-an-email"}, "email must be an email"),
        (
            {"phone": "555-0100"},
            "phone must be a valid phone number (with + and the country code, or a number of "
            "the location's country, US)",
        ),
    ):
        response = ny.post("/contacts/upsert", json={"locationId": ny.location_id, **body})
        assert response.status_code == 400
        assert response.json()["message"] == [message] or response.json()["message"] == message


def test_consent_and_guests_as_the_calendar_asks(client, ny):
    calendar_id = public_calendar(
        ny, consentLabel="I agree to be contacted about my appointment.", guestType="collect_detail"
    )
    page = form_page(client, calendar_id, NINE, timezone=ZONE).text
    assert "I agree to be contacted about my appointment." in page
    assert 'id="guests"' in page
    refused = book(client, calendar_id, NINE)
    assert refused.status_code == 400
    assert "Tick the box to give your consent." in refused.text
    bad_guest = book(client, calendar_id, NINE, consent="yes", guests="bob@example.com\nnope")
    assert bad_guest.status_code == 400
    assert "nope is not an email." in bad_guest.text
    done = book(client, calendar_id, NINE, consent="yes", guests="bob@example.com, cy@example.com")
    link_path(done)
    (event,) = appointments_of(ny, calendar_id)
    details = ny.get(f"/calendars/events/appointments/{event['id']}").json()["appointment"]
    assert details["description"] == "First visit\n\nGuests: bob@example.com, cy@example.com"
    counted = public_calendar(ny, guestType="count_only", members=("dee",))
    assert 'id="guestCount"' in form_page(client, counted, NINE, timezone=ZONE).text
    assert book(client, counted, NINE, guestCount="11").status_code == 400
    link_path(book(client, counted, NINE, guestCount="2"))


def test_the_honeypot_and_the_csrf_token_refuse_a_post(client, ny):
    calendar_id = public_calendar(ny)
    trapped = book(client, calendar_id, NINE, website="http://spam.example")
    assert trapped.status_code == 400
    assert "This form could not be accepted." in trapped.text
    body = {"slot": NINE, "timezone": ZONE, "lang": "en", **PERSON}
    path = f"/widget/booking/{calendar_id}"
    missing = client.post(path, data=body)
    assert missing.status_code == 403
    assert "This form has expired or did not come from this page." in missing.text
    token = csrf_of(form_page(client, calendar_id, NINE).text)
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert client.post(path, data={**body, "csrf_token": tampered}).status_code == 403
    # A token of another calendar's form does not book this one.
    other = public_calendar(ny)
    foreign = csrf_of(form_page(client, other, NINE).text)
    assert client.post(path, data={**body, "csrf_token": foreign}).status_code == 403
    # An expired one (made four hours and a second ago).
    key = links.secret(client.app.state.db)
    import time

    old = links.csrf_token(key, f"book:{calendar_id}", time.time() - links.CSRF_SECONDS - 1)
    assert client.post(path, data={**body, "csrf_token": old}).status_code == 403
    assert appointments_of(ny, calendar_id) == []


def test_malformed_posts_are_refused_as_pages(client, ny):
    calendar_id = public_calendar(ny)
    path = f"/widget/booking/{calendar_id}"
    as_json = client.post(path, json={"slot": NINE})
    assert as_json.status_code == 415
    repeated = client.post(
        path,
        content="slot=a&slot=b",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert repeated.status_code == 400
    huge = client.post(
        path,
        content="notes=" + "x" * 70_000,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert huge.status_code == 413
    token = csrf_of(form_page(client, calendar_id, NINE).text)
    no_slot = client.post(path, data={"csrf_token": token, **PERSON})
    assert no_slot.status_code == 400
    assert "Choose a time first." in no_slot.text
    not_offered = client.post(
        path, data={"csrf_token": token, "slot": "2026-03-02T03:00:00-05:00", **PERSON}
    )
    assert not_offered.status_code == 409
    assert "no longer available" in not_offered.text


def test_an_inactive_calendar_takes_no_booking(client, ny):
    calendar_id = public_calendar(ny)
    token = csrf_of(form_page(client, calendar_id, NINE).text)
    assert ny.put(f"/calendars/{calendar_id}", json={"isActive": False}).status_code == 200
    answer = client.post(
        f"/widget/booking/{calendar_id}",
        data={"csrf_token": token, "slot": NINE, "timezone": ZONE, **PERSON},
    )
    assert answer.status_code == 404
    assert appointments_of(ny, calendar_id) == []


def test_posts_are_limited_per_address(client, ny, widget_app):
    calendar_id = public_calendar(ny)
    widget_app.state.widget_limiter = PostLimiter(capacity=2, period_s=60)
    try:
        token = csrf_of(form_page(client, calendar_id, NINE).text)
        body = {"csrf_token": token, "slot": NINE, "timezone": ZONE, **PERSON, "email": ""}
        for _ in range(2):
            assert client.post(f"/widget/booking/{calendar_id}", data=body).status_code == 400
        limited = client.post(f"/widget/booking/{calendar_id}", data=body)
        assert limited.status_code == 429
        assert int(limited.headers["retry-after"]) >= 1
        assert "Too many attempts" in limited.text
    finally:
        roomy_limiter(widget_app)


def test_the_redirect_after_booking_when_the_calendar_says_so(client, ny):
    calendar_id = public_calendar(
        ny, formSubmitType="RedirectURL", formSubmitRedirectURL="https://example.com/thanks?x=1"
    )
    page = form_page(client, calendar_id, NINE)
    assert "form-action 'self' https://example.com;" in page.headers["content-security-policy"]
    assert link_path(book(client, calendar_id, NINE)) == "https://example.com/thanks?x=1"
    # A redirect URL that is no web address: the thank-you page instead.
    odd = public_calendar(
        ny,
        formSubmitType="RedirectURL",
        formSubmitRedirectURL="javascript:alert(1)",
        members=("dee",),
    )
    assert link_path(book(client, odd, NINE)).startswith("/widget/appointment/")


def test_the_thank_you_message_and_a_booking_to_confirm(client, ny):
    calendar_id = public_calendar(
        ny, formSubmitThanksMessage="See you soon!\nParking is free.", autoConfirm=False
    )
    page = client.get(link_path(book(client, calendar_id, NINE))).text
    assert "See you soon!\nParking is free." in page
    assert "Your appointment is requested" in page
    assert "Waiting for confirmation" in page
    (event,) = appointments_of(ny, calendar_id)
    assert event["appointmentStatus"] == "new"


def test_the_ics_reads_back(client, ny):
    calendar_id = public_calendar(ny, description="Room 4")
    confirmation = client.get(link_path(book(client, calendar_id, NINE))).text
    (ics_path,) = hrefs(confirmation, "/widget/ics/")
    answer = client.get(ics_path)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/calendar")
    assert "attachment" in answer.headers["content-disposition"]
    parsed = Calendar.from_ical(answer.content)
    assert str(parsed["method"]) == "PUBLISH"
    assert str(parsed["version"]) == "2.0"
    (event,) = parsed.walk("VEVENT")
    (stored,) = appointments_of(ny, calendar_id)
    assert str(event["uid"]).startswith(stored["id"] + "@")
    assert event.decoded("dtstart") == datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
    assert event.decoded("dtend") == datetime(2026, 3, 2, 14, 30, tzinfo=UTC)
    assert b"DTSTART:20260302T140000Z" in answer.content
    assert str(event["summary"]) == "personal calendar"
    assert str(event["description"]) == "Room 4"
    assert str(event["status"]) == "CONFIRMED"
    assert str(event["attendee"]) == "mailto:ann.lee@example.com"
    assert event["attendee"].params["CN"] == "Ann Lee"
    assert event.decoded("dtstamp") == datetime(2026, 2, 27, 12, 0, tzinfo=UTC)


def test_a_round_robin_booking_keeps_the_chosen_member(client, ny):
    calendar_id = make_calendar(
        ny, "round_robin", members=("ann", "bob"), days=("monday",), hours=(("09:00", "10:00"),)
    )
    page = form_page(client, calendar_id, NINE, userId="bob", timezone=ZONE)
    answer = client.post(
        f"/widget/booking/{calendar_id}",
        data={
            "csrf_token": csrf_of(page.text),
            "slot": NINE,
            "timezone": ZONE,
            "userId": "bob",
            **PERSON,
        },
        follow_redirects=False,
    )
    link_path(answer)
    (event,) = appointments_of(ny, calendar_id)
    assert event["assignedUserId"] == "bob"


def test_a_location_without_contacts_required_still_gets_the_contact(client):
    tenant = create_tenant(client, timezone=ZONE, require_contacts=False)
    calendar_id = public_calendar(tenant)
    link_path(book(client, calendar_id, NINE, email="zed@example.com"))
    (event,) = appointments_of(tenant, calendar_id)
    assert event["contactId"] == contact_by_email(tenant, "zed@example.com")["id"]
