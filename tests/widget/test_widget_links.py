"""The signed links of a booking: its confirmation, `.ics`, reschedule and cancel pages work
without a login, only for their appointment and purpose, and not once expired."""

import pytest

from opencalendars.widget import links
from widget.helpers import ZONE, book, csrf_of, hrefs, link_path, public_calendar, token_of

NINE = "2026-03-02T09:00:00-05:00"
TEN = "2026-03-02T10:00:00-05:00"
TUESDAY_ELEVEN = "2026-03-03T11:00:00-05:00"


def booked(client, calendar_id, slot=NINE, **fields):
    """The confirmation page's path and HTML."""
    path = link_path(book(client, calendar_id, slot, **fields))
    page = client.get(path)
    assert page.status_code == 200
    return path, page.text


def only(found):
    (item,) = found
    return item


def event_of(tenant, appointment_id):
    response = tenant.get(f"/calendars/events/appointments/{appointment_id}")
    assert response.status_code == 200, response.text
    return response.json()["appointment"]


def outbox_types(client, location_id):
    response = client.get(
        "/admin/outbox",
        params={"locationId": location_id},
        headers={"Authorization": "Bearer test-admin-key"},
    )
    if response.status_code != 200:
        return None
    return [item.get("eventType") or item.get("type") for item in response.json().get("items", [])]


def test_cancel_through_the_link(client, ny):
    calendar_id = public_calendar(ny)
    view, page = booked(client, calendar_id)
    appointment_id = token_of(view).split(".")[0]
    cancel = only(hrefs(page, "/widget/cancel/"))
    confirm = client.get(cancel)
    assert confirm.status_code == 200
    assert "Cancel this appointment?" in confirm.text
    assert "9:00\u202fAM \u2013 9:30\u202fAM" in confirm.text
    done = client.post(
        cancel.split("?")[0],
        data={"csrf_token": csrf_of(confirm.text), "lang": "en", "timezone": ZONE},
        follow_redirects=False,
    )
    after = link_path(done)
    assert "done=cancelled" in after
    assert event_of(ny, appointment_id)["appointmentStatus"] == "cancelled"
    page = client.get(after).text
    assert "Your appointment has been cancelled" in page
    assert not hrefs(page, "/widget/cancel/") and not hrefs(page, "/widget/reschedule/")
    # The slot is free again; the cancel link now says it cannot.
    assert f'data-slot="{NINE}"' in client.get(f"/widget/booking/{calendar_id}").text
    assert client.get(cancel).status_code == 409


def test_reschedule_through_the_link(client, ny):
    calendar_id = public_calendar(ny)
    view, page = booked(client, calendar_id)
    appointment_id = token_of(view).split(".")[0]
    reschedule = only(hrefs(page, "/widget/reschedule/"))
    picker = client.get(reschedule)
    assert picker.status_code == 200
    assert "Choose a new date and time" in picker.text
    assert "Your appointment is now on Monday, March 2, 2026 at 9:00\u202fAM." in picker.text
    base = reschedule.split("?")[0]
    chosen = client.get(base, params={"slot": TUESDAY_ELEVEN, "timezone": ZONE})
    assert chosen.status_code == 200
    assert "Move my appointment to this time" in chosen.text
    assert 'name="firstName"' not in chosen.text
    moved = client.post(
        base,
        data={"csrf_token": csrf_of(chosen.text), "slot": TUESDAY_ELEVEN, "timezone": ZONE},
        follow_redirects=False,
    )
    after = link_path(moved)
    assert "done=rescheduled" in after
    event = event_of(ny, appointment_id)
    assert event["startTime"] == "2026-03-03T11:00:00-05:00"
    assert event["endTime"] == "2026-03-03T11:30:00-05:00"
    assert event["appointmentStatus"] == "confirmed"
    assert "Tuesday, March 3, 2026" in client.get(after).text


def test_reschedule_to_a_taken_slot_is_a_clear_message(client, ny):
    calendar_id = public_calendar(ny)
    _, page = booked(client, calendar_id)
    link_path(book(client, calendar_id, TEN, email="other@example.com"))
    base = only(hrefs(page, "/widget/reschedule/")).split("?")[0]
    token = csrf_of(client.get(base, params={"slot": TUESDAY_ELEVEN}).text)
    refused = client.post(base, data={"csrf_token": token, "slot": TEN, "timezone": ZONE})
    assert refused.status_code == 409
    assert "The slot you have selected is no longer available." in refused.text
    missing_token = client.post(base, data={"slot": TUESDAY_ELEVEN, "timezone": ZONE})
    assert missing_token.status_code == 403


def test_links_are_only_for_their_appointment_and_purpose(client, ny):
    calendar_id = public_calendar(ny)
    view, _ = booked(client, calendar_id)
    token = token_of(view)
    appointment_id, expiry, mac = token.split(".")
    other_view, _ = booked(client, calendar_id, TEN, email="bo@example.com")
    other_id = token_of(other_view).split(".")[0]
    forged = [
        f"{other_id}.{expiry}.{mac}",  # another appointment
        f"{appointment_id}.{int(expiry) + 86_400}.{mac}",  # a later expiry
        f"{appointment_id}.{expiry}.{mac[:-1]}{'A' if mac[-1] != 'A' else 'B'}",
        "nothing",
        "a" * 300,
    ]
    for bad in forged:
        assert client.get(f"/widget/appointment/{bad}").status_code == 404, bad
        assert client.get(f"/widget/ics/{bad}").status_code == 404, bad
    # The confirmation's token is no cancel link, nor a reschedule one.
    assert client.get(f"/widget/cancel/{token}").status_code == 404
    assert client.get(f"/widget/reschedule/{token}").status_code == 404
    assert client.post(f"/widget/cancel/{token}", data={"csrf_token": "x"}).status_code == 404
    assert event_of(ny, appointment_id)["appointmentStatus"] == "confirmed"


def test_links_expire(client, ny, before_march):
    calendar_id = public_calendar(ny)
    view, page = booked(client, calendar_id)
    cancel = only(hrefs(page, "/widget/cancel/"))
    # Cancel and reschedule links end when the appointment starts; the confirmation a day
    # after it ends.
    before_march("2026-03-02T14:00:00Z")
    assert client.get(cancel).status_code == 410
    assert "This link has expired." in client.get(cancel).text
    assert client.get(view).status_code == 200
    before_march("2026-03-03T14:31:00Z")
    assert client.get(view).status_code == 410


def test_a_calendar_that_allows_neither_offers_neither(client, ny):
    calendar_id = public_calendar(ny, allowReschedule=False, allowCancellation=False)
    view, page = booked(client, calendar_id)
    assert not hrefs(page, "/widget/cancel/")
    assert not hrefs(page, "/widget/reschedule/")
    appointment_id = token_of(view).split(".")[0]
    # Even a correctly signed link is refused: the calendar decides.
    key = links.secret(client.app.state.db)
    (event,) = [event_of(ny, appointment_id)]
    start_s = int(link_expiry(event))
    cancel = links.sign_link(key, links.CANCEL, appointment_id, expiry_s=start_s)
    assert client.get(f"/widget/cancel/{cancel}").status_code == 409
    assert (
        client.post(
            f"/widget/cancel/{cancel}",
            data={"csrf_token": links.csrf_token(key, f"cancel:{appointment_id}")},
        ).status_code
        == 409
    )
    assert event_of(ny, appointment_id)["appointmentStatus"] == "confirmed"


def link_expiry(event) -> int:
    from datetime import datetime

    return int(datetime.fromisoformat(event["startTime"]).timestamp())


@pytest.mark.parametrize("language", ["es"])
def test_the_confirmation_in_spanish(client, ny, language):
    calendar_id = public_calendar(ny)
    path = link_path(book(client, calendar_id, NINE, lang=language))
    assert "lang=es" in path
    page = client.get(path).text
    assert '<html lang="es">' in page
    assert "Tu cita está confirmada" in page
    assert "Lunes, 2 de marzo de 2026" in page
    assert "9:00 \u2013 9:30" in page
    assert "Añadir al calendario (.ics)" in page
    assert "Cancelar la cita" in page
