"""Slugs of groups and calendars: lower-case words joined by single hyphens."""

import re

SLUG_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"


def is_slug(text: str) -> bool:
    return re.fullmatch(SLUG_PATTERN, text) is not None


def slugify(name: str, fallback: str) -> str:
    """`"Dr. Smith's 30 min"` → `"dr-smith-s-30-min"`; names without letters or digits
    get `fallback`."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug[:200].rstrip("-") or fallback
