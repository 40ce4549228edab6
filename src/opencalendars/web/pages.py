"""The consent page's HTML: one small self-contained document (inline CSS, no script, nothing
loaded from anywhere), every value from a request or the database escaped."""

import html
import re
from collections.abc import Iterable, Mapping
from urllib.parse import urlsplit

from starlette.responses import HTMLResponse

from opencalendars.marketplace.service import ConsentRequest, ConsentTarget

SIGN_IN_PATH = "/oauth/signin"
SIGN_OUT_PATH = "/oauth/signout"

_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*")
_HOST_PORT = re.compile(r"[A-Za-z0-9.-]+(:[0-9]{1,5})?|\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?")

STYLE = """
*{box-sizing:border-box}
body{margin:0;min-height:100vh;background:#f3f4f6;color:#111827;
font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:560px;margin:0 auto;padding:48px 16px}
.card{background:#fff;border:1px solid #e5e7eb;border-radius:12px;
box-shadow:0 1px 3px rgba(0,0,0,.06);padding:28px 32px}
.brand{font-size:12px;font-weight:600;letter-spacing:.08em;text-transform:uppercase;
color:#6b7280;margin:0 0 12px}
h1{font-size:22px;line-height:1.3;margin:0 0 8px}
p{margin:0 0 16px;color:#374151}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:13px}
.scopes{display:flex;flex-wrap:wrap;gap:6px;margin:0 0 20px;padding:0;list-style:none}
.scopes li{background:#eef2ff;color:#3730a3;border-radius:999px;padding:2px 10px}
fieldset{border:0;margin:0 0 20px;padding:0}
legend{font-weight:600;margin:0 0 8px;padding:0}
.choice{display:flex;align-items:flex-start;gap:12px;border:1px solid #e5e7eb;
border-radius:8px;padding:10px 12px;margin:0 0 8px;cursor:pointer}
.choice:hover{border-color:#a5b4fc;background:#f9fafb}
.choice:has(input:checked){border-color:#6366f1;background:#eef2ff}
.choice input{margin:4px 0 0}
.choice .name{font-weight:600}
.choice .meta{display:block;color:#6b7280;font-size:13px}
.badge{display:inline-block;margin-left:8px;font-size:12px;font-weight:600;color:#065f46;
background:#d1fae5;border-radius:999px;padding:0 8px;vertical-align:1px}
.kind{display:inline-block;margin-left:8px;font-size:12px;color:#374151;
background:#f3f4f6;border-radius:999px;padding:0 8px;vertical-align:1px}
.note{font-size:13px;color:#6b7280}
.uri{display:block;margin-top:2px;color:#374151;word-break:break-all}
.empty{border:1px dashed #d1d5db;border-radius:8px;padding:14px;color:#6b7280}
.error{background:#fef2f2;border:1px solid #fecaca;color:#991b1b;border-radius:8px;
padding:10px 12px;margin:0 0 16px}
label.field{display:block;font-weight:600;margin:0 0 6px}
input[type=password]{width:100%;font:inherit;padding:9px 12px;border:1px solid #d1d5db;
border-radius:8px;margin:0 0 16px}
input[type=password]:focus{outline:2px solid #6366f1;outline-offset:1px;border-color:#6366f1}
.actions{display:flex;gap:10px;justify-content:flex-end}
button{font:inherit;font-weight:600;border-radius:8px;padding:9px 18px;cursor:pointer;
border:1px solid transparent}
button.primary{background:#4f46e5;color:#fff}
button.primary:hover{background:#4338ca}
button.primary:disabled{background:#c7d2fe;cursor:not-allowed}
button.secondary{background:#fff;color:#374151;border-color:#d1d5db}
button.secondary:hover{background:#f9fafb}
button.link{background:none;border:0;padding:0;color:#4f46e5;font-weight:400;font-size:13px}
footer{display:flex;justify-content:space-between;align-items:center;margin-top:20px;
padding-top:14px;border-top:1px solid #f3f4f6;font-size:13px;color:#6b7280}
footer form{margin:0}
"""


def e(value: object) -> str:
    return html.escape(str(value), quote=True)


def document(title: str, body: str) -> str:
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="robots" content="noindex">'
        f"<title>{e(title)} · OpenCalendars</title><style>{STYLE}</style></head>"
        f'<body><main><div class="card"><p class="brand">OpenCalendars</p>{body}</div>'
        "</main></body></html>\n"
    )


def error_banner(message: str | None) -> str:
    return f'<p class="error" role="alert">{e(message)}</p>' if message else ""


def hidden(fields: Mapping[str, str | None]) -> str:
    return "".join(
        f'<input type="hidden" name="{e(name)}" value="{e(value)}">'
        for name, value in fields.items()
        if value is not None
    )


def form_action_sources(redirect_uri: str | None) -> list[str]:
    """The CSP `form-action` sources a page needs beyond 'self': Chromium checks the redirect
    that answers a form too, so Allow and Cancel need the (registered) redirect URI's origin.
    Anything that does not read as a plain scheme and host is left out, never pasted in."""
    if not redirect_uri:
        return []
    try:
        parts = urlsplit(redirect_uri)
        parts.port  # noqa: B018 (a port out of range raises)
    except ValueError:
        return []
    if not _SCHEME.fullmatch(parts.scheme):
        return []
    scheme = parts.scheme.lower()
    if scheme in ("http", "https"):
        if not _HOST_PORT.fullmatch(parts.netloc):
            return []
        return [f"{scheme}://{parts.netloc}"]
    return [f"{scheme}:"]  # an app's own scheme (a native app's redirect)


def respond(body: str, status_code: int = 200, form_targets: Iterable[str] = ()) -> HTMLResponse:
    form_action = " ".join(["'self'", *form_targets])
    return HTMLResponse(
        body,
        status_code=status_code,
        headers={
            "Cache-Control": "no-store",
            "Pragma": "no-cache",
            "X-Frame-Options": "DENY",
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
            "Content-Security-Policy": (
                "default-src 'none'; style-src 'unsafe-inline'; "
                f"form-action {form_action}; frame-ancestors 'none'; base-uri 'none'"
            ),
        },
    )


def error_page(message: str, title: str = "This request cannot be answered") -> str:
    """A refusal: the message only, no link anywhere (least of all to the client's URI)."""
    return document(
        title,
        f"<h1>{e(title)}</h1>{error_banner(message)}"
        '<p class="note">Nothing was installed. If an app sent you here, tell its developer: '
        "the authorization request must name an app's client_id, one of its registered "
        "redirect URIs and only scopes it has.</p>",
    )


def unavailable_page() -> str:
    return document(
        "Consent unavailable",
        "<h1>Consent is unavailable</h1>"
        "<p>Apps cannot be installed through this page: the server has no admin key "
        "(<code>OPENCALENDARS_ADMIN_KEY</code>), so no operator can sign in to consent.</p>",
    )


def sign_in_page(app_name: str | None, next_url: str, message: str | None = None) -> str:
    asking = (
        f"<p><strong>{e(app_name)}</strong> asks to be installed. Only the operator of this "
        "server may consent: sign in with its admin key.</p>"
        if app_name
        else "<p>Only the operator of this server may consent: sign in with its admin key.</p>"
    )
    return document(
        "Sign in",
        "<h1>Sign in to continue</h1>"
        f"{asking}{error_banner(message)}"
        f'<form method="post" action="{SIGN_IN_PATH}">'
        f"{hidden({'next': next_url})}"
        '<label class="field" for="admin_key">Admin key</label>'
        '<input type="password" id="admin_key" name="admin_key" required autofocus '
        'autocomplete="off" spellcheck="false">'
        '<p class="note">The value of <code>OPENCALENDARS_ADMIN_KEY</code>. '
        "The session lasts 12 hours.</p>"
        '<div class="actions"><button type="submit" class="primary">Sign in</button></div>'
        "</form>",
    )


def _target(target: ConsentTarget, checked: bool, with_kind: bool) -> str:
    value = f"{target.kind}:{target.id}"
    meta = [f'<span class="mono">{e(target.id)}</span>']
    if target.company_name:
        meta.append(f"in {e(target.company_name)}")
    badges = f'<span class="kind">{e(target.kind)}</span>' if with_kind else ""
    if target.installed:
        badges += '<span class="badge">Installed</span>'
    return (
        '<label class="choice">'
        f'<input type="radio" name="target" value="{e(value)}" required'
        f"{' checked' if checked else ''}>"
        f'<span><span class="name">{e(target.name)}</span>{badges}'
        f'<span class="meta">{" · ".join(meta)}</span></span>'
        "</label>"
    )


def consent_page(
    asked: ConsentRequest,
    targets: list[ConsentTarget],
    fields: Mapping[str, str | None],
    *,
    csrf: str,
    path: str,
    next_url: str,
    chosen: str | None = None,
    message: str | None = None,
) -> str:
    agency = asked.distribution == "agency"
    what = "an agency (company) or one of its locations" if agency else "a location"
    legend = "Choose a company or a location" if agency else "Choose a location"
    if targets:
        choices = "".join(
            _target(target, chosen == f"{target.kind}:{target.id}", agency) for target in targets
        )
    else:
        nothing = "companies" if agency else "locations"
        choices = (
            f'<p class="empty">There are no {nothing} to install to yet: the operator makes '
            f"them with <code>POST /admin/{nothing}</code>.</p>"
        )
    scopes = "".join(f"<li><code>{e(scope)}</code></li>" for scope in asked.scopes)
    return document(
        f"Install {asked.app_name}",
        f"<h1>Install {e(asked.app_name)}</h1>"
        f"<p><strong>{e(asked.app_name)}</strong> asks for access to {what} "
        "with these scopes:</p>"
        f'<ul class="scopes">{scopes}</ul>'
        f"{error_banner(message)}"
        f'<form method="post" action="{e(path)}">'
        f"{hidden({**fields, 'csrf_token': csrf})}"
        f"<fieldset><legend>{legend}</legend>{choices}</fieldset>"
        '<p class="note">Allow or Cancel sends you back to the app at'
        f'<span class="mono uri">{e(asked.redirect_uri)}</span></p>'
        '<div class="actions">'
        '<button type="submit" name="action" value="cancel" class="secondary" formnovalidate>'
        "Cancel</button>"
        '<button type="submit" name="action" value="allow" class="primary"'
        f"{'' if targets else ' disabled'}>Allow</button>"
        "</div></form>"
        "<footer><span>Signed in as the operator</span>"
        f'<form method="post" action="{SIGN_OUT_PATH}">'
        f"{hidden({'next': next_url, 'csrf_token': csrf})}"
        '<button type="submit" class="link">Sign out</button></form></footer>',
    )
