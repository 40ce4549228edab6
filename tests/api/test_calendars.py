"""Calendars: every field stored and returned, defaults, and the rules of PRODUCT §6."""

import re

import pytest

ID = re.compile(r"^[A-Za-z0-9]{20}$")
CALENDAR_NOT_FOUND = {"statusCode": 404, "message": "Calendar not found", "error": "Not Found"}
MEMBERS = {
    "event": [],
    "personal": [{"userId": "user-a"}],
    "round_robin": [{"userId": "user-a", "priority": 1}, {"userId": "user-b", "priority": 0}],
    "collective": [{"userId": "user-a", "isPrimary": True}, {"userId": "user-b"}],
    "class_booking": [{"userId": "user-a"}],
    "service_booking": [{"userId": "user-a"}, {"userId": "user-b"}],
}


def hours(open_hour, close_hour):
    return {"openHour": open_hour, "openMinute": 0, "closeHour": close_hour, "closeMinute": 0}


def create(tenant, **fields):
    body = {"locationId": tenant.location_id, "name": "Intro call", **fields}
    return tenant.post("/calendars/", json=body)


def error(tenant, **fields):
    response = create(tenant, **fields)
    assert response.status_code == 400, response.text
    return response.json()["message"]


def every_field(tenant, calendar_type, group_id):
    """A CalendarCreateDTO with every field set."""
    single = len(MEMBERS[calendar_type]) == 1
    return {
        "isActive": False,
        "notifications": [
            {
                "type": "email",
                "shouldSendToContact": True,
                "shouldSendToGuest": False,
                "shouldSendToUser": True,
                "shouldSendToSelectedUsers": True,
                "selectedUsers": "a@example.com,b@example.com",
            }
        ],
        "locationId": tenant.location_id,
        "groupId": group_id,
        "teamMembers": [
            {
                **member,
                "locationConfigurations": [{"kind": "physical", "location": "Room 4"}],
            }
            for member in MEMBERS[calendar_type]
        ],
        "eventType": "RoundRobin_OptimizeForEqualDistribution",
        "name": f"Every field {calendar_type}",
        "slug": f"every-{calendar_type.replace('_', '-')}",
        "widgetSlug": f"widget-{calendar_type.replace('_', '-')}",
        "calendarType": calendar_type,
        "widgetType": "default",
        "eventTitle": "Call with {{contact.name}}",
        "eventColor": "#ff0000",
        "locationConfigurations": [
            {"kind": "inbound_call", "location": "+14455550132"},
            *([{"kind": "custom", "location": "Our office"}] if single else []),
        ],
        "slotDuration": 1.5,
        "slotDurationUnit": "hours",
        "slotInterval": 45,
        "slotIntervalUnit": "mins",
        "slotBuffer": 10,
        "slotBufferUnit": "mins",
        "preBuffer": 1,
        "preBufferUnit": "hours",
        "appoinmentPerSlot": 3,
        "appoinmentPerDay": 5,
        "allowBookingAfter": 2,
        "allowBookingAfterUnit": "hours",
        "allowBookingFor": 4,
        "allowBookingForUnit": "weeks",
        "openHours": [
            {"daysOfTheWeek": [1, 2, 3], "hours": [hours(9, 12), hours(13, 17)]},
            {"daysOfTheWeek": [6], "hours": [hours(10, 14)]},
        ],
        "enableRecurring": single,
        "recurring": {
            "freq": "WEEKLY",
            "count": 6,
            "bookingOption": "skip",
            "bookingOverlapDefaultStatus": "new",
        },
        "formId": "form-1",
        "stickyContact": True,
        "isLivePaymentMode": False,
        "autoConfirm": False,
        "shouldSendAlertEmailsToAssignedMember": True,
        "alertEmail": "alerts@example.com",
        "googleInvitationEmails": True,
        "allowReschedule": False,
        "allowCancellation": False,
        "shouldAssignContactToTeamMember": True,
        "shouldSkipAssigningContactForExisting": True,
        "notes": "Bring your documents",
        "pixelId": "pixel-9",
        "formSubmitType": "RedirectURL",
        "formSubmitRedirectURL": "https://example.com/thanks",
        "formSubmitThanksMessage": "Thank you!",
        "availabilityType": 1,
        "availabilities": [{"date": "2026-12-24T00:00:00.000Z", "hours": [hours(9, 12)]}],
        "guestType": "collect_detail",
        "consentLabel": "I agree",
        "calendarCoverImage": "https://example.com/cover.png",
        "lookBusyConfig": {"enabled": True, "LookBusyPercentage": 25},
    }


def expected_dto(sent: dict, created: dict) -> dict:
    """What CalendarDTO must say for `sent`: the same values, plus ids and read-only parts."""
    expected = {**sent, "id": created["id"], "appointmentPerSlot": sent["appoinmentPerSlot"]}
    expected["teamMembers"] = [
        {
            "userId": member["userId"],
            "priority": member.get("priority", 0.5),
            "meetingLocationType": "custom",
            "isPrimary": member.get("isPrimary", False),
            "locationConfigurations": member["locationConfigurations"],
        }
        for member in sent["teamMembers"]
    ]
    expected["availabilities"] = [
        {**a, "deleted": False, "id": created["availabilities"][i]["id"]}
        for i, a in enumerate(sent["availabilities"])
    ]
    return expected


@pytest.mark.parametrize("calendar_type", list(MEMBERS))
def test_every_field_round_trips_for_each_type(tenant, calendar_type):
    group = tenant.post(
        "/calendars/groups",
        json={"locationId": tenant.location_id, "name": "G", "description": "", "slug": "g"},
    ).json()["group"]
    sent = every_field(tenant, calendar_type, group["id"])

    created = tenant.post("/calendars/", json=sent)

    assert created.status_code == 200, created.text
    calendar = created.json()["calendar"]
    assert ID.match(calendar["id"])
    assert ID.match(calendar["availabilities"][0]["id"])
    assert calendar == expected_dto(sent, calendar)
    fetched = tenant.get(f"/calendars/{calendar['id']}")
    assert fetched.status_code == 200
    assert fetched.json() == {"calendar": calendar}


def test_defaults_are_filled_in_on_read(tenant):
    calendar = create(tenant).json()["calendar"]

    assert calendar == {
        "isActive": True,
        "notifications": [],
        "locationId": tenant.location_id,
        "teamMembers": [],
        "eventType": "RoundRobin_OptimizeForAvailability",
        "name": "Intro call",
        "slug": "intro-call",
        "widgetSlug": "intro-call",
        "calendarType": "event",
        "widgetType": "classic",
        "eventTitle": "{{contact.name}}",
        "eventColor": "#039BE5",
        "locationConfigurations": [],
        "slotDuration": 30,
        "slotDurationUnit": "mins",
        "slotInterval": 30,
        "slotIntervalUnit": "mins",
        "slotBuffer": 0,
        "slotBufferUnit": "mins",
        "preBuffer": 0,
        "preBufferUnit": "mins",
        "appoinmentPerSlot": 1,
        "appointmentPerSlot": 1,
        "appoinmentPerDay": 0,
        "allowBookingAfter": 0,
        "allowBookingAfterUnit": "days",
        "allowBookingFor": 0,
        "allowBookingForUnit": "days",
        "openHours": [],
        "enableRecurring": False,
        "autoConfirm": True,
        "googleInvitationEmails": False,
        "allowReschedule": True,
        "allowCancellation": True,
        "formSubmitType": "ThankYouMessage",
        "availabilities": [],
        "lookBusyConfig": {"enabled": False, "LookBusyPercentage": 0},
        "id": calendar["id"],
    }


def test_the_slot_interval_defaults_to_the_duration(tenant):
    calendar = create(tenant, slotDuration=1, slotDurationUnit="hours").json()["calendar"]

    assert (calendar["slotInterval"], calendar["slotIntervalUnit"]) == (1, "hours")


def test_update_of_one_field_leaves_the_others(tenant):
    sent = every_field(tenant, "round_robin", None)
    del sent["groupId"]
    calendar = tenant.post("/calendars/", json=sent).json()["calendar"]

    updated = tenant.put(f"/calendars/{calendar['id']}", json={"eventColor": "#00ff00"})

    assert updated.status_code == 200
    assert updated.json() == {"calendar": {**calendar, "eventColor": "#00ff00"}}
    assert tenant.get(f"/calendars/{calendar['id']}").json() == updated.json()


def test_update_with_null_returns_a_field_to_its_default(tenant):
    calendar = create(tenant, slotBuffer=15, formId="f").json()["calendar"]

    updated = tenant.put(f"/calendars/{calendar['id']}", json={"slotBuffer": None, "formId": None})

    assert updated.json()["calendar"]["slotBuffer"] == 0
    assert "formId" not in updated.json()["calendar"]


def test_update_renames_reslugs_and_activates(tenant):
    calendar = create(tenant, isActive=False).json()["calendar"]

    updated = tenant.put(
        f"/calendars/{calendar['id']}",
        json={"name": "New name", "slug": "new-slug", "widgetSlug": "new-widget", "isActive": True},
    ).json()["calendar"]

    assert (updated["name"], updated["slug"], updated["widgetSlug"], updated["isActive"]) == (
        "New name",
        "new-slug",
        "new-widget",
        True,
    )


def test_date_availabilities_update_by_id_and_go_with_deleted(tenant):
    calendar = create(
        tenant,
        availabilities=[
            {"date": "2026-12-24T00:00:00.000Z", "hours": [hours(9, 12)]},
            {"date": "2026-12-31", "hours": [hours(10, 11)]},
        ],
    ).json()["calendar"]
    christmas_eve, new_years_eve = calendar["availabilities"]
    path = f"/calendars/{calendar['id']}"

    moved = tenant.put(
        path,
        json={
            "availabilities": [
                {"id": christmas_eve["id"], "date": "2026-12-24", "hours": [hours(13, 15)]},
                {"id": new_years_eve["id"], "date": "2026-12-31", "hours": [], "deleted": True},
                {"date": "2027-01-02T00:00:00.000Z", "hours": []},
            ]
        },
    ).json()["calendar"]["availabilities"]

    assert moved[0] == {
        "date": "2026-12-24T00:00:00.000Z",
        "hours": [hours(13, 15)],
        "deleted": False,
        "id": christmas_eve["id"],
    }
    assert [a["date"] for a in moved] == ["2026-12-24T00:00:00.000Z", "2027-01-02T00:00:00.000Z"]
    assert moved[1]["hours"] == []
    # A new entry for a date replaces that date's entry.
    replaced = tenant.put(
        path, json={"availabilities": [{"date": "2026-12-24", "hours": [hours(8, 9)]}]}
    ).json()["calendar"]["availabilities"]
    assert [(a["date"], a["hours"]) for a in replaced] == [
        ("2026-12-24T00:00:00.000Z", [hours(8, 9)]),
        ("2027-01-02T00:00:00.000Z", []),
    ]
    assert replaced[0]["id"] != christmas_eve["id"]


def test_date_availability_problems_are_named(tenant):
    calendar = create(tenant).json()["calendar"]

    response = tenant.put(
        f"/calendars/{calendar['id']}",
        json={
            "availabilities": [
                {"id": "unknown", "date": "2026-12-24", "hours": []},
                {"date": "24/12/2026", "hours": []},
                {"date": "2026-12-25", "hours": [hours(12, 9)]},
            ]
        },
    )

    assert response.status_code == 400
    assert response.json()["message"] == [
        "availabilities.0.id is not a date availability of this calendar",
        "availabilities.1.date must be a date (YYYY-MM-DD)",
        "availabilities.2.hours.0 must close after it opens",
    ]


def test_name_is_required(tenant):
    response = tenant.post("/calendars/", json={"locationId": tenant.location_id})

    assert response.json()["message"] == ["name should not be empty"]


def test_calendar_type_must_be_known(tenant):
    assert error(tenant, calendarType="webinar") == [
        "calendarType must be one of the following values: "
        "round_robin, event, class_booking, collective, service_booking, personal"
    ]


@pytest.mark.parametrize(
    "calendar_type", ["round_robin", "collective", "class_booking", "service_booking"]
)
def test_team_calendars_need_members(tenant, calendar_type):
    assert error(tenant, calendarType=calendar_type) == [
        f"teamMembers must contain at least one member for {calendar_type} calendars"
    ]
    members = MEMBERS[calendar_type]
    assert create(tenant, calendarType=calendar_type, teamMembers=members).status_code == 200


def test_personal_calendars_have_exactly_one_member(tenant):
    message = ["teamMembers must contain exactly one member for personal calendars"]

    assert error(tenant, calendarType="personal") == message
    assert error(tenant, calendarType="personal", teamMembers=MEMBERS["round_robin"]) == message
    assert create(tenant, calendarType="personal", teamMembers=[{"userId": "u"}]).status_code == 200


def test_collective_calendars_have_exactly_one_primary(tenant):
    message = ["teamMembers must have exactly one isPrimary member for collective calendars"]
    two = [{"userId": "a", "isPrimary": True}, {"userId": "b", "isPrimary": True}]

    assert error(tenant, calendarType="collective", teamMembers=[{"userId": "a"}]) == message
    assert error(tenant, calendarType="collective", teamMembers=two) == message


def test_other_types_have_at_most_one_primary(tenant):
    two = [{"userId": "a", "isPrimary": True}, {"userId": "b", "isPrimary": True}]

    assert error(tenant, calendarType="round_robin", teamMembers=two) == [
        "teamMembers must not have more than one isPrimary member"
    ]
    one = [{"userId": "a", "isPrimary": True}, {"userId": "b"}]
    assert create(tenant, calendarType="round_robin", teamMembers=one).status_code == 200


def test_a_member_is_listed_once(tenant):
    assert error(
        tenant, calendarType="round_robin", teamMembers=[{"userId": "a"}, {"userId": "a"}]
    ) == ["teamMembers must not list the same userId twice"]


def test_member_fields_are_validated(tenant):
    response = create(
        tenant,
        calendarType="round_robin",
        teamMembers=[{"priority": 2}, {"userId": "b", "locationConfigurations": [{"kind": "x"}]}],
    )

    assert response.json()["message"] == [
        "teamMembers.0.userId should not be empty",
        "teamMembers.0.priority must be one of the following values: 0, 0.5, 1",
        "teamMembers.1.locationConfigurations.0.kind must be one of the following values: "
        "custom, zoom_conference, google_conference, inbound_call, outbound_call, physical, "
        "booker, ms_teams_conference",
    ]


def test_several_locations_need_exactly_one_member(tenant):
    places = [{"kind": "custom", "location": "A"}, {"kind": "physical", "location": "B"}]

    assert error(
        tenant,
        calendarType="round_robin",
        teamMembers=MEMBERS["round_robin"],
        locationConfigurations=places,
    ) == ["locationConfigurations may hold several locations only with exactly one team member"]
    assert (
        create(
            tenant,
            calendarType="personal",
            teamMembers=[{"userId": "a"}],
            locationConfigurations=places,
        ).status_code
        == 200
    )


@pytest.mark.parametrize("kind", ["zoom_conference", "google_conference", "ms_teams_conference"])
def test_conferences_are_refused_on_event_calendars(tenant, kind):
    assert error(tenant, locationConfigurations=[{"kind": kind}]) == [
        f"locationConfigurations.0.kind {kind} is not available on event calendars"
    ]
    assert (
        create(
            tenant,
            calendarType="personal",
            teamMembers=[{"userId": "a"}],
            locationConfigurations=[{"kind": kind}],
        ).status_code
        == 200
    )


def test_recurring_needs_exactly_one_member(tenant):
    assert error(
        tenant, calendarType="round_robin", teamMembers=MEMBERS["round_robin"], enableRecurring=True
    ) == ["enableRecurring needs exactly one team member"]
    assert error(tenant, enableRecurring=True) == ["enableRecurring needs exactly one team member"]
    assert create(tenant, teamMembers=[{"userId": "a"}], enableRecurring=True).status_code == 200


def test_units_and_enums_are_checked(tenant):
    response = create(
        tenant,
        slotDurationUnit="minutes",
        allowBookingForUnit="hours",
        widgetType="modern",
        recurring={"freq": "YEARLY", "count": 30},
    )

    assert response.json()["message"] == [
        "widgetType must be one of the following values: default, classic",
        "slotDurationUnit must be one of the following values: mins, hours",
        "allowBookingForUnit must be one of the following values: days, weeks, months",
        "recurring.freq must be one of the following values: DAILY, WEEKLY, MONTHLY",
        "recurring.count must not be greater than 24",
    ]


def test_numbers_must_be_numbers_and_not_negative(tenant):
    response = create(
        tenant,
        slotDuration=0,
        slotInterval="15",
        slotBuffer=-5,
        preBuffer=True,
        appoinmentPerSlot=0,
        appoinmentPerDay=-1,
        allowBookingAfter=-1,
        lookBusyConfig={"enabled": True, "LookBusyPercentage": 101},
    )

    assert response.json()["message"] == [
        "slotDuration must be greater than 0",
        "slotInterval must be a number",
        "slotBuffer must not be less than 0",
        "preBuffer must be a number",
        "appoinmentPerSlot must not be less than 1",
        "appoinmentPerDay must not be less than 0",
        "allowBookingAfter must not be less than 0",
        "lookBusyConfig.LookBusyPercentage must not be greater than 100",
    ]


def test_durations_are_whole_minutes(tenant):
    assert error(tenant, slotDuration=10.5, preBuffer=0.25, preBufferUnit="hours") == [
        "slotDuration must be a whole number of minutes"
    ]


def test_buffers_reach_a_day_at_most(tenant):
    assert error(tenant, slotBuffer=1441, preBuffer=25, preBufferUnit="hours") == [
        "slotBuffer may be 24 hours at most",
        "preBuffer may be 24 hours at most",
    ]
    calendar = create(tenant, slotBuffer=24, slotBufferUnit="hours", preBuffer=1440).json()
    calendar_id = calendar["calendar"]["id"]

    longer = tenant.put(f"/calendars/{calendar_id}", json={"slotBufferUnit": "mins"})
    assert longer.status_code == 200, longer.text
    assert longer.json()["calendar"]["slotBuffer"] == 24
    refused = tenant.put(f"/calendars/{calendar_id}", json={"preBufferUnit": "hours"})
    assert refused.status_code == 400
    assert refused.json()["message"] == ["preBuffer may be 24 hours at most"]
    assert tenant.get(f"/calendars/{calendar_id}").json()["calendar"]["preBufferUnit"] == "mins"


def test_open_hours_must_close_after_they_open(tenant):
    midnight = {"openHour": 22, "openMinute": 0, "closeHour": 0, "closeMinute": 0}

    assert error(tenant, openHours=[{"daysOfTheWeek": [1, 7], "hours": [hours(12, 9)]}]) == [
        "openHours.0.daysOfTheWeek.1 must not be greater than 6"
    ]
    assert error(tenant, openHours=[{"daysOfTheWeek": [1], "hours": [hours(12, 9)]}]) == [
        "openHours.0.hours.0 must close after it opens"
    ]
    # Closing at 00:00 means the end of the day.
    assert (
        create(tenant, openHours=[{"daysOfTheWeek": [5], "hours": [midnight]}]).status_code == 200
    )


def test_slugs_are_generated_unique_and_can_be_chosen(tenant):
    first = create(tenant, name="Team Sync!").json()["calendar"]
    second = create(tenant, name="team  sync").json()["calendar"]
    chosen = create(tenant, slug="my-own", widgetSlug="my-widget").json()["calendar"]
    symbols = create(tenant, name="***").json()["calendar"]

    assert (first["slug"], first["widgetSlug"]) == ("team-sync", "team-sync")
    assert (second["slug"], second["widgetSlug"]) == ("team-sync-2", "team-sync-2")
    assert (chosen["slug"], chosen["widgetSlug"]) == ("my-own", "my-widget")
    assert symbols["slug"] == "calendar"


def test_a_chosen_slug_in_use_is_refused(tenant, other_tenant):
    create(tenant, slug="taken", widgetSlug="taken-widget")

    assert error(tenant, slug="taken", widgetSlug="taken-widget") == [
        "slug is already used by another calendar of this location",
        "widgetSlug is already used by another calendar of this location",
    ]
    assert create(other_tenant, slug="taken").status_code == 200


def test_update_may_not_take_another_calendars_slug(tenant):
    create(tenant, slug="taken")
    mine = create(tenant, slug="mine").json()["calendar"]

    response = tenant.put(f"/calendars/{mine['id']}", json={"slug": "taken"})
    kept = tenant.put(f"/calendars/{mine['id']}", json={"slug": "mine"})

    assert response.json()["message"] == [
        "slug is already used by another calendar of this location"
    ]
    assert kept.status_code == 200


def test_update_rechecks_the_type_rules(tenant):
    calendar = create(
        tenant, calendarType="round_robin", teamMembers=MEMBERS["round_robin"]
    ).json()["calendar"]

    response = tenant.put(f"/calendars/{calendar['id']}", json={"teamMembers": []})

    assert response.status_code == 400
    assert response.json()["message"] == [
        "teamMembers must contain at least one member for round_robin calendars"
    ]
    assert tenant.get(f"/calendars/{calendar['id']}").json()["calendar"] == calendar


def test_group_must_be_a_live_group_of_the_location(tenant, other_tenant):
    def new_group(owner, slug):
        body = {"locationId": owner.location_id, "name": "G", "description": "", "slug": slug}
        return owner.post("/calendars/groups", json=body).json()["group"]["id"]

    foreign = new_group(other_tenant, "theirs")
    gone = new_group(tenant, "gone")
    tenant.delete(f"/calendars/groups/{gone}")
    mine = new_group(tenant, "mine")
    message = ["groupId must be a group of this location"]

    assert error(tenant, groupId=foreign) == message
    assert error(tenant, groupId=gone) == message
    assert error(tenant, groupId="unknown") == message
    assert create(tenant, groupId=mine).json()["calendar"]["groupId"] == mine


def test_list_filters_by_group_and_drafts(tenant):
    body = {"locationId": tenant.location_id, "name": "G", "description": "", "slug": "g"}
    group_id = tenant.post("/calendars/groups", json=body).json()["group"]["id"]
    grouped = create(tenant, name="Grouped", groupId=group_id).json()["calendar"]
    draft = create(tenant, name="Draft", isActive=False).json()["calendar"]

    def listed(**params):
        response = tenant.get("/calendars/", params={"locationId": tenant.location_id, **params})
        assert response.status_code == 200
        return [calendar["id"] for calendar in response.json()["calendars"]]

    assert sorted(listed()) == sorted([grouped["id"], draft["id"]])
    assert listed(groupId=group_id) == [grouped["id"]]
    assert listed(showDrafted="false") == [grouped["id"]]
    assert sorted(listed(showDrafted="true")) == sorted([grouped["id"], draft["id"]])


def test_list_answers_without_the_trailing_slash_oldest_first(tenant, frozen_clock):
    frozen_clock("2026-02-01T00:00:00Z")
    newer = create(tenant, name="Newer").json()["calendar"]
    frozen_clock("2026-01-01T00:00:00Z")
    older = tenant.post("/calendars", json={"locationId": tenant.location_id, "name": "Older"})

    listed = tenant.get("/calendars", params={"locationId": tenant.location_id})

    assert older.status_code == 200
    assert listed.json() == {"calendars": [older.json()["calendar"], newer]}


def test_deleting_a_group_ungroups_its_calendars(tenant):
    body = {"locationId": tenant.location_id, "name": "G", "description": "", "slug": "g"}
    group_id = tenant.post("/calendars/groups", json=body).json()["group"]["id"]
    calendar = create(tenant, groupId=group_id).json()["calendar"]

    tenant.delete(f"/calendars/groups/{group_id}")

    assert "groupId" not in tenant.get(f"/calendars/{calendar['id']}").json()["calendar"]


def test_delete_hides_the_calendar(tenant):
    calendar = create(tenant, slug="short-lived").json()["calendar"]
    path = f"/calendars/{calendar['id']}"

    deleted = tenant.delete(path)

    assert deleted.status_code == 200
    assert deleted.json() == {"success": True}
    assert tenant.get(path).json() == CALENDAR_NOT_FOUND
    assert tenant.put(path, json={"name": "x"}).json() == CALENDAR_NOT_FOUND
    assert tenant.delete(path).json() == CALENDAR_NOT_FOUND
    assert tenant.get("/calendars/", params={"locationId": tenant.location_id}).json() == {
        "calendars": []
    }
    assert create(tenant, slug="short-lived").status_code == 200


@pytest.mark.parametrize(
    ("method", "body"), [("GET", None), ("PUT", {"name": "Mine now"}), ("DELETE", None)]
)
def test_another_locations_calendar_looks_unknown(tenant, other_tenant, method, body):
    theirs = create(other_tenant).json()["calendar"]

    foreign = tenant.request(method, f"/calendars/{theirs['id']}", json=body)
    unknown = tenant.request(method, f"/calendars/{'y' * 20}", json=body)

    assert foreign.status_code == unknown.status_code == 404
    assert foreign.json() == unknown.json() == CALENDAR_NOT_FOUND
    assert other_tenant.get(f"/calendars/{theirs['id']}").json() == {"calendar": theirs}


def test_listing_or_creating_in_another_location_is_403(tenant, other_tenant):
    listed = tenant.get("/calendars/", params={"locationId": other_tenant.location_id})
    created = create(tenant, locationId=other_tenant.location_id)

    assert listed.status_code == created.status_code == 403
    assert other_tenant.get(
        "/calendars/", params={"locationId": other_tenant.location_id}
    ).json() == {"calendars": []}
