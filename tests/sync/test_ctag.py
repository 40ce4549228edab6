"""CalDAV ctags (docs/calendar-sync.md): a sync reads each calendar's `getctag` first and sends no
`calendar-query` REPORT while every one is unchanged; a change there, a day gone by, or a server
without ctags means a full read. The requests are counted as the `caldav` client sends them to
a real Radicale (nothing of the sync is replaced)."""

import caldav
import pytest

from api.slot_helpers import free, make_calendar, times
from sync.helpers import connect, sync, vcalendar, vevent

pytestmark = pytest.mark.usefixtures("now")

MONDAY = "2027-03-08"
MORNING = ["09:00", "09:30", "10:00", "10:30", "11:00", "11:30"]


class Sent:
    """The methods of the requests the `caldav` client sent, in order. With `hide_ctag`, every
    PROPFIND asks for an unknown property instead of `getctag`, as if the server had none."""

    def __init__(self):
        self.methods: list[str] = []
        self.hide_ctag = False

    def reset(self):
        self.methods.clear()

    def count(self, method):
        return self.methods.count(method)


@pytest.fixture
def requests(monkeypatch):
    sent = Sent()
    original = caldav.DAVClient.request

    def counted(self, url, method="GET", body="", headers=None):
        sent.methods.append(method)
        if method == "PROPFIND" and sent.hide_ctag and body:
            text = body.decode() if isinstance(body, bytes) else body
            body = text.replace("getctag", "no-such-ctag").encode()
        return original(self, url, method, body, headers)

    monkeypatch.setattr(caldav.DAVClient, "request", counted)
    return sent


@pytest.fixture
def ann(ny, radicale, secret_key):
    ny.calendar_id = make_calendar(ny, members=("ann",), hours=(("09:00", "12:00"),))
    ny.remote = radicale.new_calendar(f"ctag-{ny.location_id}")
    ny.remote.save_event(vcalendar(vevent("dentist", "20270308T100000", "20270308T104500")))
    ny.connection = connect(
        ny, "ann", "caldav", str(ny.remote.url), username="ann", password="ann-secret"
    )
    return ny


BUSY = ["09:00", "09:30", "11:00", "11:30"]


def test_an_unchanged_calendar_is_not_read_again(ann, requests):
    first = sync(ann, ann.connection["id"])
    assert first["lastError"] is None and first["busyCount"] == 1
    assert requests.count("REPORT") == 1
    requests.reset()

    second = sync(ann, ann.connection["id"])

    assert requests.count("REPORT") == 0
    assert set(requests.methods) == {"PROPFIND"}  # the ctag (with the resource type) alone
    assert second["lastError"] is None
    assert second["lastSyncedAt"] >= first["lastSyncedAt"]
    assert second["busyCount"] == 1
    assert times(free(ann, ann.calendar_id, MONDAY)) == BUSY


def test_a_change_there_changes_the_ctag_and_is_read(ann, requests):
    sync(ann, ann.connection["id"])
    ann.remote.save_event(vcalendar(vevent("gym", "20270308T090000", "20270308T100000")))
    requests.reset()

    synced = sync(ann, ann.connection["id"])

    assert requests.count("REPORT") == 1
    assert synced["busyCount"] == 2
    assert times(free(ann, ann.calendar_id, MONDAY)) == ["11:00", "11:30"]
    requests.reset()
    assert sync(ann, ann.connection["id"])["busyCount"] == 2
    assert requests.count("REPORT") == 0


def test_a_failed_sync_keeps_the_ctags_of_the_last_good_one(ann, requests):
    sync(ann, ann.connection["id"])
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(caldav.DAVClient, "request", _refuse)
        assert sync(ann, ann.connection["id"])["lastError"] is not None
    requests.reset()

    synced = sync(ann, ann.connection["id"])

    assert synced["lastError"] is None
    assert requests.count("REPORT") == 0
    assert times(free(ann, ann.calendar_id, MONDAY)) == BUSY


def _refuse(*args, **kwargs):
    raise ConnectionError("the network is down")


def test_a_day_later_the_calendar_is_read_again(ann, requests, frozen_clock):
    sync(ann, ann.connection["id"])
    frozen_clock("2027-03-02T11:59:00Z")  # the window read still covers the one needed
    requests.reset()
    sync(ann, ann.connection["id"])
    assert requests.count("REPORT") == 0

    frozen_clock("2027-03-02T12:01:00Z")  # it no longer does: its end is a day behind
    assert sync(ann, ann.connection["id"])["busyCount"] == 1
    assert requests.count("REPORT") == 1
    requests.reset()
    sync(ann, ann.connection["id"])
    assert requests.count("REPORT") == 0


def test_a_server_without_ctags_is_read_on_every_sync(ann, requests):
    requests.hide_ctag = True
    sync(ann, ann.connection["id"])
    requests.reset()

    synced = sync(ann, ann.connection["id"])

    assert requests.count("REPORT") == 1
    assert synced["lastError"] is None and synced["busyCount"] == 1
    assert times(free(ann, ann.calendar_id, MONDAY)) == BUSY


def test_an_account_is_skipped_only_when_none_of_its_calendars_changed(
    ny, radicale, secret_key, requests
):
    calendar_id = make_calendar(ny, members=("bob",), hours=(("09:00", "12:00"),))
    first = radicale.new_calendar(f"bob-ctag-a-{ny.location_id}", user="bob")
    second = radicale.new_calendar(f"bob-ctag-b-{ny.location_id}", user="bob")
    first.save_event(vcalendar(vevent("a", "20270308T090000", "20270308T100000")))
    connection = connect(ny, "bob", "caldav", radicale.url, username="bob", password="bob-secret")
    sync(ny, connection["id"])
    requests.reset()
    sync(ny, connection["id"])
    assert requests.count("REPORT") == 0

    second.save_event(vcalendar(vevent("b", "20270308T110000", "20270308T120000")))
    synced = sync(ny, connection["id"])

    assert requests.count("REPORT") >= 2  # every calendar of the account is read again
    assert synced["busyCount"] >= 2
    assert times(free(ny, calendar_id, MONDAY)) == ["10:00", "10:30"]
