"""The time service bookings take from their staff (PRODUCT §7), widened by each service's
buffers: read from `service_segment_staff`, which `services.store.save_booking` keeps."""

from sqlalchemy import bindparam, select

from opencalendars.busy.appointments import MAX_APPOINTMENT_MS
from opencalendars.db.batch import Fetch
from opencalendars.db.prepared import PreparedRead
from opencalendars.services.models import ServiceSegmentStaff

DAY_MS = 86_400_000
# A booking lasts at most as long as an appointment, and its buffers 24 hours each side: a
# segment's busy span starts at most this long before it ends.
MAX_BUSY_SPAN_MS = MAX_APPOINTMENT_MS + 2 * DAY_MS

_staff = ServiceSegmentStaff.__table__.c
# Built once: free slots and bookings run it on their hot path.
_OCCUPYING_SEGMENTS = PreparedRead(
    select(_staff.staff_id, _staff.busy_start_ms, _staff.busy_end_ms).where(
        _staff.location_id == bindparam("location_id"),
        _staff.staff_id.in_(bindparam("staff_ids", expanding=True)),
        _staff.busy_start_ms < bindparam("end_ms"),
        _staff.busy_start_ms > bindparam("lookback_ms"),
        _staff.busy_end_ms > bindparam("start_ms"),
        _staff.occupies.is_(True),
        _staff.booking_id != bindparam("exclude_id"),
    ),
    named=False,
)


def occupying_segments(
    location_id: str,
    staff_ids: list[str],
    *,
    start_ms: int,
    end_ms: int,
    exclude_booking_id: str = "",
) -> Fetch:
    """The service-booking time of these people (at least one) that overlaps the range,
    already widened by each service's buffers: `(staff_id, busy_start_ms, busy_end_ms)`
    tuples."""
    return Fetch(
        _OCCUPYING_SEGMENTS,
        {
            "location_id": location_id,
            "staff_ids": staff_ids,
            "start_ms": start_ms,
            "end_ms": end_ms,
            "lookback_ms": start_ms - MAX_BUSY_SPAN_MS,
            "exclude_id": exclude_booking_id,
        },
    )
