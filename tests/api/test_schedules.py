"""Availability schedules and event-calendar schedules (PRODUCT §4.2, §6)."""

import re

import pytest

ID = re.compile(r"^[A-Za-z0-9]{20}$")
ISO_MS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
SCHEDULE_NOT_FOUND = {"statusCode": 404, "message": "Schedule not found", "error": "Not Found"}
CALENDAR_NOT_FOUND = {"statusCode": 404, "message": "Calendar not found", "error": "Not Found"}
WEEKDAYS = [
    {"type": "wday", "day": day, "intervals": [{"from": "09:00", "to": "17:00"}]}
    for day in ("monday", "tuesday", "wednesday", "thursday", "friday")
]


def calendar(tenant, calendar_type="event", members=("user-1",)):
    body = {
        "locationId": tenant.location_id,
        "name": f"{calendar_type} calendar",
        "calendarType": calendar_type,
        "teamMembers": [{"userId": user} for user in members],
    }
    if calendar_type == "collective":
        body["teamMembers"][0]["isPrimary"] = True
    response = tenant.post("/calendars/", json=body)
    assert response.status_code == 200, response.text
    return response.json()["calendar"]["id"]


def create(tenant, **fields):
    body = {
        "locationId": tenant.location_id,
        "name": "Office hours",
        "userId": "user-1",
        "timezone": "America/New_York",
        "rules": WEEKDAYS,
        **fields,
    }
    return tenant.post("/calendars/schedules", json=body)


def search(tenant, **params):
    params = {"locationId": tenant.location_id, "userId": "user-1", **params}
    response = tenant.get("/calendars/schedules/search", params=params)
    assert response.status_code == 200, response.text
    return response.json()["schedules"]


def test_create_answers_201_with_the_schedule(tenant, frozen_clock):
    frozen_clock("2026-03-01T12:00:00.250Z")
    calendar_id = calendar(tenant)
    rules = [
        {
            "type": "wday",
            "day": "monday",
            "intervals": [{"from": "13:00", "to": "17:00"}, {"from": "9:00", "to": "12:00"}],
        },
        {"type": "date", "date": "2026-12-25", "intervals": []},
        {"type": "date", "date": "2026-12-31", "intervals": [{"from": "18:00", "to": "24:00"}]},
    ]

    response = create(tenant, rules=rules, calendarIds=[calendar_id])

    assert response.status_code == 201
    schedule = response.json()["schedule"]
    assert ID.match(schedule["id"])
    assert response.json() == {
        "schedule": {
            "id": schedule["id"],
            "name": "Office hours",
            "locationId": tenant.location_id,
            "rules": [
                {
                    "type": "wday",
                    "day": "monday",
                    "intervals": [
                        {"from": "09:00", "to": "12:00"},
                        {"from": "13:00", "to": "17:00"},
                    ],
                },
                {"type": "date", "date": "2026-12-25", "intervals": []},
                {
                    "type": "date",
                    "date": "2026-12-31",
                    "intervals": [{"from": "18:00", "to": "24:00"}],
                },
            ],
            "timezone": "America/New_York",
            "dateAdded": "2026-03-01T12:00:00.250Z",
            "dateUpdated": "2026-03-01T12:00:00.250Z",
            "userId": "user-1",
            "calendarIds": [calendar_id],
            "deleted": False,
        }
    }
    assert tenant.get(f"/calendars/schedules/{schedule['id']}").json() == response.json()


def test_create_needs_its_fields(tenant):
    response = tenant.post("/calendars/schedules", json={"rules": []})

    assert response.status_code == 400
    assert response.json()["message"] == [
        "timezone should not be empty",
        "locationId should not be empty",
        "name should not be empty",
        "userId should not be empty",
    ]


@pytest.mark.parametrize(
    ("rules", "messages"),
    [
        (
            [{"type": "wday", "day": "monday", "intervals": [{"from": "9am", "to": "25:00"}]}],
            [
                "rules.0.intervals.0.from must be a time HH:MM",
                "rules.0.intervals.0.to must be a time HH:MM (24:00 allowed)",
            ],
        ),
        (
            [{"type": "wday", "day": "monday", "intervals": [{"from": "12:00", "to": "12:00"}]}],
            ["rules.0.intervals.0.from must be before rules.0.intervals.0.to"],
        ),
        (
            [
                {
                    "type": "wday",
                    "day": "monday",
                    "intervals": [
                        {"from": "09:00", "to": "12:00"},
                        {"from": "11:30", "to": "13:00"},
                    ],
                }
            ],
            ["rules.0.intervals must not overlap"],
        ),
        (
            [{"type": "wday", "intervals": []}],
            [
                "rules.0.day must be one of the following values: "
                "sunday, monday, tuesday, wednesday, thursday, friday, saturday"
            ],
        ),
        (
            [
                {"type": "date", "date": "2026-02-30", "intervals": []},
                {"type": "date", "intervals": []},
            ],
            [
                "rules.0.date must be a valid date YYYY-MM-DD",
                "rules.1.date must be a valid date YYYY-MM-DD",
            ],
        ),
        (
            [
                {"type": "wday", "day": "friday", "intervals": []},
                {"type": "wday", "day": "friday", "intervals": []},
                {"type": "date", "date": "2026-05-01", "intervals": []},
                {"type": "date", "date": "2026-05-01", "intervals": []},
            ],
            ["rules.1 repeats the day friday", "rules.3 repeats the date 2026-05-01"],
        ),
        (
            [{"type": "week", "intervals": []}],
            ["rules.0.type must be one of the following values: wday, date"],
        ),
    ],
)
def test_rule_problems_are_422_with_one_message_each(tenant, rules, messages):
    response = create(tenant, rules=rules)

    assert response.status_code == 422
    assert response.json() == {
        "statusCode": 422,
        "message": messages,
        "error": "Unprocessable Entity",
    }
    assert search(tenant) == []


def test_touching_intervals_are_fine(tenant):
    rules = [
        {
            "type": "wday",
            "day": "monday",
            "intervals": [{"from": "09:00", "to": "12:00"}, {"from": "12:00", "to": "13:00"}],
        }
    ]

    assert create(tenant, rules=rules).status_code == 201


@pytest.mark.parametrize("timezone", ["Mars/Olympus", "EST5EDT/Nope", ""])
def test_an_unknown_time_zone_is_422(tenant, timezone):
    response = create(tenant, timezone=timezone)

    assert response.status_code == 422
    assert response.json()["message"] == ["timezone must be a valid IANA time zone"]


@pytest.mark.parametrize(
    "timezone", ["UTC", "America/Argentina/Buenos_Aires", "Australia/Lord_Howe"]
)
def test_every_iana_zone_is_accepted(tenant, timezone):
    assert create(tenant, timezone=timezone).status_code == 201


def test_search_filters_by_user_and_calendar_and_pages(tenant, frozen_clock):
    calendar_id = calendar(tenant)
    created = []
    for n in range(4):
        frozen_clock(f"2026-01-0{n + 1}T00:00:00Z")
        created.append(create(tenant, name=f"S{n}").json()["schedule"]["id"])
    create(tenant, userId="user-2")
    tenant.put(f"/calendars/schedules/{created[2]}/associations/{calendar_id}")

    assert [s["id"] for s in search(tenant)] == created
    assert [s["id"] for s in search(tenant, skip=1, limit=2)] == created[1:3]
    assert [s["id"] for s in search(tenant, calendarId=calendar_id)] == [created[2]]
    assert [s["userId"] for s in search(tenant, userId="user-2")] == ["user-2"]


def test_search_checks_its_parameters(tenant, other_tenant):
    def refused(**params):
        response = tenant.get("/calendars/schedules/search", params=params)
        return response.status_code, response.json()["message"]

    location = tenant.location_id
    assert refused(locationId=location) == (400, ["userId should not be empty"])
    assert refused(locationId=location, userId="u", limit=501) == (
        400,
        ["limit must not be greater than 500"],
    )
    assert refused(locationId=location, userId="u", limit=0) == (
        400,
        ["limit must not be less than 1"],
    )
    assert refused(locationId=location, userId="u", skip=-1) == (
        400,
        ["skip must not be less than 0"],
    )
    assert refused(locationId=location, userId="u", limit="many") == (
        400,
        ["limit must be a number"],
    )
    assert refused(locationId=location, userId="u", limit=2.5) == (
        400,
        ["limit must be an integer number"],
    )
    whole = {"locationId": location, "userId": "u", "limit": "10.0"}
    assert tenant.get("/calendars/schedules/search", params=whole).json() == {"schedules": []}
    assert refused(locationId=other_tenant.location_id, userId="u")[0] == 403


def test_update_changes_what_it_names(tenant, frozen_clock):
    frozen_clock("2026-01-01T00:00:00Z")
    schedule = create(tenant).json()["schedule"]
    frozen_clock("2026-01-02T00:00:00Z")
    new_rules = [{"type": "wday", "day": "sunday", "intervals": [{"from": "10:00", "to": "11:00"}]}]

    renamed = tenant.put(f"/calendars/schedules/{schedule['id']}", json={"name": "Weekend"})
    ruled = tenant.put(
        f"/calendars/schedules/{schedule['id']}",
        json={"rules": new_rules, "timezone": "Europe/London"},
    )

    assert renamed.json()["schedule"] == {
        **schedule,
        "name": "Weekend",
        "dateUpdated": "2026-01-02T00:00:00.000Z",
    }
    assert ruled.json()["schedule"] == {
        **schedule,
        "name": "Weekend",
        "rules": new_rules,
        "timezone": "Europe/London",
        "dateUpdated": "2026-01-02T00:00:00.000Z",
    }


def test_update_refuses_bad_rules_and_keeps_the_old_ones(tenant):
    schedule = create(tenant).json()["schedule"]

    response = tenant.put(
        f"/calendars/schedules/{schedule['id']}",
        json={
            "rules": [
                {"type": "wday", "day": "monday", "intervals": [{"from": "17:00", "to": "09:00"}]}
            ],
            "timezone": "Nowhere/X",
        },
    )

    assert response.status_code == 422
    assert response.json()["message"] == [
        "rules.0.intervals.0.from must be before rules.0.intervals.0.to",
        "timezone must be a valid IANA time zone",
    ]
    assert tenant.get(f"/calendars/schedules/{schedule['id']}").json() == {"schedule": schedule}


def test_delete_is_permanent(tenant):
    schedule = create(tenant).json()["schedule"]
    path = f"/calendars/schedules/{schedule['id']}"

    deleted = tenant.delete(path)

    assert deleted.status_code == 200
    assert deleted.json() == {"success": True}
    assert tenant.get(path).json() == SCHEDULE_NOT_FOUND
    assert tenant.put(path, json={"name": "x"}).json() == SCHEDULE_NOT_FOUND
    assert tenant.delete(path).json() == SCHEDULE_NOT_FOUND
    assert search(tenant) == []


def test_one_schedule_per_user_per_calendar_so_associating_moves(tenant):
    calendar_id = calendar(tenant, "round_robin", ("user-1", "user-2"))
    first = create(tenant, calendarIds=[calendar_id]).json()["schedule"]
    colleague = create(tenant, userId="user-2", calendarIds=[calendar_id]).json()["schedule"]

    second = create(tenant, name="Second", calendarIds=[calendar_id]).json()["schedule"]

    def calendars_of(schedule_id):
        return tenant.get(f"/calendars/schedules/{schedule_id}").json()["schedule"]["calendarIds"]

    assert second["calendarIds"] == [calendar_id]
    assert calendars_of(first["id"]) == []
    assert calendars_of(colleague["id"]) == [calendar_id]

    moved = tenant.put(f"/calendars/schedules/{first['id']}/associations/{calendar_id}")

    assert moved.json() == {"success": True}
    assert calendars_of(first["id"]) == [calendar_id]
    assert calendars_of(second["id"]) == []


def test_association_can_be_removed_and_removal_is_idempotent(tenant):
    calendar_id = calendar(tenant)
    schedule = create(tenant, calendarIds=[calendar_id]).json()["schedule"]
    path = f"/calendars/schedules/{schedule['id']}/associations/{calendar_id}"

    assert tenant.delete(path).json() == {"success": True}
    assert tenant.delete(path).json() == {"success": True}
    assert (
        tenant.get(f"/calendars/schedules/{schedule['id']}").json()["schedule"]["calendarIds"] == []
    )


def test_associations_need_a_known_schedule_and_calendar(tenant, other_tenant):
    calendar_id = calendar(tenant)
    schedule = create(tenant).json()["schedule"]
    theirs = calendar(other_tenant)
    their_schedule = create(other_tenant).json()["schedule"]

    for method in ("PUT", "DELETE"):
        base = "/calendars/schedules"
        assert (
            tenant.request(method, f"{base}/{'z' * 20}/associations/{calendar_id}").json()
            == SCHEDULE_NOT_FOUND
        )
        assert (
            tenant.request(
                method, f"{base}/{their_schedule['id']}/associations/{calendar_id}"
            ).json()
            == SCHEDULE_NOT_FOUND
        )
        assert (
            tenant.request(method, f"{base}/{schedule['id']}/associations/{'z' * 20}").json()
            == CALENDAR_NOT_FOUND
        )
        assert (
            tenant.request(method, f"{base}/{schedule['id']}/associations/{theirs}").json()
            == CALENDAR_NOT_FOUND
        )


def test_create_with_an_unknown_or_foreign_calendar_is_404_and_writes_nothing(tenant, other_tenant):
    theirs = calendar(other_tenant)

    response = create(tenant, calendarIds=[theirs])

    assert response.status_code == 404
    assert response.json() == CALENDAR_NOT_FOUND
    assert search(tenant) == []


def test_another_locations_schedule_looks_unknown(tenant, other_tenant):
    theirs = create(other_tenant).json()["schedule"]

    for method, body in (("GET", None), ("PUT", {"name": "x"}), ("DELETE", None)):
        response = tenant.request(method, f"/calendars/schedules/{theirs['id']}", json=body)
        assert response.status_code == 404
        assert response.json() == SCHEDULE_NOT_FOUND
    assert other_tenant.get(f"/calendars/schedules/{theirs['id']}").json() == {"schedule": theirs}


def test_deleting_a_calendar_removes_it_from_schedules(tenant):
    calendar_id = calendar(tenant)
    schedule = create(tenant, calendarIds=[calendar_id]).json()["schedule"]

    tenant.delete(f"/calendars/{calendar_id}")

    assert (
        tenant.get(f"/calendars/schedules/{schedule['id']}").json()["schedule"]["calendarIds"] == []
    )


# ---- event-calendar schedules -------------------------------------------------------------

EVENT_RULES = [{"type": "wday", "day": "saturday", "intervals": [{"from": "10:00", "to": "14:00"}]}]


def test_event_calendar_schedule_lifecycle(tenant, frozen_clock):
    frozen_clock("2026-04-01T08:00:00Z")
    calendar_id = calendar(tenant)
    path = f"/calendars/schedules/event-calendar/{calendar_id}"

    missing = tenant.get(path)
    created = tenant.post(path, json={"rules": EVENT_RULES, "timezone": "Europe/London"})
    again = tenant.post(path, json={"rules": EVENT_RULES, "timezone": "Europe/London"})
    frozen_clock("2026-04-02T08:00:00Z")
    updated = tenant.put(path, json={"timezone": "Asia/Kolkata"})

    assert missing.status_code == 404
    assert missing.json() == SCHEDULE_NOT_FOUND
    assert created.status_code == 201
    assert created.json() == {
        "schedule": {
            "timezone": "Europe/London",
            "rules": EVENT_RULES,
            "calendarId": calendar_id,
            "dateAdded": "2026-04-01T08:00:00.000Z",
            "dateUpdated": "2026-04-01T08:00:00.000Z",
        }
    }
    assert again.status_code == 400
    assert again.json()["message"] == ["This calendar already has a schedule"]
    assert updated.status_code == 200
    assert updated.json() == {
        "schedule": {
            **created.json()["schedule"],
            "timezone": "Asia/Kolkata",
            "dateUpdated": "2026-04-02T08:00:00.000Z",
        }
    }
    assert tenant.get(path).json() == updated.json()


def test_event_calendar_schedules_are_only_for_event_calendars(tenant):
    calendar_id = calendar(tenant, "personal")
    path = f"/calendars/schedules/event-calendar/{calendar_id}"

    for method in ("POST", "PUT", "GET"):
        body = {"rules": EVENT_RULES, "timezone": "UTC"} if method != "GET" else None
        response = tenant.request(method, path, json=body)
        assert response.status_code == 400
        assert response.json()["message"] == [
            "Only event calendars have an event-calendar schedule"
        ]


def test_event_calendar_schedule_rules_are_checked(tenant):
    calendar_id = calendar(tenant)
    path = f"/calendars/schedules/event-calendar/{calendar_id}"

    missing_fields = tenant.post(path, json={})
    bad = tenant.post(
        path, json={"rules": [{"type": "wday", "day": "noday", "intervals": []}], "timezone": "UTC"}
    )

    assert missing_fields.status_code == 400
    assert missing_fields.json()["message"] == [
        "rules should not be empty",
        "timezone should not be empty",
    ]
    assert bad.status_code == 422
    assert tenant.get(path).status_code == 404


def test_updating_a_missing_event_calendar_schedule_is_404(tenant):
    path = f"/calendars/schedules/event-calendar/{calendar(tenant)}"

    assert tenant.put(path, json={"timezone": "UTC"}).json() == SCHEDULE_NOT_FOUND


def test_event_calendar_schedule_of_another_location_looks_unknown(tenant, other_tenant):
    theirs = calendar(other_tenant)
    path = f"/calendars/schedules/event-calendar/{theirs}"
    other_tenant.post(path, json={"rules": EVENT_RULES, "timezone": "UTC"})

    for method in ("GET", "PUT", "POST"):
        body = None if method == "GET" else {"rules": EVENT_RULES, "timezone": "UTC"}
        response = tenant.request(method, path, json=body)
        assert response.status_code == 404
        assert response.json() == CALENDAR_NOT_FOUND
