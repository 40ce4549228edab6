"""Wire shapes of schedules, named after the spec's DTOs."""

from typing import Annotated

from pydantic import Field

from opencalendars.http.times import iso_utc_ms
from opencalendars.http.validation import RequestDTO

NonEmpty = Annotated[str, Field(min_length=1)]


class ScheduleIntervalDTO(RequestDTO):
    from_: str = Field(alias="from")
    to: str


class ScheduleRuleDTO(RequestDTO):
    # Checked by the service, so that every rule problem is a 422 of its own (PRODUCT §6).
    type: str
    intervals: list[ScheduleIntervalDTO]
    date: str | None = None
    day: str | None = None


class CreateScheduleDTO(RequestDTO):
    rules: list[ScheduleRuleDTO] = []
    timezone: str
    locationId: NonEmpty
    name: NonEmpty
    userId: NonEmpty
    calendarIds: list[NonEmpty] = []


class UpdateScheduleDTO(RequestDTO):
    name: NonEmpty | None = None
    rules: list[ScheduleRuleDTO] | None = None
    timezone: str | None = None


class CreateEventCalendarScheduleDTO(RequestDTO):
    rules: list[ScheduleRuleDTO]
    timezone: str


class UpdateEventCalendarScheduleDTO(RequestDTO):
    rules: list[ScheduleRuleDTO] | None = None
    timezone: str | None = None


def rules_of(rules: list[ScheduleRuleDTO]) -> list[dict]:
    return [rule.model_dump(by_alias=True, exclude_none=True) for rule in rules]


def schedule_object_dto(schedule, calendar_ids: list[str]) -> dict:
    return {
        "id": schedule.id,
        "name": schedule.name,
        "locationId": schedule.location_id,
        "rules": schedule.rules,
        "timezone": schedule.timezone,
        "dateAdded": iso_utc_ms(schedule.date_added_ms),
        "dateUpdated": iso_utc_ms(schedule.date_updated_ms),
        "userId": schedule.user_id,
        "calendarIds": calendar_ids,
        "deleted": False,
    }


def event_calendar_schedule_dto(schedule) -> dict:
    return {
        "timezone": schedule.timezone,
        "rules": schedule.rules,
        "calendarId": schedule.calendar_id,
        "dateAdded": iso_utc_ms(schedule.date_added_ms),
        "dateUpdated": iso_utc_ms(schedule.date_updated_ms),
    }
