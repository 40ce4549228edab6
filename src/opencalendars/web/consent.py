"""The OAuth consent page: `/oauth/chooselocation` and `/v2/oauth/chooselocation` (the SDK
builds `{MARKETPLACE_URL}/v2/oauth/chooselocation?...`), and the operator's sign-in to it.

The authorization request (`response_type=code`, `client_id`, `redirect_uri`, `scope`, `state`)
is checked before anything else (`service.consent_request`): an unknown client, a redirect URI
the app does not have or a scope it lacks is an error page, never a redirect. Only an operator
signed in with the admin key may consent (web/session.py), through a form carrying a CSRF token.
Allow installs (`service.consent`: the install and its INSTALL webhook) and redirects to
`redirect_uri?code=...&state=...`; Cancel redirects with `error=access_denied`.
"""

import hmac
from collections.abc import Callable
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from opencalendars.errors import ApiError
from opencalendars.marketplace import service
from opencalendars.web import pages, session

router = APIRouter()

CONSENT_PATHS = ("/oauth/chooselocation", "/v2/oauth/chooselocation")
OAUTH_FIELDS = ("response_type", "client_id", "redirect_uri", "scope", "state")
# A consent form is a few hundred bytes; the app refuses bodies over 1 MiB before this.
MAX_FORM_BYTES = 64 * 1024
MAX_FORM_FIELDS = 32
DENIED = "The operator denied the request"


class Refusal(Exception):
    """An answer other than the page asked for: an error page with its status."""

    def __init__(self, status_code: int, message: str):
        super().__init__(message)
        self.status_code = status_code
        self.message = message

    def response(self) -> Response:
        if self.status_code == 503:
            return pages.respond(pages.unavailable_page(), 503)
        return pages.respond(pages.error_page(self.message), self.status_code)


Values = Callable[[str], list[str]]


def single(values: Values, name: str) -> str | None:
    """A field given at most once (RFC 6749 3.1); empty reads as absent."""
    given = values(name)
    if len(given) > 1:
        raise Refusal(400, f"{name} must not be given more than once.")
    return given[0] if given and given[0] != "" else None


def oauth_fields(values: Values) -> dict[str, str | None]:
    return {name: single(values, name) for name in OAUTH_FIELDS}


def consent_request(request: Request, fields: dict[str, str | None]) -> service.ConsentRequest:
    try:
        return service.consent_request(
            request.app.state.db,
            response_type=fields["response_type"],
            client_id=fields["client_id"],
            redirect_uri=fields["redirect_uri"],
            scope=fields["scope"],
        )
    except service.ConsentRefused as refused:
        raise Refusal(400, str(refused)) from None


def admin_key(request: Request) -> str:
    key = request.app.state.settings.admin_key
    if key is None:
        raise Refusal(503, "The server has no admin key.")
    return key


def signed_in(request: Request, key: str) -> str | None:
    """The request's session cookie when it is a live one."""
    value = request.cookies.get(session.COOKIE)
    return value if session.valid_session(key, value) else None


def consent_url(path: str, fields: dict[str, str | None]) -> str:
    """Where the sign-in goes back to: this consent request, on the path it came in by."""
    query = urlencode({name: value for name, value in fields.items() if value is not None})
    return f"{path}?{query}" if query else path


def safe_next(value: str | None) -> str | None:
    """A sign-in's way back, only ever to the consent page of this server (no open redirect)."""
    if not value or any(ord(char) < 0x20 or char in "\\\x7f" for char in value):
        return None
    if not value.startswith("/") or value.startswith("//"):
        return None
    try:
        parts = urlsplit(value)
    except ValueError:
        return None
    if parts.scheme or parts.netloc or parts.path not in CONSENT_PATHS:
        return None
    return urlunsplit(("", "", parts.path, parts.query, ""))


def route_path(request: Request) -> str:
    """The consent path the request came in by (the route's template: nothing reflected)."""
    path = getattr(request.scope.get("route"), "path", None)
    return path if path in CONSENT_PATHS else CONSENT_PATHS[0]


def is_https(request: Request) -> bool:
    return request.url.scheme == "https"


def redirect(url: str) -> Response:
    return RedirectResponse(
        url,
        status_code=303,
        headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"},
    )


def to_client(redirect_uri: str, params: dict[str, str | None]) -> Response:
    """A redirect to a registered redirect URI with `params` added to its own query."""
    parts = urlsplit(redirect_uri)
    added = urlencode({name: value for name, value in params.items() if value is not None})
    query = f"{parts.query}&{added}" if parts.query else added
    return redirect(urlunsplit((parts.scheme, parts.netloc, parts.path, query, "")))


async def read_form(request: Request) -> dict[str, list[str]]:
    """An `application/x-www-form-urlencoded` body, field by field."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        raise Refusal(415, "The form must be sent as application/x-www-form-urlencoded.")
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        raise Refusal(413, "The form is too large.")
    try:
        form = parse_qs(
            body.decode("utf-8"),
            keep_blank_values=True,
            max_num_fields=MAX_FORM_FIELDS,
            errors="strict",
        )
    except (UnicodeDecodeError, ValueError):
        raise Refusal(400, "The form cannot be read.") from None
    if any("\x00" in text for name, values in form.items() for text in (name, *values)):
        raise Refusal(400, "The form must not contain NUL characters.")
    return form


def form_values(form: dict[str, list[str]]) -> Values:
    return lambda name: form.get(name, [])


def message_of(error: ApiError) -> str:
    return " ".join(error.message) if isinstance(error.message, list) else str(error.message)


# --- the consent page ---------------------------------------------------------------------


def consent_answer(
    request: Request,
    asked: service.ConsentRequest,
    fields: dict[str, str | None],
    *,
    key: str,
    cookie: str,
    status_code: int = 200,
    chosen: str | None = None,
    message: str | None = None,
) -> Response:
    path = route_path(request)
    body = pages.consent_page(
        asked,
        service.consent_targets(request.app.state.db, asked),
        fields,
        csrf=session.csrf_token(key, cookie),
        path=path,
        next_url=consent_url(path, fields),
        chosen=chosen,
        message=message,
    )
    return pages.respond(body, status_code, pages.form_action_sources(asked.redirect_uri))


def sign_in_answer(
    request: Request,
    asked: service.ConsentRequest | None,
    next_url: str,
    *,
    status_code: int = 200,
    message: str | None = None,
) -> Response:
    app_name = asked.app_name if asked is not None else None
    return pages.respond(pages.sign_in_page(app_name, next_url, message), status_code)


@router.get("/oauth/chooselocation", include_in_schema=False)
@router.get("/v2/oauth/chooselocation", include_in_schema=False)
def show_consent(request: Request) -> Response:
    """Sync: its reads run in a worker thread."""
    try:
        fields = oauth_fields(request.query_params.getlist)
        asked = consent_request(request, fields)
        key = admin_key(request)
    except Refusal as refusal:
        return refusal.response()
    cookie = signed_in(request, key)
    if cookie is None:
        return sign_in_answer(request, asked, consent_url(route_path(request), fields))
    return consent_answer(request, asked, fields, key=key, cookie=cookie)


@router.post("/oauth/chooselocation", include_in_schema=False)
@router.post("/v2/oauth/chooselocation", include_in_schema=False)
async def answer_consent(request: Request) -> Response:
    try:
        form = await read_form(request)
    except Refusal as refusal:
        return refusal.response()
    # The install writes: never in the event loop.
    return await run_in_threadpool(decide, request, form)


def decide(request: Request, form: dict[str, list[str]]) -> Response:
    values = form_values(form)
    try:
        fields = oauth_fields(values)
        asked = consent_request(request, fields)
        key = admin_key(request)
        action = single(values, "action")
        target = single(values, "target")
        csrf = single(values, "csrf_token")
    except Refusal as refusal:
        return refusal.response()
    cookie = signed_in(request, key)
    if cookie is None:
        return sign_in_answer(
            request,
            asked,
            consent_url(route_path(request), fields),
            status_code=401,
            message="Your session has ended: sign in again to answer this request.",
        )
    if not session.valid_csrf(key, cookie, csrf):
        return Refusal(
            403, "This form did not come from this consent page, or it has expired."
        ).response()
    if action == "cancel":
        return to_client(
            asked.redirect_uri,
            {"error": "access_denied", "error_description": DENIED, "state": fields["state"]},
        )
    if action != "allow":
        return Refusal(400, "The form must be answered with Allow or Cancel.").response()
    kind, _, target_id = (target or "").partition(":")
    if not target_id:
        return consent_answer(
            request,
            asked,
            fields,
            key=key,
            cookie=cookie,
            status_code=400,
            message="Choose where to install the app.",
        )
    try:
        code = service.consent(request.app.state.db, asked, kind, target_id=target_id)
    except ApiError as error:
        return consent_answer(
            request,
            asked,
            fields,
            key=key,
            cookie=cookie,
            status_code=400,
            chosen=target,
            message=message_of(error),
        )
    return to_client(asked.redirect_uri, {"code": code, "state": fields["state"]})


# --- signing in and out -------------------------------------------------------------------


def request_of_next(request: Request, next_url: str) -> service.ConsentRequest | None:
    """The consent request a sign-in goes back to, to name its app again; None if refused."""
    query = parse_qs(urlsplit(next_url).query, keep_blank_values=True)
    try:
        return consent_request(request, oauth_fields(lambda name: query.get(name, [])))
    except Refusal:
        return None


@router.post(pages.SIGN_IN_PATH, include_in_schema=False)
async def sign_in(request: Request) -> Response:
    try:
        form = await read_form(request)
        values = form_values(form)
        given = single(values, "admin_key")
        next_url = safe_next(single(values, "next"))
        key = admin_key(request)
        if next_url is None:
            raise Refusal(400, "Sign in from an app's consent page.")
    except Refusal as refusal:
        return refusal.response()
    if given is None or not hmac.compare_digest(given.encode(), key.encode()):
        asked = await run_in_threadpool(request_of_next, request, next_url)
        return sign_in_answer(
            request, asked, next_url, status_code=401, message="That is not the admin key."
        )
    answer = redirect(next_url)
    session.set_cookie(answer, session.new_session(key), is_https(request))
    return answer


@router.post(pages.SIGN_OUT_PATH, include_in_schema=False)
async def sign_out(request: Request) -> Response:
    try:
        form = await read_form(request)
        values = form_values(form)
        next_url = safe_next(single(values, "next"))
        csrf = single(values, "csrf_token")
        key = admin_key(request)
    except Refusal as refusal:
        return refusal.response()
    cookie = signed_in(request, key)
    if cookie is not None and not session.valid_csrf(key, cookie, csrf):
        return Refusal(403, "This form did not come from this page, or it has expired.").response()
    if next_url is not None:
        answer = redirect(next_url)
    else:
        answer = pages.respond(
            pages.document("Signed out", "<h1>Signed out</h1><p>You are signed out.</p>")
        )
    session.clear_cookie(answer, is_https(request))
    return answer
