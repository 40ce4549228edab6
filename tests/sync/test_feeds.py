"""ICS subscription feeds (PRODUCT §16): parsed back with `icalendar` and checked event by
event; ETag and 304; revoked secrets."""

from datetime import datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import icalendar
import pytest
import recurring_ical_events

from api.slot_helpers import make_calendar, ms
from support.api import ADMIN_HEADERS, create_tenant
from sync.helpers import FEEDS, book, book_service, service_for

pytestmark = pytest.mark.usefixtures("now")

NY = ZoneInfo("America/New_York")


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=NY)


def create_feed(tenant, **target):
    response = tenant.client.post(
        FEEDS, json={"locationId": tenant.location_id, **target}, headers=ADMIN_HEADERS
    )
    assert response.status_code == 201, response.text
    return response.json()["feed"]


def fetch(tenant, url, **headers):
    return tenant.client.get(urlsplit(url).path, headers=headers)


def parsed(response) -> icalendar.Calendar:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    return icalendar.Calendar.from_ical(response.content)


def events_by_key(calendar) -> dict:
    """VEVENTs by (UID, RECURRENCE-ID or None)."""
    found = {}
    for event in calendar.walk("VEVENT"):
        recurrence_id = event.get("RECURRENCE-ID")
        found[str(event["UID"]), None if recurrence_id is None else recurrence_id.dt] = event
    return found


@pytest.fixture
def week(ny):
    """Ann's weekly series from Monday 2027-03-08 09:00 (across the spring-forward of
    2027-03-14), its 2027-03-22 occurrence moved to 11:00, its 2027-03-29 one deleted; a single
    appointment, cancelled; a blocked slot of hers."""
    ny.calendar_id = make_calendar(ny, members=("ann",), hours=(("09:00", "12:00"),))
    series = book(
        ny,
        ny.calendar_id,
        "2027-03-08T09:00:00-05:00",
        assignedUserId="ann",
        title="Weekly check-in",
        rrule="RRULE:FREQ=WEEKLY;COUNT=4",
        ignoreFreeSlotValidation=True,
    )
    assert series.status_code == 200, series.text
    ny.master = series.json()["id"]
    moved_start = ms("2027-03-22T09:00:00-04:00")
    ny.moved = f"{ny.master}_{moved_start}_1800"
    moved = ny.put(
        f"/calendars/events/appointments/{ny.moved}",
        json={
            "startTime": "2027-03-22T11:00:00-04:00",
            "endTime": "2027-03-22T11:30:00-04:00",
            "ignoreFreeSlotValidation": True,
        },
    )
    assert moved.status_code == 200, moved.text
    deleted = ny.delete(f"/calendars/events/{ny.master}_{ms('2027-03-29T09:00:00-04:00')}_1800")
    assert deleted.status_code == 200, deleted.text
    single = book(
        ny,
        ny.calendar_id,
        "2027-03-09T10:00:00-05:00",
        assignedUserId="ann",
        ignoreFreeSlotValidation=True,
    )
    assert single.status_code == 200, single.text
    ny.single = single.json()["id"]
    cancelled = ny.put(
        f"/calendars/events/appointments/{ny.single}", json={"appointmentStatus": "cancelled"}
    )
    assert cancelled.status_code == 200, cancelled.text
    block = ny.post(
        "/calendars/events/block-slots",
        json={
            "locationId": ny.location_id,
            "assignedUserId": "ann",
            "startTime": "2027-03-10T13:00:00-05:00",
            "endTime": "2027-03-10T14:00:00-05:00",
            "title": "Focus time",
        },
    )
    assert block.status_code == 201, block.text
    ny.block = block.json()["id"]
    return ny


def test_a_user_feed_event_by_event(week):
    feed = create_feed(week, userId="ann")
    assert feed["url"].startswith("http://testserver/feeds/")
    assert len(urlsplit(feed["url"]).path.removeprefix("/feeds/").removesuffix(".ics")) >= 43

    calendar = parsed(fetch(week, feed["url"]))

    assert calendar["VERSION"] == "2.0"
    assert calendar["REFRESH-INTERVAL"].to_ical() == b"PT15M"
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["America/New_York"]
    events = events_by_key(calendar)
    master_uid = f"{week.master}@testserver"
    assert set(events) == {
        (master_uid, None),
        (master_uid, local("2027-03-22T09:00")),
        (f"{week.single}@testserver", None),
        (f"{week.block}@testserver", None),
    }
    master = events[master_uid, None]
    assert master["DTSTART"].dt == local("2027-03-08T09:00")
    assert master["DTSTART"].params["TZID"] == "America/New_York"
    assert master["DTEND"].dt == local("2027-03-08T09:30")
    assert master["RRULE"].to_ical() == b"FREQ=WEEKLY;COUNT=4"
    assert [d.dt for exdate in [master["EXDATE"]] for d in exdate.dts] == [
        local("2027-03-29T09:00")
    ]
    assert str(master["SUMMARY"]) == "Weekly check-in"
    moved = events[master_uid, local("2027-03-22T09:00")]
    assert moved["DTSTART"].dt == local("2027-03-22T11:00")
    assert moved["DTEND"].dt == local("2027-03-22T11:30")
    assert str(events[f"{week.single}@testserver", None]["STATUS"]) == "CANCELLED"
    block = events[f"{week.block}@testserver", None]
    assert str(block["SUMMARY"]) == "Focus time"
    assert block["DTSTART"].dt == local("2027-03-10T13:00")
    assert str(block["TRANSP"]) == "OPAQUE"

    # A calendar app's reading: 09:00 New York time before and after the clocks change, the
    # moved occurrence at 11:00, nothing on 2027-03-29.
    starts = [
        event["DTSTART"].dt
        for event in recurring_ical_events.of(calendar).between(
            local("2027-03-01T00:00"), local("2027-04-30T00:00")
        )
        if str(event["UID"]) == master_uid
    ]
    assert sorted(starts) == [
        local("2027-03-08T09:00"),
        local("2027-03-15T09:00"),
        local("2027-03-22T11:00"),
    ]
    assert starts[0].utcoffset() == timedelta(hours=-5)
    assert local("2027-03-15T09:00").utcoffset() == timedelta(hours=-4)


def test_etag_304_and_sequence_bumped_on_change(week):
    feed = create_feed(week, userId="ann")
    first = fetch(week, feed["url"])
    etag = first.headers["etag"]
    assert first.headers["cache-control"].startswith("private, max-age=")
    sequences = {key: int(event["SEQUENCE"]) for key, event in events_by_key(parsed(first)).items()}
    assert set(sequences.values()) == {0}

    unchanged = fetch(week, feed["url"], **{"If-None-Match": etag})

    assert unchanged.status_code == 304
    assert unchanged.content == b""
    assert unchanged.headers["etag"] == etag

    moved = week.put(
        f"/calendars/events/appointments/{week.single}",
        json={"startTime": "2027-03-09T11:00:00-05:00", "ignoreFreeSlotValidation": True},
    )
    assert moved.status_code == 200, moved.text
    changed = fetch(week, feed["url"], **{"If-None-Match": etag})

    assert changed.status_code == 200
    assert changed.headers["etag"] != etag
    after = {key: int(event["SEQUENCE"]) for key, event in events_by_key(parsed(changed)).items()}
    single = (f"{week.single}@testserver", None)
    assert after == {**sequences, single: 1}
    assert events_by_key(parsed(changed))[single]["DTSTART"].dt == local("2027-03-09T11:00")
    # The next change bumps it again; what did not change keeps its number.
    week.put(f"/calendars/events/appointments/{week.single}", json={"title": "Renamed"})
    again = {
        key: int(event["SEQUENCE"])
        for key, event in events_by_key(parsed(fetch(week, feed["url"]))).items()
    }
    assert again == {**sequences, single: 2}


def test_a_revoked_secret_answers_404_and_lists_hide_secrets(week):
    feed = create_feed(week, userId="ann")
    other = create_feed(week, calendarId=week.calendar_id)
    listed = week.client.get(FEEDS, params={"locationId": week.location_id}, headers=ADMIN_HEADERS)
    assert listed.status_code == 200
    by_id = {item["id"]: item for item in listed.json()["feeds"]}
    assert set(by_id) == {feed["id"], other["id"]}
    assert all("url" not in item for item in by_id.values())
    assert (by_id[feed["id"]]["kind"], by_id[feed["id"]]["userId"]) == ("user", "ann")
    assert by_id[other["id"]]["kind"] == "calendar"
    assert by_id[other["id"]]["calendarId"] == week.calendar_id

    revoked = week.client.delete(f"{FEEDS}/{feed['id']}", headers=ADMIN_HEADERS)

    assert revoked.status_code == 200
    assert fetch(week, feed["url"]).status_code == 404
    assert fetch(week, other["url"]).status_code == 200
    assert week.client.delete(f"{FEEDS}/{feed['id']}", headers=ADMIN_HEADERS).status_code == 404
    assert week.client.get("/feeds/not-a-secret.ics").status_code == 404
    listed = week.client.get(FEEDS, params={"locationId": week.location_id}, headers=ADMIN_HEADERS)
    assert [item["id"] for item in listed.json()["feeds"]] == [other["id"]]


def test_a_calendar_feed_holds_its_appointments_and_calendar_blocks(week):
    other_calendar = make_calendar(week, members=("bob",), hours=(("09:00", "12:00"),))
    bob = book(week, other_calendar, "2027-03-08T09:00:00-05:00", assignedUserId="bob")
    assert bob.status_code == 200, bob.text
    block = week.post(
        "/calendars/events/block-slots",
        json={
            "locationId": week.location_id,
            "calendarId": week.calendar_id,
            "startTime": "2027-03-11T09:00:00-05:00",
            "endTime": "2027-03-11T12:00:00-05:00",
        },
    )
    assert block.status_code == 201, block.text
    feed = create_feed(week, calendarId=week.calendar_id)

    events = events_by_key(parsed(fetch(week, feed["url"])))

    uids = {uid for uid, _ in events}
    assert uids == {
        f"{week.master}@testserver",
        f"{week.single}@testserver",
        f"{block.json()['id']}@testserver",
    }
    assert str(events[f"{block.json()['id']}@testserver", None]["SUMMARY"]) == "Busy"


def test_feed_refusals(week):
    post = week.client.post
    both = post(
        FEEDS,
        json={"locationId": week.location_id, "userId": "ann", "calendarId": week.calendar_id},
        headers=ADMIN_HEADERS,
    )
    assert both.status_code == 400
    assert both.json()["message"] == ["exactly one of userId and calendarId must be given"]
    unknown = post(
        FEEDS, json={"locationId": week.location_id, "calendarId": "nope"}, headers=ADMIN_HEADERS
    )
    assert unknown.status_code == 404
    assert post(FEEDS, json={"locationId": week.location_id, "userId": "ann"}).status_code == 401
    calendar_feed = create_feed(week, calendarId=week.calendar_id)
    assert week.delete(f"/calendars/{week.calendar_id}").status_code == 200
    assert fetch(week, calendar_feed["url"]).status_code == 404


def test_a_utc_location_s_feed_with_a_service_booking(client):
    utc = create_tenant(client, timezone="UTC")
    service_id = service_for(utc, "cat", zone="UTC")
    booking = book_service(
        utc, service_id, "2027-03-08T10:00:00Z", "2027-03-08T10:30:00Z", zone="UTC"
    )
    assert booking.status_code == 201, booking.text
    feed = create_feed(utc, userId="cat")

    calendar = parsed(fetch(utc, feed["url"]))

    assert calendar.walk("VTIMEZONE") == []
    (event,) = calendar.walk("VEVENT")
    assert str(event["UID"]) == f"{booking.json()['bookingId']}@testserver"
    assert event["DTSTART"].to_ical() == b"20270308T100000Z"
    assert event["DTEND"].to_ical() == b"20270308T103000Z"
    assert str(event["SUMMARY"]) == "Haircut"
