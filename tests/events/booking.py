"""Booking helpers the events tests share."""

MONDAY_TEN = "2030-01-07T10:00:00-05:00"


def book(tenant, calendar_id, start=MONDAY_TEN, **fields) -> dict:
    """A validated appointment (contact-1 unless `contactId` is given)."""
    response = tenant.post(
        "/calendars/events/appointments",
        json={
            "calendarId": calendar_id,
            "locationId": tenant.location_id,
            "contactId": "contact-1",
            "startTime": start,
            **fields,
        },
    )
    assert response.status_code == 200, response.text
    return response.json()
