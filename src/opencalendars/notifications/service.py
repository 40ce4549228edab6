"""Calendar notifications (PRODUCT §6): validation, soft delete, filters."""

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from opencalendars import clock
from opencalendars.calendars.service import get_live_calendar
from opencalendars.db.database import Database
from opencalendars.db.queries import one_or_not_found
from opencalendars.errors import BadRequest
from opencalendars.ids import new_id
from opencalendars.notifications.models import CalendarNotification
from opencalendars.notifications.schemas import (
    CreateCalendarNotificationDTO,
    UpdateCalendarNotificationsDTO,
)

NOTIFICATION_NOT_FOUND = "Notification not found"
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE = re.compile(r"^\+?[0-9]{7,15}$")


def problems_of(fields: dict, prefix: str) -> list[str]:
    """The rules between fields, on a notification's full set of fields."""
    problems = []
    if fields.get("notificationType") == "reminder" and not fields.get("beforeTime"):
        problems.append(f"{prefix}beforeTime should not be empty for a reminder")
    if fields.get("notificationType") == "followup" and not fields.get("afterTime"):
        problems.append(f"{prefix}afterTime should not be empty for a followup")
    if fields.get("receiverType") == "emails":
        emails = fields.get("additionalEmailIds") or []
        if not emails:
            problems.append(f"{prefix}additionalEmailIds should not be empty for emails")
        problems += [
            f"{prefix}additionalEmailIds.{i} must be an email"
            for i, email in enumerate(emails)
            if not EMAIL.match(email)
        ]
    if fields.get("receiverType") == "phoneNumbers":
        phones = fields.get("additionalPhoneNumbers") or []
        if not phones:
            problems.append(f"{prefix}additionalPhoneNumbers should not be empty for phoneNumbers")
        problems += [
            f"{prefix}additionalPhoneNumbers.{i} must be a phone number"
            for i, phone in enumerate(phones)
            if not PHONE.match(phone)
        ]
    return problems


def stored_fields(dto) -> dict:
    values = dto.model_dump(exclude_unset=True, exclude={"isActive", "deleted"})
    return {key: value for key, value in values.items() if value is not None}


def get_notification(
    session: Session,
    location_id: str,
    calendar_id: str,
    *,
    notification_id: str,
    to_change: bool = False,
) -> CalendarNotification:
    get_live_calendar(session, location_id, calendar_id)
    query = select(CalendarNotification).where(
        CalendarNotification.id == notification_id,
        CalendarNotification.calendar_id == calendar_id,
    )
    return one_or_not_found(session, query, NOTIFICATION_NOT_FOUND, to_change=to_change)


def create_notifications(
    db: Database, location_id: str, calendar_id: str, *, dtos: list[CreateCalendarNotificationDTO]
) -> list[CalendarNotification]:
    if not dtos:
        raise BadRequest(["request body should not be empty: send one or more notifications"])
    problems = [
        problem
        for i, dto in enumerate(dtos)
        for problem in problems_of(stored_fields(dto), f"{i}.")
    ]
    if problems:
        raise BadRequest(problems)
    with db.write() as session:
        get_live_calendar(session, location_id, calendar_id)
        now = clock.now_ms(session)
        created = [
            CalendarNotification(
                id=new_id(),
                location_id=location_id,
                calendar_id=calendar_id,
                is_active=True if dto.isActive is None else dto.isActive,
                deleted=False,
                fields=stored_fields(dto),
                date_added_ms=now,
                position=position,
                date_updated_ms=now,
            )
            for position, dto in enumerate(dtos)
        ]
        session.add_all(created)
    return created


def list_notifications(
    db: Database,
    location_id: str,
    calendar_id: str,
    *,
    is_active: bool | None,
    deleted: bool,
    limit: int,
    skip: int,
) -> list[CalendarNotification]:
    """Oldest first, in the order they were sent; deleted ones only with `deleted=true`."""
    query = (
        select(CalendarNotification)
        .where(
            CalendarNotification.calendar_id == calendar_id,
            CalendarNotification.deleted.is_(deleted),
        )
        .order_by(
            CalendarNotification.date_added_ms,
            CalendarNotification.position,
            CalendarNotification.id,
        )
        .offset(skip)
        .limit(limit)
    )
    if is_active is not None:
        query = query.where(CalendarNotification.is_active.is_(is_active))
    with db.read() as session:
        get_live_calendar(session, location_id, calendar_id)
        return list(session.scalars(query))


def read_notification(db: Database, location_id: str, calendar_id: str, *, notification_id: str):
    with db.read() as session:
        return get_notification(session, location_id, calendar_id, notification_id=notification_id)


def update_notification(
    db: Database,
    location_id: str,
    calendar_id: str,
    *,
    notification_id: str,
    dto: UpdateCalendarNotificationsDTO,
) -> None:
    """Partial; the rules between fields are checked on the result."""
    with db.write() as session:
        notification = get_notification(
            session, location_id, calendar_id, notification_id=notification_id, to_change=True
        )
        fields = {**notification.fields, **stored_fields(dto)}
        problems = problems_of(fields, "")
        if problems:
            raise BadRequest(problems)
        notification.fields = fields
        if dto.isActive is not None:
            notification.is_active = dto.isActive
        if dto.deleted is not None:
            notification.deleted = dto.deleted
        notification.date_updated_ms = clock.now_ms(session)


def delete_notification(
    db: Database, location_id: str, calendar_id: str, *, notification_id: str
) -> None:
    """Soft: kept with `deleted: true` and listed with `deleted=true`."""
    with db.write() as session:
        notification = get_notification(
            session, location_id, calendar_id, notification_id=notification_id, to_change=True
        )
        notification.deleted = True
        notification.date_updated_ms = clock.now_ms(session)
