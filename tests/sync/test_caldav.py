"""Conflict calendars on a real Radicale CalDAV server (PRODUCT §16): events created there with
the `caldav` client hide slots after a sync, in free slots and for bookings alike."""

import pytest

from api.slot_helpers import free, make_calendar, times
from support.api import ADMIN_HEADERS
from sync.helpers import CONNECTIONS, book, connect, sync, vcalendar, vevent

pytestmark = pytest.mark.usefixtures("now")

MONDAY = "2027-03-08"
MORNING = ["09:00", "09:30", "10:00", "10:30", "11:00", "11:30"]


@pytest.fixture
def ann_calendar(ny, radicale, secret_key, request):
    """Ann works Mondays 09:00-12:00 on a personal calendar; her Radicale calendar is
    connected (with her password) and synced once, empty."""
    ny.calendar_id = make_calendar(ny, members=("ann",), hours=(("09:00", "12:00"),))
    ny.remote = radicale.new_calendar(f"work-{ny.location_id}")
    ny.connection = connect(
        ny, "ann", "caldav", str(ny.remote.url), username="ann", password="ann-secret"
    )
    assert sync(ny, ny.connection["id"])["lastError"] is None
    return ny


def put(remote, *events):
    return remote.save_event(vcalendar(*events))


def test_an_event_there_hides_its_slots_and_refuses_bookings(ann_calendar):
    ny = ann_calendar
    assert times(free(ny, ny.calendar_id, MONDAY)) == MORNING
    put(ny.remote, vevent("dentist", "20270308T100000", "20270308T104500", summary="Dentist"))

    connection = sync(ny, ny.connection["id"])

    assert connection["lastError"] is None
    assert connection["busyCount"] == 1
    assert connection["lastSyncedAt"] is not None
    assert "password" not in connection and connection["hasPassword"] is True
    assert times(free(ny, ny.calendar_id, MONDAY)) == ["09:00", "09:30", "11:00", "11:30"]
    refused = book(ny, ny.calendar_id, "2027-03-08T10:30:00-05:00")
    assert refused.status_code == 400, refused.text
    assert refused.json()["message"] == "The slot you have selected is no longer available."
    assert book(ny, ny.calendar_id, "2027-03-08T11:00:00-05:00").status_code == 200


def test_moved_there_frees_the_old_time_and_deleted_frees_all(ann_calendar):
    ny = ann_calendar
    event = put(ny.remote, vevent("gym", "20270308T090000", "20270308T100000"))
    sync(ny, ny.connection["id"])
    assert times(free(ny, ny.calendar_id, MONDAY)) == ["10:00", "10:30", "11:00", "11:30"]

    event.data = vcalendar(vevent("gym", "20270308T110000", "20270308T120000"))
    event.save()
    sync(ny, ny.connection["id"])
    assert times(free(ny, ny.calendar_id, MONDAY)) == ["09:00", "09:30", "10:00", "10:30"]

    event.delete()
    connection = sync(ny, ny.connection["id"])
    assert connection["busyCount"] == 0
    assert times(free(ny, ny.calendar_id, MONDAY)) == MORNING


def test_a_weekly_event_with_an_exception_and_a_moved_occurrence(ann_calendar):
    ny = ann_calendar
    series = vevent(
        "standup",
        "20270308T090000",
        "20270308T093000",
        "RRULE:FREQ=WEEKLY;COUNT=4",
        "EXDATE;TZID=America/New_York:20270315T090000",
    )
    moved = vevent(
        "standup",
        "20270322T110000",
        "20270322T113000",
        "RECURRENCE-ID;TZID=America/New_York:20270322T090000",
    )
    put(ny.remote, series, moved)

    assert sync(ny, ny.connection["id"])["busyCount"] == 3

    # 2027-03-15 is after the spring-forward: the series stays at 09:00 New York time.
    assert times(free(ny, ny.calendar_id, "2027-03-08")) == MORNING[1:]
    assert times(free(ny, ny.calendar_id, "2027-03-15")) == MORNING  # taken out (EXDATE)
    assert times(free(ny, ny.calendar_id, "2027-03-22")) == MORNING[:4] + MORNING[5:]
    assert times(free(ny, ny.calendar_id, "2027-03-29")) == MORNING[1:]
    assert times(free(ny, ny.calendar_id, "2027-04-05")) == MORNING  # COUNT=4 ended


def test_an_all_day_event_takes_the_whole_day_in_the_user_s_zone(ann_calendar):
    ny = ann_calendar
    put(ny.remote, vevent("holiday", "20270308", "20270309", summary="Off"))

    assert sync(ny, ny.connection["id"])["busyCount"] == 1

    assert times(free(ny, ny.calendar_id, MONDAY)) == []
    assert times(free(ny, ny.calendar_id, "2027-03-15")) == MORNING


def test_a_transparent_event_and_a_cancelled_one_do_not_block(ann_calendar):
    ny = ann_calendar
    put(ny.remote, vevent("lunch", "20270308T090000", "20270308T120000", transp="TRANSPARENT"))
    put(ny.remote, vevent("off", "20270308T090000", "20270308T120000", status="CANCELLED"))

    assert sync(ny, ny.connection["id"])["busyCount"] == 0

    assert times(free(ny, ny.calendar_id, MONDAY)) == MORNING


def test_a_failing_sync_keeps_the_last_good_copy_and_says_why(ann_calendar):
    ny = ann_calendar
    put(ny.remote, vevent("dentist", "20270308T100000", "20270308T110000"))
    good = sync(ny, ny.connection["id"])
    ny.remote.delete()  # the calendar is gone from the server: the next sync fails

    failed = sync(ny, ny.connection["id"])

    assert failed["lastError"] == "the CalDAV URL names nothing on the server (404)"
    assert failed["lastSyncedAt"] == good["lastSyncedAt"]
    assert failed["busyCount"] == 1
    assert times(free(ny, ny.calendar_id, MONDAY)) == ["09:00", "09:30", "11:00", "11:30"]
    listed = ny.client.get(
        CONNECTIONS, params={"locationId": ny.location_id, "userId": "ann"}, headers=ADMIN_HEADERS
    )
    assert listed.json()["connections"] == [failed]


def test_a_wrong_password_is_reported(ann_calendar, radicale):
    ny = ann_calendar
    wrong = connect(ny, "ann", "caldav", str(ny.remote.url), username="ann", password="not-hers")

    failed = sync(ny, wrong["id"])

    assert failed["lastError"] == "the CalDAV server refused the username or password"
    assert failed["lastSyncedAt"] is None


def test_an_account_url_reads_every_calendar_of_the_account(ny, radicale, secret_key):
    calendar_id = make_calendar(ny, members=("bob",), hours=(("09:00", "12:00"),))
    first = radicale.new_calendar(f"bob-a-{ny.location_id}", user="bob")
    second = radicale.new_calendar(f"bob-b-{ny.location_id}", user="bob")
    put(first, vevent("a", "20270308T090000", "20270308T100000"))
    put(second, vevent("b", "20270308T110000", "20270308T120000"))
    connection = connect(ny, "bob", "caldav", radicale.url, username="bob", password="bob-secret")

    synced = sync(ny, connection["id"])

    assert synced["lastError"] is None
    assert synced["busyCount"] >= 2
    assert times(free(ny, calendar_id, MONDAY)) == ["10:00", "10:30"]
