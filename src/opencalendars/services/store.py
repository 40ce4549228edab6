"""Service booking storage: every write goes through `save_booking`, so that
`service_segment_staff` (the staff busy index `busy/segments.py` reads) never drifts.
"""

from sqlalchemy import delete
from sqlalchemy.orm import Session

from opencalendars.services.models import ServiceBooking, ServiceSegmentStaff


def save_booking(session: Session, booking: ServiceBooking) -> None:
    """Insert or update a booking and rewrite whose time its services take."""
    session.add(booking)
    session.flush()
    session.execute(delete(ServiceSegmentStaff).where(ServiceSegmentStaff.booking_id == booking.id))
    session.add_all(
        ServiceSegmentStaff(
            booking_id=booking.id,
            position=index,
            location_id=booking.location_id,
            staff_id=segment["serviceStaffId"],
            busy_start_ms=segment["startMs"] - segment["preBufferMs"],
            busy_end_ms=segment["endMs"] + segment["postBufferMs"],
            occupies=booking.occupies,
        )
        for index, segment in enumerate(booking.segments)
    )
