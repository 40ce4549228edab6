"""Demo data: a location with an example of everything the server can hold.

Running it again reuses the demo location (its data is created once) and issues a
fresh token, since a token's secret is shown only when it is created.
"""

from dataclasses import dataclass

from opencalendars.admin import service as admin_service
from opencalendars.db.database import Database
from opencalendars.groups import service as group_service
from opencalendars.groups.schemas import GroupCreateDTO

DEMO_LOCATION_ID = "OpenCalendarsDemo001"
DEMO_TIMEZONE = "America/New_York"

DEMO_GROUPS = (
    ("Consultations", "One-to-one meetings with our advisors", "consultations", True),
    ("Workshops", "Classes and group sessions", "workshops", True),
    ("Seasonal", "Calendars that open for the holidays", "seasonal", False),
)


@dataclass(frozen=True)
class DemoResult:
    location_id: str
    timezone: str
    token: str


def create_demo(db: Database) -> DemoResult:
    existing = {location.id for location in admin_service.list_locations(db)}
    if DEMO_LOCATION_ID not in existing:
        admin_service.create_location(db, "OpenCalendars Demo", DEMO_TIMEZONE, DEMO_LOCATION_ID)
        seed_groups(db)
    _token, secret = admin_service.create_token(db, DEMO_LOCATION_ID, None, "demo")
    return DemoResult(DEMO_LOCATION_ID, DEMO_TIMEZONE, secret)


def seed_groups(db: Database) -> None:
    for name, description, slug, is_active in DEMO_GROUPS:
        group_service.create_group(
            db,
            GroupCreateDTO(
                locationId=DEMO_LOCATION_ID,
                name=name,
                description=description,
                slug=slug,
                isActive=is_active,
            ),
        )
