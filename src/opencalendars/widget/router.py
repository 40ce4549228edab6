"""The booking widget's routes (docs/widget.md). Public: no token, no admin key.

Pages (HTML, every refusal a page with its status):
- `GET /widget/booking/{calendarId}`, `GET /widget/bookings/{widgetSlug}` (`?location=` when
  two locations use the slug): the month, the day's slots, the form; `?lang=`, `?timezone=`,
  `?month=YYYY-MM`, `?date=YYYY-MM-DD`, `?slot=<ISO>`, `?userId=`. `POST /widget/booking/
  {calendarId}` books.
- `GET /widget/group/{groupId or slug}`: the group's public calendars.
- `GET /widget/appointment/{link}`: a booking's confirmation; `GET /widget/ics/{link}` its
  `.ics`; `GET|POST /widget/reschedule/{link}` and `GET|POST /widget/cancel/{link}`.
Other answers:
- `GET /widget/booking/{calendarId}/slots?month=&timezone=&userId=`: the month's free slots as
  the free-slots API answers them (JSON).
- `GET /widget/embed/{calendarId}.js`: the script that puts the widget in an iframe.
- `GET /widget/static/{name}`: the pages' CSS and JavaScript.
"""

from calendar import monthrange
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from urllib.parse import urlencode

import orjson
from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from opencalendars.errors import ApiError, BadRequest, NotFound
from opencalendars.http.json import JsonResponse
from opencalendars.widget import forms, links, pages, service
from opencalendars.widget.i18n import (
    LANGUAGE_NAMES,
    LANGUAGES,
    N_,
    Formats,
    choose_language,
    translate,
)
from opencalendars.widget.ics import appointment_ics
from opencalendars.widget.limits import limiter_of
from opencalendars.zones import iana_names, is_known_zone, zone

router = APIRouter(tags=["Booking widget"])

# How far ahead a visitor may page, in months from the current one.
MAX_MONTHS_AHEAD = 24
# Without `?month=`, the page opens on the first of this many months that has a free slot.
LOOKAHEAD_MONTHS = 3
MAX_PARAM = 255
DASH = " \u2013 "  # between the start and the end of a time range

NOT_FOUND_TITLE = N_("This page does not exist")
NOT_FOUND = N_("There is no booking page here. Check the link you were given.")
SLOT_TAKEN = N_("The slot you have selected is no longer available.")
PICK_A_TIME = N_("Choose a time first.")
CSRF_FAILED = N_("This form has expired or did not come from this page. Please try again.")
HONEYPOT_FILLED = N_("This form could not be accepted.")
TOO_MANY = N_("Too many attempts from your address. Please wait a minute and try again.")
LINK_EXPIRED = N_("This link has expired.")
NO_RESCHEDULE = N_("This appointment can no longer be rescheduled.")
NO_CANCEL = N_("This appointment can no longer be cancelled.")
CALENDAR_PROBLEM = N_("The times of this calendar cannot be shown right now.")


@dataclass
class View:
    """What every page of one request shares: language, zone, nonce."""

    language: str
    zone: str
    zone_explicit: bool
    formats: Formats
    nonce: str = field(default_factory=pages.new_nonce)

    def t(self, message: str, **values: object) -> str:
        return translate(self.language, message, **values)


def bounded(value: str | None) -> str | None:
    return value if value and len(value) <= MAX_PARAM else None


def view_of(request: Request, asked_lang: str | None, asked_zone: str | None, *, fallback: str):
    language = choose_language(asked_lang, request.headers.get("accept-language"))
    explicit = bool(asked_zone) and is_known_zone(asked_zone)
    return View(language, asked_zone if explicit else fallback, explicit, Formats(language))


def url(base: str, params: dict, fragment: str = "", **changes: object) -> str:
    merged = {**params, **changes}
    query = urlencode({k: v for k, v in merged.items() if v not in (None, "")})
    return f"{base}{'?' + query if query else ''}{'#' + fragment if fragment else ''}"


def message_page(view: View, status_code: int, title: str, *, message: str, **extra) -> Response:
    body = pages.render(
        view.language,
        "message.html",
        title=view.t(title),
        message=view.t(message),
        nonce=view.nonce,
        palette=pages.palette(None),
        switch=[],
        **extra,
    )
    response = pages.respond(body, status_code, nonce=view.nonce)
    return response


def not_found(view: View) -> Response:
    return message_page(view, 404, NOT_FOUND_TITLE, message=NOT_FOUND)


def plain_view(request: Request, asked_lang: str | None = None) -> View:
    return view_of(request, asked_lang or request.query_params.get("lang"), None, fallback="UTC")


def language_links(view: View, base: str, params: dict, *, fragment: str = "") -> list[dict]:
    return [
        {
            "code": code,
            "name": LANGUAGE_NAMES[code],
            "url": url(base, params, fragment, lang=code),
            "current": code == view.language,
        }
        for code in LANGUAGES
    ]


# --- months, days and slots ---------------------------------------------------------------


def month_of(text: str | None) -> tuple[int, int] | None:
    if not text or len(text) != 7 or text[4] != "-" or not (text[:4] + text[5:]).isdigit():
        return None
    year, month = int(text[:4]), int(text[5:])
    return (year, month) if 1 <= month <= 12 else None


def add_months(year: int, month: int, count: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + count
    return index // 12, index % 12 + 1


def month_index(year: int, month: int) -> int:
    return year * 12 + month - 1


def day_of(text: str | None) -> date | None:
    if not text or len(text) != 10:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def local_today(now_ms: int, zone_name: str) -> date:
    return datetime.fromtimestamp(now_ms / 1000, tz=zone(zone_name)).date()


@dataclass
class Picker:
    """The month shown, its days with slots, the chosen day and slot."""

    year: int
    month: int
    first: tuple[int, int]
    last: tuple[int, int]
    slots: dict  # the free-slots answer: {"YYYY-MM-DD": {"slots": [...]}}
    day: date | None
    slot: str | None  # an offered slot (ISO), once chosen
    slot_gone: bool  # a slot was asked for that is not offered (any more)


def pick(
    db,
    page: service.WidgetCalendar,
    view: View,
    *,
    user_id: str | None,
    asked_month: str | None,
    asked_day: str | None,
    asked_slot: str | None,
) -> Picker:
    now = service.now_ms(db)
    today = local_today(now, view.zone)
    first = (today.year, today.month)
    last = add_months(*first, MAX_MONTHS_AHEAD)
    # A slot names its own (local) day.
    day = day_of(asked_day) or day_of(asked_slot[:10] if asked_slot else None)
    wanted = month_of(asked_month) or ((day.year, day.month) if day else None)
    if wanted is not None:
        wanted = min(max(wanted, first), last)
        candidates = [wanted]
    else:
        candidates = [add_months(*first, i) for i in range(LOOKAHEAD_MONTHS)]
    for year, month in candidates:
        slots = service.month_slots(db, page, year, month=month, zone=view.zone, user_id=user_id)
        if slots:
            break
    else:
        year, month = candidates[0]
    if day is None or (day.year, day.month) != (year, month):
        day = min((date.fromisoformat(key) for key in slots), default=None)
    offered = slots.get(day.isoformat(), {}).get("slots", []) if day else []
    slot = asked_slot if asked_slot in offered else None
    return Picker(year, month, first, last, slots, day, slot, bool(asked_slot) and slot is None)


def weeks(view: View, picker: Picker, base: str, *, params: dict, today: date) -> list[list]:
    first_weekday = view.formats.first_week_day
    start = date(picker.year, picker.month, 1)
    days = monthrange(picker.year, picker.month)[1]
    lead = (start.weekday() - first_weekday) % 7
    cells: list = [None] * lead
    for number in range(1, days + 1):
        day = start + timedelta(days=number - 1)
        key = day.isoformat()
        available = key in picker.slots
        cells.append(
            {
                "number": number,
                "label": view.formats.long_date(day),
                "available": available,
                "selected": day == picker.day,
                "today": day == today,
                "url": url(base, params, "slots", date=key, month=None) if available else None,
            }
        )
    cells += [None] * (-len(cells) % 7)
    return [cells[i : i + 7] for i in range(0, len(cells), 7)]


def slot_label(view: View, iso: str, duration_ms: int) -> dict:
    start = datetime.fromisoformat(iso)
    end = (start + timedelta(milliseconds=duration_ms)).astimezone(zone(view.zone))
    return {
        "iso": iso,
        "time": view.formats.time(start),
        "range": f"{view.formats.time(start)}{DASH}{view.formats.time(end)}",
        "date": view.formats.heading_date(start.date()),
    }


def zone_choices(current: str) -> list[str]:
    return sorted(iana_names() | {current})


# --- the booking page (and the reschedule page, its twin) ---------------------------------


@dataclass
class Mode:
    """What the picker is for: a new booking (`book`) or moving a booking (`reschedule`)."""

    kind: str
    base: str  # the page's own path
    action: str  # where the form posts
    csrf_action: str
    found: service.Booked | None = None
    location: str | None = None  # `?location=` of a slug page


def booking_response(
    request: Request,
    page: service.WidgetCalendar,
    view: View,
    *,
    mode: Mode,
    user_id: str | None,
    asked_month: str | None,
    asked_day: str | None,
    asked_slot: str | None,
    status_code: int = 200,
    message: str | None = None,
    problems: forms.Problems | None = None,
    values: dict | None = None,
) -> Response:
    db = request.app.state.db
    try:
        picker = pick(
            db,
            page,
            view,
            user_id=user_id,
            asked_month=asked_month,
            asked_day=asked_day,
            asked_slot=asked_slot,
        )
    except ApiError as error:
        if isinstance(error, NotFound):
            return not_found(view)
        return message_page(
            view,
            503 if error.status_code >= 500 else 400,
            CALENDAR_PROBLEM,
            message=CALENDAR_PROBLEM,
        )
    if picker.slot_gone and message is None:
        message = view.t(SLOT_TAKEN)
    params = {
        "lang": view.language,
        "timezone": view.zone if view.zone_explicit else None,
        "userId": user_id,
        "location": mode.location,
    }
    month_text = f"{picker.year:04d}-{picker.month:02d}"
    day_params = {
        **params,
        "month": month_text,
        "date": picker.day.isoformat() if picker.day else None,
    }
    today = local_today(service.now_ms(db), view.zone)
    current = month_index(picker.year, picker.month)
    previous = add_months(picker.year, picker.month, -1)
    following = add_months(picker.year, picker.month, 1)
    duration_ms = page.rules.slot_duration_ms
    offered = picker.slots.get(picker.day.isoformat(), {}).get("slots", []) if picker.day else []
    day_slots = [
        {
            **slot_label(view, iso, duration_ms),
            "url": url(mode.base, day_params, "details", slot=iso),
            "chosen": iso == picker.slot,
        }
        for iso in offered
    ]
    chosen = slot_label(view, picker.slot, duration_ms) if picker.slot else None
    settings = page.settings
    cover = pages.web_url(settings.get("calendarCoverImage"))
    redirect_origin = pages.web_origin(settings.get("formSubmitRedirectURL"))
    current_time = None
    if mode.found is not None:
        appointment = mode.found.appointment
        start = datetime.fromtimestamp(appointment.start_ms / 1000, tz=zone(view.zone))
        current_time = {
            "date": view.formats.long_date(start.date()),
            "time": view.formats.time(start),
        }
    translated = {
        name: view.t(text, **values_)
        for name, (text, values_) in (problems or forms.Problems()).by_field.items()
    }
    body = pages.render(
        view.language,
        "booking.html",
        nonce=view.nonce,
        palette=pages.palette(settings.get("eventColor")),
        layout="neo" if settings.get("widgetType") == "default" else "classic",
        switch=language_links(view, mode.base, {**day_params, "slot": picker.slot}),
        mode=mode.kind,
        name=page.rules.name,
        description=settings.get("description") or "",
        cover=cover,
        duration=view.formats.duration(page.duration_minutes),
        zone=view.zone,
        zone_explicit=view.zone_explicit,
        zones=zone_choices(view.zone),
        base=mode.base,
        hidden_zone_fields={
            key: value
            for key, value in {**day_params, "timezone": None}.items()
            if value not in (None, "")
        },
        month_title=view.formats.month(picker.year, picker.month),
        previous_url=(
            url(mode.base, params, "calendar", month=f"{previous[0]:04d}-{previous[1]:02d}")
            if current > month_index(*picker.first)
            else None
        ),
        next_url=(
            url(mode.base, params, "calendar", month=f"{following[0]:04d}-{following[1]:02d}")
            if current < month_index(*picker.last)
            else None
        ),
        weekdays=view.formats.weekdays(),
        weeks=weeks(view, picker, mode.base, params=params, today=today),
        has_slots=bool(picker.slots),
        day_label=view.formats.heading_date(picker.day) if picker.day else None,
        day_slots=day_slots,
        chosen=chosen,
        change_url=url(mode.base, day_params, "slots"),
        action=mode.action,
        csrf=links.csrf_token(links.secret(db), mode.csrf_action),
        hidden={
            "lang": view.language,
            "timezone": view.zone,
            "userId": user_id,
            "slot": picker.slot,
            "location": mode.location,
        },
        values=values or {},
        errors=translated,
        message=message,
        guest_type=settings.get("guestType"),
        consent_label=settings.get("consentLabel"),
        sticky=bool(settings.get("stickyContact")),
        current_time=current_time,
        honeypot=forms.HONEYPOT,
        max_notes=forms.MAX_NOTES,
        max_guests=forms.MAX_GUESTS,
    )
    return pages.respond(
        body,
        status_code,
        nonce=view.nonce,
        image_origins=tuple(o for o in (pages.web_origin(cover),) if o),
        form_targets=(redirect_origin,) if redirect_origin and mode.kind == "book" else (),
    )


def show_booking(request: Request, page: service.WidgetCalendar, base: str, *, location=None):
    query = request.query_params
    view = view_of(
        request, query.get("lang"), bounded(query.get("timezone")), fallback=page.location_zone
    )
    try:
        user_id = page.user_choice(bounded(query.get("userId")))
    except service.Unavailable:
        return not_found(view)
    mode = Mode("book", base, f"/widget/booking/{page.id}", f"book:{page.id}", location=location)
    return booking_response(
        request,
        page,
        view,
        mode=mode,
        user_id=user_id,
        asked_month=bounded(query.get("month")),
        asked_day=bounded(query.get("date")),
        asked_slot=bounded(query.get("slot")),
    )


@router.get("/widget/booking/{calendarId}", include_in_schema=False)
def booking_page(request: Request, calendarId: str) -> Response:
    try:
        page = service.calendar_by_id(request.app.state.db, calendarId)
    except service.Unavailable:
        return not_found(plain_view(request))
    return show_booking(request, page, f"/widget/booking/{page.id}")


@router.get("/widget/bookings/{widgetSlug}", include_in_schema=False)
def booking_page_by_slug(request: Request, widgetSlug: str) -> Response:
    location = bounded(request.query_params.get("location"))
    try:
        page = service.calendar_by_widget_slug(request.app.state.db, widgetSlug, location)
    except service.Unavailable:
        return not_found(plain_view(request))
    return show_booking(request, page, f"/widget/bookings/{widgetSlug}", location=location)


@router.get("/widget/group/{groupKey}", include_in_schema=False)
def group_page(request: Request, groupKey: str) -> Response:
    location = bounded(request.query_params.get("location"))
    view = plain_view(request)
    try:
        group = service.group_page(request.app.state.db, groupKey, location)
    except service.Unavailable:
        return not_found(view)
    base = f"/widget/group/{groupKey}"
    params = {"lang": view.language, "location": location}
    calendars = [
        {
            "name": item.rules.name,
            "description": item.settings.get("description") or "",
            "duration": view.formats.duration(item.duration_minutes),
            "palette": pages.palette(item.settings.get("eventColor")),
            "url": url(f"/widget/booking/{item.id}", {"lang": view.language}),
        }
        for item in group.calendars
    ]
    body = pages.render(
        view.language,
        "group.html",
        nonce=view.nonce,
        palette=pages.palette(None),
        switch=language_links(view, base, params),
        name=group.name,
        description=group.description,
        calendars=calendars,
    )
    return pages.respond(body, nonce=view.nonce)


# --- the month's slots, as JSON -----------------------------------------------------------


@router.get("/widget/booking/{calendarId}/slots", include_in_schema=False)
def month_slots_json(request: Request, calendarId: str) -> Response:
    """The free-slots answer for one month (`?month=YYYY-MM`, default the current one) in
    `?timezone=` (default the location's)."""
    query = request.query_params
    try:
        page = service.calendar_by_id(request.app.state.db, calendarId)
    except service.Unavailable:
        raise NotFound("Calendar not found") from None
    zone_name = query.get("timezone") or page.location_zone
    if not is_known_zone(zone_name):
        raise BadRequest(["timezone must be a valid IANA time zone"])
    try:
        user_id = page.user_choice(bounded(query.get("userId")))
    except service.Unavailable:
        raise BadRequest(["userId is not a team member of this calendar"]) from None
    asked = query.get("month")
    if asked is None:
        today = local_today(service.now_ms(request.app.state.db), zone_name)
        year, month = today.year, today.month
    else:
        parsed = month_of(asked)
        if parsed is None or not 1900 <= parsed[0] < 9000:
            raise BadRequest(["month must be a month YYYY-MM"])
        year, month = parsed
    slots = service.month_slots(
        request.app.state.db, page, year, month=month, zone=zone_name, user_id=user_id
    )
    return JsonResponse(slots, headers={"Cache-Control": "no-store"})


# --- booking ------------------------------------------------------------------------------


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def too_many(view: View, retry_after: float) -> Response:
    response = message_page(view, 429, TOO_MANY, message=TOO_MANY)
    response.headers["Retry-After"] = str(max(1, int(retry_after + 0.999)))
    return response


async def posted_form(request: Request) -> dict[str, str] | Response:
    """The form of a post, or the page that refuses it (rate limit first: a refused post costs
    nothing more)."""
    retry = limiter_of(request.app.state).take(client_address(request))
    if retry is not None:
        return too_many(plain_view(request), retry)
    try:
        return forms.read_form(request.headers.get("content-type"), await request.body())
    except forms.FormRefused as refused:
        view = plain_view(request)
        return message_page(view, refused.status_code, refused.message, message=refused.message)


async def form_answer(
    request: Request, handle: Callable[[Request, str, dict[str, str]], Response], key: str
) -> Response:
    """A form post: read and checked in the event loop, answered by `handle` in a worker thread
    (it writes: never in the event loop)."""
    form = await posted_form(request)
    if isinstance(form, Response):
        return form
    return await run_in_threadpool(handle, request, key, form)


@router.post("/widget/booking/{calendarId}", include_in_schema=False)
async def book(request: Request, calendarId: str) -> Response:
    return await form_answer(request, book_from_form, calendarId)


def book_from_form(request: Request, calendar_id: str, form: dict[str, str]) -> Response:
    db = request.app.state.db
    try:
        page = service.calendar_by_id(db, calendar_id)
    except service.Unavailable:
        return not_found(plain_view(request, form.get("lang")))
    view = view_of(
        request, form.get("lang"), bounded(form.get("timezone")), fallback=page.location_zone
    )
    location = bounded(form.get("location"))
    base = f"/widget/booking/{page.id}"
    mode = Mode("book", base, base, f"book:{page.id}", location=location)
    if not links.valid_csrf(links.secret(db), mode.csrf_action, form.get("csrf_token")):
        return message_page(
            view, 403, CSRF_FAILED, message=CSRF_FAILED, back=url(base, {"lang": view.language})
        )
    if form.get(forms.HONEYPOT, ""):
        return message_page(view, 400, HONEYPOT_FILLED, message=HONEYPOT_FILLED)
    try:
        user_id = page.user_choice(bounded(form.get("userId")))
    except service.Unavailable:
        return not_found(view)
    slot = bounded(form.get("slot"))
    start_ms = forms.slot_start_ms(slot)
    again = {"user_id": user_id, "asked_month": None, "asked_day": slot[:10] if slot else None}
    if start_ms is None:
        return booking_response(
            request,
            page,
            view,
            mode=mode,
            **again,
            asked_slot=None,
            status_code=400,
            message=view.t(PICK_A_TIME),
        )
    problems = forms.Problems()
    person = forms.check_person(form, page.settings, page.location_country, problems=problems)
    values = {
        name: form.get(name, "")
        for name in (*forms.PERSON_FIELDS, "notes", "guests", "guestCount", "consent")
    }
    if problems:
        return booking_response(
            request,
            page,
            view,
            mode=mode,
            **again,
            asked_slot=slot,
            status_code=400,
            problems=problems,
            values=values,
        )
    booking = service.Booking(
        first_name=person.first_name,
        last_name=person.last_name,
        email=person.email,
        phone=person.phone,
        notes=person.notes,
        guests=person.guests,
        guest_count=person.guest_count,
        start_ms=start_ms,
        user_id=user_id,
        visitor_zone=view.zone,
    )
    try:
        appointment = service.book(db, page, booking)
    except service.ContactRefused as refused:
        problems.add(refused.field, refused.message)
        return booking_response(
            request,
            page,
            view,
            mode=mode,
            **again,
            asked_slot=slot,
            status_code=400,
            problems=problems,
            values=values,
        )
    except NotFound:
        return not_found(view)
    except BadRequest as error:
        return booking_response(
            request,
            page,
            view,
            mode=mode,
            **again,
            asked_slot=None,
            status_code=409,
            message=refusal(view, error),
            values=values,
        )
    redirect_to = pages.web_url(page.settings.get("formSubmitRedirectURL"))
    if page.settings.get("formSubmitType") == "RedirectURL" and redirect_to:
        return see_other(redirect_to)
    token = links.sign_link(
        links.secret(db),
        links.VIEW,
        appointment.id,
        expiry_s=links.link_expiry_s(links.VIEW, appointment.start_ms, appointment.end_ms),
    )
    return see_other(
        url(
            f"/widget/appointment/{token}",
            {"lang": view.language, "timezone": view.zone},
            done="booked",
        )
    )


def refusal(view: View, error: ApiError) -> str:
    """What the booking path's refusal of a time says on the page."""
    return view.t(SLOT_TAKEN) if service.is_slot_taken(error) else service.sentence(error)


def see_other(location: str) -> Response:
    return RedirectResponse(
        location,
        status_code=303,
        headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"},
    )


# --- an appointment's links ---------------------------------------------------------------


def linked(request: Request, purpose: str, token: str, *, asked_lang: str | None):
    """The appointment a link names, or the page that refuses it."""
    db = request.app.state.db
    try:
        link = links.check_link(links.secret(db), purpose, token, now_ms=service.now_ms(db))
        return service.booked(db, link.appointment_id)
    except (links.BadLink, service.Unavailable):
        return not_found(plain_view(request, asked_lang))
    except links.ExpiredLink:
        view = plain_view(request, asked_lang)
        return message_page(view, 410, LINK_EXPIRED, message=LINK_EXPIRED)


def zone_for(found: service.Booked, asked: str | None) -> str:
    if asked and is_known_zone(asked):
        return asked
    contact_zone = found.contact.timezone if found.contact is not None else None
    return contact_zone if contact_zone and is_known_zone(contact_zone) else found.location_zone


def token_for(db, purpose: str, found: service.Booked) -> str:
    appointment = found.appointment
    expiry = links.link_expiry_s(purpose, appointment.start_ms, appointment.end_ms)
    return links.sign_link(links.secret(db), purpose, appointment.id, expiry_s=expiry)


@router.get("/widget/appointment/{token}", include_in_schema=False)
def appointment_page(request: Request, token: str) -> Response:
    query = request.query_params
    found = linked(request, links.VIEW, token, asked_lang=query.get("lang"))
    if isinstance(found, Response):
        return found
    db = request.app.state.db
    asked_zone = bounded(query.get("timezone"))
    view = view_of(request, query.get("lang"), None, fallback=zone_for(found, asked_zone))
    appointment = found.appointment
    params = {"lang": view.language, "timezone": view.zone}
    start = datetime.fromtimestamp(appointment.start_ms / 1000, tz=zone(view.zone))
    end = datetime.fromtimestamp(appointment.end_ms / 1000, tz=zone(view.zone))
    settings = found.calendar.settings if found.calendar is not None else {}
    done = query.get("done")
    body = pages.render(
        view.language,
        "appointment.html",
        nonce=view.nonce,
        palette=pages.palette(settings.get("eventColor")),
        switch=language_links(view, f"/widget/appointment/{token}", {**params, "done": done}),
        name=found.calendar_name,
        done=done if done in ("booked", "rescheduled", "cancelled") else None,
        thanks=settings.get("formSubmitThanksMessage") or "",
        status=appointment.status,
        date=view.formats.heading_date(start.date()),
        time_range=f"{view.formats.time(start)}{DASH}{view.formats.time(end)}",
        zone=view.zone,
        ics_url=f"/widget/ics/{token_for(db, links.ICS, found)}",
        reschedule_url=(
            url(f"/widget/reschedule/{token_for(db, links.RESCHEDULE, found)}", params)
            if found.may("allowReschedule")
            else None
        ),
        cancel_url=(
            url(f"/widget/cancel/{token_for(db, links.CANCEL, found)}", params)
            if found.may("allowCancellation")
            else None
        ),
        book_again_url=(
            url(f"/widget/booking/{found.calendar.id}", params) if found.calendar else None
        ),
    )
    return pages.respond(body, nonce=view.nonce)


@router.get("/widget/ics/{token}", include_in_schema=False)
def appointment_ics_file(request: Request, token: str) -> Response:
    found = linked(request, links.ICS, token, asked_lang=request.query_params.get("lang"))
    if isinstance(found, Response):
        return found
    appointment = found.appointment
    contact = found.contact
    name = " ".join(p for p in (contact.first_name, contact.last_name) if p) if contact else None
    content = appointment_ics(
        appointment_id=appointment.id,
        start_ms=appointment.start_ms,
        end_ms=appointment.end_ms,
        status=appointment.status,
        summary=found.calendar_name or appointment.title,
        description=found.calendar_description,
        address=appointment.details.get("address"),
        attendee_email=contact.email if contact is not None else None,
        attendee_name=name or None,
        host=(request.url.hostname or "opencalendars")[:MAX_PARAM],
        now_ms=found.now_ms,
    )
    return Response(
        content,
        media_type="text/calendar; charset=utf-8",
        headers={
            "Content-Disposition": 'attachment; filename="appointment.ics"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
        },
    )


def reschedule_mode(token: str, found: service.Booked) -> Mode:
    base = f"/widget/reschedule/{token}"
    return Mode("reschedule", base, base, f"reschedule:{found.appointment.id}", found=found)


@router.get("/widget/reschedule/{token}", include_in_schema=False)
def reschedule_page(request: Request, token: str) -> Response:
    query = request.query_params
    found = linked(request, links.RESCHEDULE, token, asked_lang=query.get("lang"))
    if isinstance(found, Response):
        return found
    asked_zone = bounded(query.get("timezone"))
    view = view_of(request, query.get("lang"), asked_zone, fallback=zone_for(found, None))
    if not found.may("allowReschedule") or found.calendar is None:
        return message_page(view, 409, NO_RESCHEDULE, message=NO_RESCHEDULE)
    return booking_response(
        request,
        found.calendar,
        view,
        mode=reschedule_mode(token, found),
        user_id=None,
        asked_month=bounded(query.get("month")),
        asked_day=bounded(query.get("date")),
        asked_slot=bounded(query.get("slot")),
    )


@router.post("/widget/reschedule/{token}", include_in_schema=False)
async def reschedule(request: Request, token: str) -> Response:
    return await form_answer(request, reschedule_from_form, token)


def reschedule_from_form(request: Request, token: str, form: dict[str, str]) -> Response:
    db = request.app.state.db
    found = linked(request, links.RESCHEDULE, token, asked_lang=form.get("lang"))
    if isinstance(found, Response):
        return found
    view = view_of(
        request, form.get("lang"), bounded(form.get("timezone")), fallback=zone_for(found, None)
    )
    mode = reschedule_mode(token, found)
    if not links.valid_csrf(links.secret(db), mode.csrf_action, form.get("csrf_token")):
        return message_page(
            view,
            403,
            CSRF_FAILED,
            message=CSRF_FAILED,
            back=url(mode.base, {"lang": view.language}),
        )
    if not found.may("allowReschedule") or found.calendar is None:
        return message_page(view, 409, NO_RESCHEDULE, message=NO_RESCHEDULE)
    slot = bounded(form.get("slot"))
    start_ms = forms.slot_start_ms(slot)
    again = {"user_id": None, "asked_month": None, "asked_day": slot[:10] if slot else None}
    if start_ms is None:
        return booking_response(
            request,
            found.calendar,
            view,
            mode=mode,
            **again,
            asked_slot=None,
            status_code=400,
            message=view.t(PICK_A_TIME),
        )
    try:
        service.reschedule(db, found, start_ms)
    except NotFound:
        return not_found(view)
    except BadRequest as error:
        return booking_response(
            request,
            found.calendar,
            view,
            mode=mode,
            **again,
            asked_slot=None,
            status_code=409,
            message=refusal(view, error),
        )
    return see_other(
        url(
            f"/widget/appointment/{token_for(db, links.VIEW, found)}",
            {"lang": view.language, "timezone": view.zone},
            done="rescheduled",
        )
    )


@router.get("/widget/cancel/{token}", include_in_schema=False)
def cancel_page(request: Request, token: str) -> Response:
    query = request.query_params
    found = linked(request, links.CANCEL, token, asked_lang=query.get("lang"))
    if isinstance(found, Response):
        return found
    return cancel_answer(
        request,
        token,
        found,
        asked_lang=query.get("lang"),
        asked_zone=bounded(query.get("timezone")),
    )


def cancel_answer(request, token, found, *, asked_lang, asked_zone, status_code=200) -> Response:
    db = request.app.state.db
    view = view_of(request, asked_lang, None, fallback=zone_for(found, asked_zone))
    if not found.may("allowCancellation"):
        return message_page(view, 409, NO_CANCEL, message=NO_CANCEL)
    appointment = found.appointment
    start = datetime.fromtimestamp(appointment.start_ms / 1000, tz=zone(view.zone))
    end = datetime.fromtimestamp(appointment.end_ms / 1000, tz=zone(view.zone))
    params = {"lang": view.language, "timezone": view.zone}
    base = f"/widget/cancel/{token}"
    body = pages.render(
        view.language,
        "cancel.html",
        nonce=view.nonce,
        palette=pages.palette(
            found.calendar.settings.get("eventColor") if found.calendar else None
        ),
        switch=language_links(view, base, params),
        name=found.calendar_name,
        date=view.formats.heading_date(start.date()),
        time_range=f"{view.formats.time(start)}{DASH}{view.formats.time(end)}",
        zone=view.zone,
        action=base,
        csrf=links.csrf_token(links.secret(db), f"cancel:{appointment.id}"),
        hidden={"lang": view.language, "timezone": view.zone},
        keep_url=url(f"/widget/appointment/{token_for(db, links.VIEW, found)}", params),
    )
    return pages.respond(body, status_code, nonce=view.nonce)


@router.post("/widget/cancel/{token}", include_in_schema=False)
async def cancel(request: Request, token: str) -> Response:
    return await form_answer(request, cancel_from_form, token)


def cancel_from_form(request: Request, token: str, form: dict[str, str]) -> Response:
    db = request.app.state.db
    found = linked(request, links.CANCEL, token, asked_lang=form.get("lang"))
    if isinstance(found, Response):
        return found
    view = view_of(
        request, form.get("lang"), bounded(form.get("timezone")), fallback=zone_for(found, None)
    )
    if not links.valid_csrf(
        links.secret(db), f"cancel:{found.appointment.id}", form.get("csrf_token")
    ):
        return message_page(
            view,
            403,
            CSRF_FAILED,
            message=CSRF_FAILED,
            back=url(f"/widget/cancel/{token}", {"lang": view.language}),
        )
    if not found.may("allowCancellation"):
        return message_page(view, 409, NO_CANCEL, message=NO_CANCEL)
    try:
        service.cancel(db, found)
    except NotFound:
        return not_found(view)
    return see_other(
        url(
            f"/widget/appointment/{token_for(db, links.VIEW, found)}",
            {"lang": view.language, "timezone": view.zone},
            done="cancelled",
        )
    )


# --- embedding and static files -----------------------------------------------------------

EMBED_SCRIPT = """(function () {
  var script = document.currentScript;
  if (!script) { return; }
  var origin = new URL(script.src).origin;
  var frame = document.createElement("iframe");
  var lang = script.getAttribute("data-lang");
  var src = origin + "/widget/booking/%(calendar)s";
  if (lang === "en" || lang === "es") { src += "?lang=" + lang; }
  frame.src = src;
  frame.title = script.getAttribute("data-title") || %(title)s;
  frame.loading = "lazy";
  frame.style.width = "100%%";
  frame.style.maxWidth = "960px";
  frame.style.minHeight = "640px";
  frame.style.border = "0";
  frame.setAttribute("allow", "clipboard-write");
  script.parentNode.insertBefore(frame, script.nextSibling);
  window.addEventListener("message", function (event) {
    if (event.origin !== origin || event.source !== frame.contentWindow) { return; }
    var data = event.data;
    if (data && data.type === "opencalendars:height" && typeof data.height === "number") {
      frame.style.height = Math.min(Math.max(data.height, 320), 10000) + "px";
    }
  });
})();
"""


@router.get("/widget/embed/{calendarId}.js", include_in_schema=False)
def embed_script(request: Request, calendarId: str) -> Response:
    headers = {
        "Cache-Control": "public, max-age=300",
        "X-Content-Type-Options": "nosniff",
        "Cross-Origin-Resource-Policy": "cross-origin",
    }
    try:
        page = service.calendar_by_id(request.app.state.db, calendarId)
    except service.Unavailable:
        return Response(
            "/* OpenCalendars: no public booking page for this calendar */\n",
            status_code=404,
            media_type="text/javascript; charset=utf-8",
            headers=headers,
        )
    script = EMBED_SCRIPT % {
        "calendar": page.id,
        "title": orjson.dumps(page.rules.name).decode().replace("<", "\\u003c"),
    }
    return Response(script, media_type="text/javascript; charset=utf-8", headers=headers)


@router.get("/widget/static/{name}", include_in_schema=False)
def static(request: Request, name: str) -> Response:
    try:
        return pages.static_response(name, request.headers.get("if-none-match"))
    except KeyError:
        return Response("Not found\n", status_code=404, media_type="text/plain; charset=utf-8")
