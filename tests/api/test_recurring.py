"""Recurring series (PRODUCT §5): expansion, occurrence ids, one occurrence vs the series."""

import pytest

from api.slot_helpers import count_period_work, free, make_calendar, ms, times

MARCH = (ms("2026-03-01T00:00:00-05:00"), ms("2026-04-01T00:00:00-04:00"))


pytestmark = pytest.mark.usefixtures("before_march")


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


# ---- limits of a series (issue 19, defects 2 and 8) -------------------------------------------


def create(tenant, calendar_id, rrule, start="2026-03-02T09:00:00-05:00"):
    return tenant.post(
        "/calendars/events/appointments",
        json={
            "calendarId": calendar_id,
            "locationId": tenant.location_id,
            "contactId": "contact-1",
            "startTime": start,
            "rrule": rrule,
            "ignoreFreeSlotValidation": True,
        },
    )


BY_THE_TIME = (
    "rrule must not have BYHOUR, BYMINUTE or BYSECOND: "
    "a series has one occurrence a day at most, at the time of startTime"
)


@pytest.mark.parametrize(
    ("rrule", "message"),
    [
        ("RRULE:FREQ=SECONDLY", "rrule FREQ must be DAILY, WEEKLY, MONTHLY or YEARLY"),
        ("FREQ=HOURLY;COUNT=3", "rrule FREQ must be DAILY, WEEKLY, MONTHLY or YEARLY"),
        ("FREQ=DAILY;BYHOUR=9,10,11", BY_THE_TIME),
        ("FREQ=WEEKLY;BYMINUTE=0,1,2,3", BY_THE_TIME),
        ("FREQ=YEARLY;BYYEARDAY=1,100", "rrule must not have BYYEARDAY, BYWEEKNO or BYEASTER"),
        ("FREQ=DAILY;INTERVAL=0", "rrule INTERVAL must be at least 1"),
        ("FREQ=DAILY;COUNT=731", "rrule COUNT must be between 1 and 730"),
        ("FREQ=DAILY;COUNT=2;UNTIL=20260310T000000Z", "rrule must not have both COUNT and UNTIL"),
        (
            "FREQ=DAILY;UNTIL=20310304T000000Z",
            "rrule UNTIL must be at most 5 years after startTime",
        ),
        ("FREQ=WEEKLY;COUNT=263", "rrule COUNT must end the series within 5 years of startTime"),
        (
            "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30",
            "rrule yields no occurrence within 5 years of startTime",
        ),
        (
            "FREQ=DAILY\nRDATE:20260304T140000Z",
            "rrule must hold one RRULE line and, optionally, EXDATE lines",
        ),
        (
            "DTSTART:00010101T000000Z\nFREQ=DAILY",
            "rrule must hold one RRULE line and, optionally, EXDATE lines",
        ),
        (
            "FREQ=DAILY;" + "BYMONTHDAY=1;" * 90 + "COUNT=2",
            "rrule must be at most 1000 characters long",
        ),
    ],
)
def test_a_rule_beyond_the_limits_of_a_series_is_refused(ny, calendar_id, rrule, message):
    response = create(ny, calendar_id, rrule)

    assert (response.status_code, response.json()["message"]) == (400, [message])
    assert events(ny, calendar_id) == []


def test_the_largest_series_the_limits_allow_are_accepted(ny, calendar_id):
    daily = create(ny, calendar_id, "FREQ=DAILY;COUNT=730")
    until = create(ny, calendar_id, "FREQ=WEEKLY;UNTIL=20310303T140000Z")
    weekly = create(ny, calendar_id, "FREQ=WEEKLY;COUNT=262", "2026-03-04T09:00:00-05:00")

    assert [r.status_code for r in (daily, until, weekly)] == [200, 200, 200]

    def of(created, span):
        found = events(ny, calendar_id, (ms(span[0]), ms(span[1])))
        return starts(e for e in found if e["masterEventId"] == created.json()["id"])

    assert of(daily, ("2028-02-28T00:00:00-05:00", "2028-03-02T00:00:00-05:00")) == [
        "2028-02-28T09:00:00-05:00",
        "2028-02-29T09:00:00-05:00",  # the 730th
    ]
    # UNTIL 2031-03-03T14:00Z: 1,827 days after the start.
    assert of(until, ("2031-02-20T00:00:00-05:00", "2031-03-20T00:00:00-04:00")) == [
        "2031-02-24T09:00:00-05:00",
        "2031-03-03T09:00:00-05:00",
    ]
    assert of(weekly, ("2031-02-20T00:00:00-05:00", "2031-03-20T00:00:00-04:00")) == [
        "2031-02-26T09:00:00-05:00",
        "2031-03-05T09:00:00-05:00",  # the 262nd
    ]


def test_editing_a_series_to_a_rule_beyond_the_limits_is_refused(ny, calendar_id):
    master = series(ny, calendar_id, "FREQ=WEEKLY;COUNT=3")

    edit = ny.put(
        f"/calendars/events/appointments/{master['id']}",
        json={"rrule": "FREQ=MINUTELY", "ignoreFreeSlotValidation": True},
    )
    moved = ny.put(
        f"/calendars/events/appointments/{master['id']}",
        json={"startTime": "2021-03-02T09:00:00-05:00", "ignoreFreeSlotValidation": True},
    )

    assert (edit.status_code, edit.json()["message"]) == (
        400,
        ["rrule FREQ must be DAILY, WEEKLY, MONTHLY or YEARLY"],
    )
    assert moved.status_code == 200, moved.text  # 3 weeks from any start are within the limits
    shown = ny.get(f"/calendars/events/appointments/{master['id']}").json()["event"]
    assert shown["rrule"] == "RRULE:FREQ=WEEKLY;COUNT=3"


def test_reading_a_series_twenty_years_old_costs_what_the_range_holds(ny, calendar_id, monkeypatch):
    master = series(ny, calendar_id, "FREQ=DAILY", start="2006-03-01T09:00:00-05:00")
    calls = count_period_work(monkeypatch)

    found = events(ny, calendar_id)
    one = ny.get(f"/calendars/events/appointments/{found[9]['id']}")

    assert len(found) == 31
    assert (found[0]["startTime"], found[-1]["startTime"]) == (
        "2026-03-01T09:00:00-05:00",
        "2026-03-31T09:00:00-04:00",
    )
    assert one.json()["event"]["masterEventId"] == master["id"]
    # The days of March and one either side, then the occurrence's day and one either side:
    # not the 7,300 days since the start, which the expansion walked through before.
    assert len(calls) == 34 + 3


@pytest.mark.parametrize(
    "suffix",
    [
        "999999999999999_1800",  # the year 33658
        "-999999999999999_1800",
        "253402300800000_1800",  # the first millisecond of the year 10000
        "1772460000000_99999999999999999999",  # the duration: 3e12 years
        "1772460000000_" + "9" * 5000,  # more digits than Python's int() reads
        "١٧٧٢٤٦٠٠٠٠٠٠٠_1800",  # Arabic-Indic digits, which str.isdigit() accepts
    ],
)
def test_occurrence_ids_far_outside_the_years_are_not_found(ny, calendar_id, suffix):
    master = series(ny, calendar_id, "FREQ=DAILY")
    event_id = f"{master['id']}_{suffix}"

    got = ny.get(f"/calendars/events/appointments/{event_id}")
    edited = ny.put(f"/calendars/events/appointments/{event_id}", json={"title": "Moved"})
    deleted = ny.delete(f"/calendars/events/{event_id}")

    assert [got.status_code, edited.status_code, deleted.status_code] == [404, 404, 404]
    assert len(events(ny, calendar_id)) == 30  # March 2..31, untouched
