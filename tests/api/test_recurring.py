"""Recurring series (PRODUCT §5): expansion, occurrence ids, one occurrence vs the series."""

import pytest

from api.slot_helpers import ZONE, free, make_calendar, ms, times
from support.api import create_tenant

MARCH = (ms("2026-03-01T00:00:00-05:00"), ms("2026-04-01T00:00:00-04:00"))


@pytest.fixture
def ny(client):
    return create_tenant(client, timezone=ZONE)


@pytest.fixture(autouse=True)
def before_march(frozen_clock):
    frozen_clock("2026-02-27T12:00:00Z")


@pytest.fixture
def calendar_id(ny):
    return make_calendar(ny, hours=(("09:00", "12:00"),), enableRecurring=True)


def series(tenant, calendar_id, rrule, start="2026-03-02T09:00:00-05:00", **fields):
    response = tenant.post(
        "/calendars/events/appointments",
        json={
            "calendarId": calendar_id,
            "locationId": tenant.location_id,
            "contactId": "contact-1",
            "startTime": start,
            "rrule": rrule,
            "ignoreFreeSlotValidation": True,
            **fields,
        },
    )
    assert response.status_code == 200, response.text
    return response.json()


def events(tenant, calendar_id, span=MARCH):
    response = tenant.get(
        "/calendars/events",
        params={
            "locationId": tenant.location_id,
            "calendarId": calendar_id,
            "startTime": span[0],
            "endTime": span[1],
        },
    )
    assert response.status_code == 200, response.text
    return response.json()["events"]


def starts(found):
    return [event["startTime"] for event in found]


def test_a_weekly_series_keeps_its_local_time_across_dst(ny, calendar_id):
    master = series(ny, calendar_id, "RRULE:FREQ=WEEKLY;COUNT=4")

    found = events(ny, calendar_id)

    assert master["isRecurring"] is True
    assert master["rrule"] == "RRULE:FREQ=WEEKLY;COUNT=4"
    assert starts(found) == [
        "2026-03-02T09:00:00-05:00",
        "2026-03-09T09:00:00-04:00",
        "2026-03-16T09:00:00-04:00",
        "2026-03-23T09:00:00-04:00",
    ]
    first = found[0]
    assert first["id"] == f"{master['id']}_{ms('2026-03-02T09:00:00-05:00')}_1800"
    assert first["masterEventId"] == master["id"]
    assert (first["isRecurring"], first["rrule"]) == (True, "RRULE:FREQ=WEEKLY;COUNT=4")
    assert [e["id"] for e in events(ny, calendar_id)] == [e["id"] for e in found]  # stable


def test_rules_without_prefix_with_exdate_and_until(ny, calendar_id):
    series(ny, calendar_id, "FREQ=DAILY;UNTIL=20260306T235959Z\nEXDATE:20260304T140000Z")

    assert starts(events(ny, calendar_id)) == [
        "2026-03-02T09:00:00-05:00",
        "2026-03-03T09:00:00-05:00",
        "2026-03-05T09:00:00-05:00",
        "2026-03-06T09:00:00-05:00",
    ]


def test_a_series_without_end_is_expanded_lazily(ny, calendar_id):
    series(ny, calendar_id, "FREQ=WEEKLY")
    far = (ms("2031-06-01T00:00:00-04:00"), ms("2031-06-15T00:00:00-04:00"))

    assert starts(events(ny, calendar_id, far)) == [
        "2031-06-02T09:00:00-04:00",
        "2031-06-09T09:00:00-04:00",
    ]


def test_occurrences_occupy_time(ny, calendar_id):
    series(ny, calendar_id, "FREQ=WEEKLY;COUNT=2", endTime="2026-03-02T10:00:00-05:00")

    assert times(free(ny, calendar_id, start="2026-03-09")) == ["10:00", "10:30", "11:00", "11:30"]
    assert times(free(ny, calendar_id, start="2026-03-16")) == [
        "09:00", "09:30", "10:00", "10:30", "11:00", "11:30",
    ]  # fmt: skip


def test_get_an_occurrence_and_the_series(ny, calendar_id):
    master = series(ny, calendar_id, "FREQ=WEEKLY;COUNT=3")
    second = events(ny, calendar_id)[1]

    occurrence = ny.get(f"/calendars/events/appointments/{second['id']}").json()["event"]
    whole = ny.get(f"/calendars/events/appointments/{master['id']}").json()["event"]

    assert occurrence == second
    assert (whole["id"], whole["rrule"], "masterEventId" in whole) == (
        master["id"],
        "RRULE:FREQ=WEEKLY;COUNT=3",
        False,
    )
    missing = f"{master['id']}_{ms('2026-03-03T09:00:00-05:00')}_1800"
    assert ny.get(f"/calendars/events/appointments/{missing}").status_code == 404


def test_moving_one_occurrence_leaves_the_others(ny, calendar_id):
    series(ny, calendar_id, "FREQ=WEEKLY;COUNT=3")
    second = events(ny, calendar_id)[1]

    moved = ny.put(
        f"/calendars/events/appointments/{second['id']}",
        json={"startTime": "2026-03-09T10:00:00-04:00", "title": "Moved"},
    )

    assert moved.status_code == 200, moved.text
    found = events(ny, calendar_id)
    assert starts(found) == [
        "2026-03-02T09:00:00-05:00",
        "2026-03-09T10:00:00-04:00",
        "2026-03-16T09:00:00-04:00",
    ]
    assert (found[1]["id"], found[1]["title"], found[1]["masterEventId"]) == (
        second["id"],
        "Moved",
        second["masterEventId"],
    )
    assert ny.get(f"/calendars/events/appointments/{second['id']}").json()["event"] == found[1]


def test_deleting_one_occurrence_or_the_whole_series(ny, calendar_id):
    master = series(ny, calendar_id, "FREQ=WEEKLY;COUNT=3")
    first, second, third = events(ny, calendar_id)
    ny.put(f"/calendars/events/appointments/{third['id']}", json={"title": "Detached"})

    one = ny.delete(f"/calendars/events/{second['id']}")

    assert one.json() == {"succeeded": True}
    assert [e["id"] for e in events(ny, calendar_id)] == [first["id"], third["id"]]
    assert times(free(ny, calendar_id, start="2026-03-09"))[0] == "09:00"
    assert ny.delete(f"/calendars/events/{second['id']}").status_code == 404

    whole = ny.delete(f"/calendars/events/{master['id']}")

    assert whole.json() == {"succeeded": True}
    assert events(ny, calendar_id) == []


def test_a_bad_rule_is_400_and_a_rule_without_ignore_is_not_applied(ny, calendar_id):
    bad = ny.post(
        "/calendars/events/appointments",
        json={
            "calendarId": calendar_id,
            "locationId": ny.location_id,
            "contactId": "c",
            "startTime": "2026-03-02T09:00:00-05:00",
            "rrule": "FREQ=SOMETIMES",
            "ignoreFreeSlotValidation": True,
        },
    )
    single = ny.post(
        "/calendars/events/appointments",
        json={
            "calendarId": calendar_id,
            "locationId": ny.location_id,
            "contactId": "c",
            "startTime": "2026-03-02T09:00:00-05:00",
            "rrule": "FREQ=DAILY;COUNT=3",
        },
    )

    assert bad.status_code == 400
    assert bad.json()["message"] == ["rrule must be a valid RFC 5545 recurrence rule"]
    assert single.status_code == 200
    assert single.json()["isRecurring"] is False
    assert len(events(ny, calendar_id)) == 1
