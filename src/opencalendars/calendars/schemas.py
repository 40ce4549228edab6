"""Wire shapes of calendars: `CalendarCreateDTO`, `CalendarUpdateDTO` and `CalendarDTO`."""

from typing import Annotated, Literal

from pydantic import Field

from opencalendars.http.numbers import NonNegativeNumber, PositiveNumber
from opencalendars.http.validation import RequestDTO

CALENDAR_TYPES = (
    "round_robin",
    "event",
    "class_booking",
    "collective",
    "service_booking",
    "personal",
)
CalendarType = Literal[
    "round_robin", "event", "class_booking", "collective", "service_booking", "personal"
]
EventType = Literal["RoundRobin_OptimizeForAvailability", "RoundRobin_OptimizeForEqualDistribution"]
DurationUnit = Literal["mins", "hours"]
NoticeUnit = Literal["hours", "days", "weeks", "months", "mins"]
WindowUnit = Literal["days", "weeks", "months"]
LocationKind = Literal[
    "custom",
    "zoom_conference",
    "google_conference",
    "inbound_call",
    "outbound_call",
    "physical",
    "booker",
    "ms_teams_conference",
]
NonEmpty = Annotated[str, Field(min_length=1)]
# A title template is rendered into every booking's title (docs/contacts.md "Titles"): bounded,
# so that placeholders cannot make one booking's title megabytes long.
MAX_EVENT_TITLE = 500
# Bounds far beyond any real calendar that keep every derived instant inside the years 1-9999.
Count = Annotated[int, Field(ge=0, le=100_000)]
Length = Annotated[PositiveNumber, Field(le=100_000)]
Gap = Annotated[NonNegativeNumber, Field(le=100_000)]
Horizon = Annotated[NonNegativeNumber, Field(le=10_000)]
# The most members a calendar's team may have, as a service's staff (services.schemas.MAX_STAFF):
# the live product caps round robins far below 1,000, and free slots and bookings work per member.
MAX_TEAM_MEMBERS = 100


class LocationConfiguration(RequestDTO):
    kind: LocationKind
    location: str | None = None


class TeamMember(RequestDTO):
    userId: NonEmpty
    priority: Literal[0, 0.5, 1] = 0.5
    isPrimary: bool = False
    locationConfigurations: list[LocationConfiguration] = []


class Hour(RequestDTO):
    openHour: Annotated[int, Field(ge=0, le=23)]
    openMinute: Annotated[int, Field(ge=0, le=60)]
    closeHour: Annotated[int, Field(ge=0, le=23)]
    closeMinute: Annotated[int, Field(ge=0, le=60)]


class OpenHour(RequestDTO):
    daysOfTheWeek: list[Annotated[int, Field(ge=0, le=6)]]
    hours: list[Hour]


class Availability(RequestDTO):
    date: NonEmpty
    hours: list[Hour]
    deleted: bool = False


class UpdateAvailability(Availability):
    id: str | None = None


class Recurring(RequestDTO):
    freq: Literal["DAILY", "WEEKLY", "MONTHLY"] | None = None
    count: Annotated[int, Field(ge=1, le=24)] | None = None
    bookingOption: Literal["skip", "continue", "book_next"] | None = None
    bookingOverlapDefaultStatus: Literal["confirmed", "new"] | None = None


class LookBusyConfiguration(RequestDTO):
    enabled: bool
    LookBusyPercentage: Annotated[NonNegativeNumber, Field(le=100)]


class CalendarNotification(RequestDTO):
    type: Literal["email"] = "email"
    shouldSendToContact: bool
    shouldSendToGuest: bool
    shouldSendToUser: bool
    shouldSendToSelectedUsers: bool
    selectedUsers: str


class CalendarSettings(RequestDTO):
    """The fields shared by create and update; all optional."""

    isActive: bool | None = None
    notifications: list[CalendarNotification] | None = None
    groupId: str | None = None
    teamMembers: Annotated[list[TeamMember], Field(max_length=MAX_TEAM_MEMBERS)] | None = None
    eventType: EventType | None = None
    name: NonEmpty | None = None
    description: str | None = None
    slug: NonEmpty | None = None
    widgetSlug: NonEmpty | None = None
    widgetType: Literal["default", "classic"] | None = None
    eventTitle: Annotated[str, Field(max_length=MAX_EVENT_TITLE)] | None = None
    eventColor: str | None = None
    locationConfigurations: list[LocationConfiguration] | None = None
    slotDuration: Length | None = None
    slotDurationUnit: DurationUnit | None = None
    slotInterval: Length | None = None
    slotIntervalUnit: DurationUnit | None = None
    slotBuffer: Gap | None = None
    slotBufferUnit: DurationUnit | None = None
    preBuffer: Gap | None = None
    preBufferUnit: DurationUnit | None = None
    appoinmentPerSlot: Annotated[int, Field(ge=1, le=100_000)] | None = None
    appoinmentPerDay: Count | None = None
    allowBookingAfter: Horizon | None = None
    allowBookingAfterUnit: NoticeUnit | None = None
    allowBookingFor: Horizon | None = None
    allowBookingForUnit: WindowUnit | None = None
    openHours: list[OpenHour] | None = None
    enableRecurring: bool | None = None
    recurring: Recurring | None = None
    formId: str | None = None
    stickyContact: bool | None = None
    isLivePaymentMode: bool | None = None
    autoConfirm: bool | None = None
    shouldSendAlertEmailsToAssignedMember: bool | None = None
    alertEmail: str | None = None
    googleInvitationEmails: bool | None = None
    allowReschedule: bool | None = None
    allowCancellation: bool | None = None
    shouldAssignContactToTeamMember: bool | None = None
    shouldSkipAssigningContactForExisting: bool | None = None
    notes: str | None = None
    pixelId: str | None = None
    formSubmitType: Literal["RedirectURL", "ThankYouMessage"] | None = None
    formSubmitRedirectURL: str | None = None
    formSubmitThanksMessage: str | None = None
    availabilityType: Literal[0, 1] | None = None
    guestType: Literal["count_only", "collect_detail"] | None = None
    consentLabel: str | None = None
    calendarCoverImage: str | None = None
    lookBusyConfig: LookBusyConfiguration | None = None


class CalendarCreateDTO(CalendarSettings):
    locationId: NonEmpty
    name: NonEmpty
    calendarType: CalendarType = "event"
    availabilities: list[Availability] | None = None


class CalendarUpdateDTO(CalendarSettings):
    """Every field the create takes: the spec's update DTO forgets `locationId`, `calendarType`
    and `slotBufferUnit`, which clients send back as they read them (docs/fidelity.md)."""

    locationId: NonEmpty | None = None
    calendarType: CalendarType | None = None
    availabilities: list[UpdateAvailability] | None = None


# Defaults filled in on read: PRODUCT §4.1 and the spec's own defaults.
CALENDAR_DEFAULTS = {
    "isActive": True,
    "notifications": [],
    "teamMembers": [],
    "eventType": "RoundRobin_OptimizeForAvailability",
    "widgetType": "classic",
    "eventTitle": "{{contact.name}}",
    # The live service's default (the spec writes it in lower case; docs/fidelity.md).
    "eventColor": "#039BE5",
    "locationConfigurations": [],
    "slotDuration": 30,
    "slotDurationUnit": "mins",
    "slotBuffer": 0,
    "slotBufferUnit": "mins",
    "preBuffer": 0,
    "preBufferUnit": "mins",
    "appoinmentPerSlot": 1,
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
}

# The order of CalendarDTO's properties in the spec, so answers read like the real service's.
CALENDAR_DTO_ORDER = (
    "isActive",
    "notifications",
    "locationId",
    "groupId",
    "teamMembers",
    "eventType",
    "name",
    "description",
    "slug",
    "widgetSlug",
    "calendarType",
    "widgetType",
    "eventTitle",
    "eventColor",
    "locationConfigurations",
    "slotDuration",
    "slotDurationUnit",
    "slotInterval",
    "slotIntervalUnit",
    "slotBuffer",
    "slotBufferUnit",
    "preBuffer",
    "preBufferUnit",
    "appoinmentPerSlot",
    "appointmentPerSlot",
    "appoinmentPerDay",
    "allowBookingAfter",
    "allowBookingAfterUnit",
    "allowBookingFor",
    "allowBookingForUnit",
    "openHours",
    "enableRecurring",
    "recurring",
    "formId",
    "stickyContact",
    "isLivePaymentMode",
    "autoConfirm",
    "shouldSendAlertEmailsToAssignedMember",
    "alertEmail",
    "googleInvitationEmails",
    "allowReschedule",
    "allowCancellation",
    "shouldAssignContactToTeamMember",
    "shouldSkipAssigningContactForExisting",
    "notes",
    "pixelId",
    "formSubmitType",
    "formSubmitRedirectURL",
    "formSubmitThanksMessage",
    "availabilityType",
    "availabilities",
    "guestType",
    "consentLabel",
    "calendarCoverImage",
    "lookBusyConfig",
    "id",
)


def team_member_dto(member: dict) -> dict:
    return {
        "userId": member["userId"],
        "priority": member.get("priority", 0.5),
        "meetingLocationType": "custom",
        "isPrimary": member.get("isPrimary", False),
        "locationConfigurations": member.get("locationConfigurations", []),
    }


def calendar_dto(calendar) -> dict:
    """CalendarDTO: stored settings over the defaults, in the spec's property order."""
    settings = calendar.settings
    values = {
        **CALENDAR_DEFAULTS,
        # The interval defaults to the duration (PRODUCT §4.1), in the duration's unit.
        "slotInterval": settings.get("slotDuration", 30),
        "slotIntervalUnit": settings.get("slotDurationUnit", "mins"),
        **settings,
        "locationId": calendar.location_id,
        "name": calendar.name,
        "calendarType": calendar.calendar_type,
        "slug": calendar.slug,
        "widgetSlug": calendar.widget_slug,
        "isActive": calendar.is_active,
        "id": calendar.id,
    }
    # The live service sends the correctly spelled alias too (docs/fidelity.md).
    values["appointmentPerSlot"] = values["appoinmentPerSlot"]
    if calendar.group_id is not None:
        values["groupId"] = calendar.group_id
    values["teamMembers"] = [team_member_dto(member) for member in values["teamMembers"]]
    return {key: values[key] for key in CALENDAR_DTO_ORDER if key in values}
