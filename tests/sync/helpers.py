"""Helpers of the calendar-sync tests: admin calls, calendars with hours, iCalendar text."""

from support.api import ADMIN_HEADERS

CONNECTIONS = "/admin/calendar-connections"
FEEDS = "/admin/feeds"


def connect(tenant, user_id, kind, url, **fields):
    body = {"locationId": tenant.location_id, "userId": user_id, "kind": kind, "url": url}
    response = tenant.client.post(CONNECTIONS, json={**body, **fields}, headers=ADMIN_HEADERS)
    assert response.status_code == 201, response.text
    return response.json()["connection"]


def sync(tenant, connection_id):
    response = tenant.client.post(f"{CONNECTIONS}/{connection_id}/sync", headers=ADMIN_HEADERS)
    assert response.status_code == 200, response.text
    return response.json()["connection"]


def book(tenant, calendar_id, start, **fields):
    body = {
        "calendarId": calendar_id,
        "locationId": tenant.location_id,
        "contactId": "contact-1",
        "startTime": start,
        **fields,
    }
    return tenant.post("/calendars/events/appointments", json=body)


def vevent(uid, start, end=None, *lines_, zone="America/New_York", **props):
    """One VEVENT: `start`/`end` as `20270308T100000` (in `zone`) or `20270308` (all day);
    `lines_` are added as they are, `props` as `NAME:value`."""
    lines = ["BEGIN:VEVENT", f"UID:{uid}", "DTSTAMP:20270101T000000Z", *lines_]
    if len(start) == 8:
        lines.append(f"DTSTART;VALUE=DATE:{start}")
        if end:
            lines.append(f"DTEND;VALUE=DATE:{end}")
    else:
        lines.append(f"DTSTART;TZID={zone}:{start}")
        if end:
            lines.append(f"DTEND;TZID={zone}:{end}")
    lines += [f"{name.replace('_', '-').upper()}:{value}" for name, value in props.items()]
    lines.append("END:VEVENT")
    return "\r\n".join(lines)


def vcalendar(*events):
    return (
        "\r\n".join(
            [
                "BEGIN:VCALENDAR",
                "VERSION:2.0",
                "PRODID:-//tests//sync//EN",
                *events,
                "END:VCALENDAR",
            ]
        )
        + "\r\n"
    )


def service_for(tenant, user_id, zone="America/New_York"):
    """A haircut (30 minutes) that `user_id` gives on Mondays 09:00-17:00, at a studio."""
    hours = [{"type": "wday", "day": "monday", "intervals": [{"from": "09:00", "to": "17:00"}]}]
    schedule = tenant.post(
        "/calendars/schedules",
        json={
            "locationId": tenant.location_id,
            "name": f"{user_id} services",
            "userId": user_id,
            "timezone": zone,
            "rules": hours,
        },
    )
    assert schedule.status_code == 201, schedule.text
    place = tenant.post(
        "/calendars/services/locations",
        json={
            "locationId": tenant.location_id,
            "name": "studio",
            "slug": "studio",
            "address": "1 Main St",
        },
    )
    assert place.status_code == 201, place.text
    service = tenant.post(
        "/calendars/services/catalog",
        json={
            "locationId": tenant.location_id,
            "name": "Haircut",
            "slug": "haircut",
            "staff": [{"id": user_id}],
        },
    )
    assert service.status_code == 201, service.text
    return service.json()["service"]["id"]


def book_service(tenant, service_id, start, end, zone="America/New_York"):
    return tenant.post(
        "/calendars/services/bookings",
        json={
            "locationId": tenant.location_id,
            "contactId": "contact-1",
            "startTime": start,
            "endTime": end,
            "timezone": zone,
            "services": [{"id": service_id}],
        },
    )
