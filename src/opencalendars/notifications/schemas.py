"""Wire shapes of calendar notifications, named after the spec's DTOs."""

from typing import Annotated, Literal

from pydantic import Field

from opencalendars.http.numbers import NonNegativeNumber
from opencalendars.http.validation import RequestDTO
from opencalendars.notifications.models import CalendarNotification

ReceiverType = Literal["contact", "guest", "assignedUser", "emails", "phoneNumbers", "business"]
Channel = Literal["email", "inApp", "sms", "whatsapp"]
NotificationType = Literal[
    "booked", "confirmation", "cancellation", "reminder", "followup", "reschedule"
]
OffsetUnit = Literal["mins", "minutes", "hours", "days"]


class SchedulesDTO(RequestDTO):
    timeOffset: Annotated[NonNegativeNumber, Field(le=100_000)]
    unit: OffsetUnit


class NotificationFields(RequestDTO):
    isActive: bool | None = None
    templateId: str | None = None
    body: str | None = None
    subject: str | None = None
    afterTime: list[SchedulesDTO] | None = None
    beforeTime: list[SchedulesDTO] | None = None
    additionalEmailIds: list[str] | None = None
    additionalPhoneNumbers: list[str] | None = None
    selectedUsers: list[str] | None = None
    fromAddress: str | None = None
    fromName: str | None = None
    fromNumber: str | None = None


class CreateCalendarNotificationDTO(NotificationFields):
    receiverType: ReceiverType
    channel: Channel
    notificationType: NotificationType


class UpdateCalendarNotificationsDTO(NotificationFields):
    receiverType: ReceiverType | None = None
    channel: Channel | None = None
    notificationType: NotificationType | None = None
    deleted: bool | None = None


def notification_dto(notification: CalendarNotification) -> dict:
    """CalendarNotificationResponseDTO: `_id`, as the spec names it (PRODUCT §6)."""
    return {
        "_id": notification.id,
        **notification.fields,
        "isActive": notification.is_active,
        "deleted": notification.deleted,
    }
