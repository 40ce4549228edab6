"""`/calendars/{calendarId}/notifications`."""

from typing import Annotated

from fastapi import APIRouter, Query, Request

from opencalendars.http.auth import Caller, authorize
from opencalendars.http.json import JsonResponse
from opencalendars.http.validation import MAX_OFFSET, json_body, whole_number
from opencalendars.notifications import schemas, service

router = APIRouter(prefix="/calendars/{calendarId}/notifications", tags=["Calendar Notifications"])

READ = "calendars/events.readonly"
WRITE = "calendars/events.write"
UPDATED = "Notification updated successfully"
DELETED = "Notification deleted successfully"


@router.get("")
def get_event_notification(
    request: Request,
    *,
    calendarId: str,
    caller: Annotated[Caller, authorize(READ)],
    isActive: Annotated[bool | None, Query()] = None,
    deleted: Annotated[bool, Query()] = False,
    limit: Annotated[float, Query(ge=1, le=100)] = 100,
    skip: Annotated[float, Query(ge=0, le=MAX_OFFSET)] = 0,
):
    found = service.list_notifications(
        request.app.state.db,
        caller.location_id,
        calendarId,
        is_active=isActive,
        deleted=deleted,
        limit=whole_number(limit, "limit"),
        skip=whole_number(skip, "skip"),
    )
    return JsonResponse([schemas.notification_dto(n) for n in found])


@router.post("")
def create_event_notification(
    request: Request,
    *,
    calendarId: str,
    caller: Annotated[Caller, authorize(WRITE)],
    body: Annotated[
        list[schemas.CreateCalendarNotificationDTO],
        json_body(list[schemas.CreateCalendarNotificationDTO]),
    ],
):
    """Takes an array: one or many notifications for the calendar in the path."""
    created = service.create_notifications(
        request.app.state.db, caller.location_id, calendarId, dtos=body
    )
    return JsonResponse([schemas.notification_dto(n) for n in created])


@router.get("/{notificationId}")
def find_event_notification(
    request: Request,
    *,
    calendarId: str,
    notificationId: str,
    caller: Annotated[Caller, authorize(READ)],
):
    notification = service.read_notification(
        request.app.state.db, caller.location_id, calendarId, notification_id=notificationId
    )
    return JsonResponse(schemas.notification_dto(notification))


@router.put("/{notificationId}")
def update_event_notification(
    request: Request,
    *,
    calendarId: str,
    notificationId: str,
    caller: Annotated[Caller, authorize(WRITE)],
    body: Annotated[
        schemas.UpdateCalendarNotificationsDTO, json_body(schemas.UpdateCalendarNotificationsDTO)
    ],
):
    service.update_notification(
        request.app.state.db,
        caller.location_id,
        calendarId,
        notification_id=notificationId,
        dto=body,
    )
    return JsonResponse({"message": UPDATED})


@router.delete("/{notificationId}")
def delete_event_notification(
    request: Request,
    *,
    calendarId: str,
    notificationId: str,
    caller: Annotated[Caller, authorize(WRITE)],
):
    service.delete_notification(
        request.app.state.db, caller.location_id, calendarId, notification_id=notificationId
    )
    return JsonResponse({"message": DELETED})
