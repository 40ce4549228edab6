"""The widget's HTML: Jinja2 templates (templates/, autoescaped), one environment per language
with its catalog installed, the static files (static/), and the security headers.

Every page may be framed (`frame-ancestors *`): the widget is meant to be embedded in a
business's own site (docs/widget.md, "Embedding"). Everything else stays strict: scripts and
styles only from this server (the one inline style, the calendar's colour, carries a nonce),
images from this server and the cover image's own origin, forms posting only here (and to the
calendar's redirect URL's origin, which Chromium checks when a form's answer redirects), no
referrer (links carry signed tokens), nothing cached.
"""

import hashlib
import re
import secrets
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.responses import HTMLResponse, Response

from opencalendars.widget.i18n import LANGUAGES, translations

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
STATIC_TYPES = {
    "widget.css": "text/css; charset=utf-8",
    "widget.js": "text/javascript; charset=utf-8",
    "icon.svg": "image/svg+xml",
}
DEFAULT_COLOR = "#039BE5"
_HEX = re.compile(r"#(?:[0-9A-Fa-f]{3}|[0-9A-Fa-f]{6})")
_HOST_PORT = re.compile(r"[A-Za-z0-9.-]+(:[0-9]{1,5})?|\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?")
MAX_URL = 2048


@cache
def environment(language: str) -> Environment:
    if language not in LANGUAGES:
        raise ValueError(language)
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    env.install_gettext_translations(translations(language), newstyle=True)
    return env


def render(language: str, template: str, **context: object) -> str:
    return environment(language).get_template(template).render(language=language, **context)


# --- URLs the pages may show or go to -----------------------------------------------------


def web_origin(url: str | None) -> str | None:
    """`https://host[:port]` of an http(s) URL with a plain host, else None (never pasted into
    a header or a page otherwise)."""
    if not url or len(url) > MAX_URL or any(ord(c) < 0x21 or c in "\\\x7f\"'<>" for c in url):
        return None
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (a port out of range raises)
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.netloc or "@" in parts.netloc:
        return None
    if not _HOST_PORT.fullmatch(parts.netloc):
        return None
    return f"{scheme}://{parts.netloc}"


def web_url(url: str | None) -> str | None:
    """The URL itself when it is a plain http(s) one (cover image, redirect after booking)."""
    return url if web_origin(url) is not None else None


# --- colours ------------------------------------------------------------------------------


def _channel(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4


def _luminance(rgb: tuple[int, int, int]) -> float:
    r, g, b = (_channel(v) for v in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def _rgb(color: str) -> tuple[int, int, int]:
    digits = color[1:]
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    return int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16)


def _hex(rgb: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)


WHITE = (255, 255, 255)
INK = (17, 24, 39)  # #111827
BLACK = (0, 0, 0)


def palette(color: str | None) -> dict[str, str]:
    """The calendar's `eventColor` (a hex colour, else the default) and what reads on it:
    `accent` fills buttons and available days, `on_accent` is the text on it (white or dark,
    whichever contrasts more), `accent_text` is the colour darkened until it reads on white
    (4.5:1, WCAG AA) for links and outlines."""
    base = color if color and _HEX.fullmatch(color) else DEFAULT_COLOR
    rgb = _rgb(base)
    on = WHITE if contrast(rgb, WHITE) >= contrast(rgb, INK) else INK
    if contrast(rgb, on) < 4.5:  # mid-tones: only pure black reads on them
        on = BLACK
    text = rgb
    while contrast(text, WHITE) < 4.5:
        text = tuple(max(0, int(v * 0.9)) for v in text)  # type: ignore[assignment]
    return {"accent": _hex(rgb), "on_accent": _hex(on), "accent_text": _hex(text)}


# --- answers ------------------------------------------------------------------------------


def new_nonce() -> str:
    return secrets.token_urlsafe(16)


def respond(
    body: str,
    status_code: int = 200,
    *,
    nonce: str,
    image_origins: tuple[str, ...] = (),
    form_targets: tuple[str, ...] = (),
) -> HTMLResponse:
    images = " ".join(["'self'", *image_origins])
    forms = " ".join(["'self'", *form_targets])
    return HTMLResponse(
        body,
        status_code=status_code,
        headers={
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
            "Content-Security-Policy": (
                f"default-src 'none'; script-src 'self'; style-src 'self' 'nonce-{nonce}'; "
                f"img-src {images}; connect-src 'self'; form-action {forms}; "
                "frame-ancestors *; base-uri 'none'"
            ),
        },
    )


@cache
def static_file(name: str) -> tuple[bytes, str]:
    """(content, ETag) of one of the static files; KeyError for any other name."""
    if name not in STATIC_TYPES:
        raise KeyError(name)
    content = (STATIC / name).read_bytes()
    return content, '"' + hashlib.sha256(content).hexdigest()[:32] + '"'


def static_response(name: str, if_none_match: str | None) -> Response:
    content, etag = static_file(name)
    headers = {
        "ETag": etag,
        "Cache-Control": "public, max-age=3600",
        "X-Content-Type-Options": "nosniff",
        "Cross-Origin-Resource-Policy": "cross-origin",
    }
    if if_none_match == etag:
        return Response(status_code=304, headers=headers)
    return Response(content, media_type=STATIC_TYPES[name], headers=headers)
