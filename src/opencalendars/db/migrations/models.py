"""Every area's tables, imported in one place so migrations see the whole schema. It lives with
the migrations, the one part of the store that may know the areas (docs/architecture.md)."""

from opencalendars import clock, keys  # noqa: F401
from opencalendars.admin import models as admin_models  # noqa: F401
from opencalendars.appointments import models as appointment_models  # noqa: F401
from opencalendars.blocked_slots import models as blocked_slot_models  # noqa: F401
from opencalendars.calendars import models as calendar_models  # noqa: F401
from opencalendars.contacts import models as contact_models  # noqa: F401
from opencalendars.db import location_versions  # noqa: F401
from opencalendars.db.base import Base
from opencalendars.events import models as event_models  # noqa: F401
from opencalendars.groups import models as group_models  # noqa: F401
from opencalendars.http import rate_counters as rate_limit_models  # noqa: F401
from opencalendars.marketplace import models as marketplace_models  # noqa: F401
from opencalendars.notifications import models as notification_models  # noqa: F401
from opencalendars.resources import models as resource_models  # noqa: F401
from opencalendars.schedules import models as schedule_models  # noqa: F401
from opencalendars.services import models as service_models  # noqa: F401
from opencalendars.sync import models as sync_models  # noqa: F401

metadata = Base.metadata
