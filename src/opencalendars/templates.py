"""`{{name}}` placeholders: in a calendar's `eventTitle` and in notification subjects and bodies."""

import re

PLACEHOLDER = re.compile(r"\{\{\s*([a-z_.]+)\s*\}\}")


def render(template: str, values: dict[str, str]) -> str:
    """`{{name}}` becomes its value; an unknown placeholder is left as written."""
    return PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), template)
