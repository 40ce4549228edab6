"""Request validation with readable messages, one sentence per problem.

Bodies are parsed and validated by Pydantic in strict JSON mode (wrong types are
refused, not coerced), and every error is rewritten in the style of the real
service (`"locationId should not be empty"`, `"slotDuration must be a number"`).
"""

from collections.abc import Iterable
from typing import Any

from fastapi import Depends, Request
from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError

from opencalendars.errors import BadRequest
from opencalendars.http.nul import refuse_nul_in_body
from opencalendars.http.times import INSTANT_FORMS

# The largest page offset a list accepts: beyond any real list, within a database integer.
MAX_OFFSET = 1_000_000_000


class RequestDTO(BaseModel):
    """Base of every request body: strict types, unknown fields ignored (PRODUCT §1)."""

    model_config = ConfigDict(strict=True, extra="ignore")


def field_path(loc: Iterable[Any]) -> str:
    return ".".join(str(part) for part in loc)


def describe_error(error: dict) -> str:
    """One readable sentence for one Pydantic error."""
    kind = error["type"]
    field = field_path(error["loc"]) or "request body"
    ctx = error.get("ctx") or {}
    if kind == "json_invalid":
        return "request body is not valid JSON"
    if kind == "missing":
        return f"{field} should not be empty"
    if kind == "string_too_short":
        if ctx.get("min_length") == 1:
            return f"{field} should not be empty"
        return f"{field} must be longer than or equal to {ctx.get('min_length')} characters"
    if kind == "string_too_long":
        return f"{field} must be shorter than or equal to {ctx.get('max_length')} characters"
    if kind == "string_pattern_mismatch":
        return f"{field} must match {ctx.get('pattern')} regular expression"
    if kind == "string_type":
        return f"{field} must be a string"
    if kind in ("bool_type", "bool_parsing"):
        return f"{field} must be a boolean value"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return f"{field} must be an integer number"
    if kind in ("float_type", "float_parsing", "finite_number"):
        return f"{field} must be a number"
    if kind == "greater_than_equal":
        return f"{field} must not be less than {_bound(ctx.get('ge'))}"
    if kind == "greater_than":
        return f"{field} must be greater than {_bound(ctx.get('gt'))}"
    if kind == "less_than_equal":
        return f"{field} must not be greater than {_bound(ctx.get('le'))}"
    if kind == "less_than":
        return f"{field} must be less than {_bound(ctx.get('lt'))}"
    if kind == "literal_error":
        return f"{field} must be one of the following values: {_choices(ctx.get('expected', ''))}"
    if kind in ("list_type", "tuple_type", "set_type"):
        if not error["loc"]:
            return "request body must be an array"
        return f"{field} must be an array"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        if not error["loc"]:
            return "request body must be a JSON object"
        return f"{field} must be an object"
    if kind == "too_short":
        return f"{field} must contain at least {ctx.get('min_length')} elements"
    if kind == "too_long":
        return f"{field} must contain no more than {ctx.get('max_length')} elements"
    if kind == "instant_type":
        return f"{field} must be {INSTANT_FORMS}"
    if kind == "value_error":
        return f"{field} {ctx.get('error')}"
    return f"{field} is invalid"


def _bound(value: Any) -> Any:
    """`500.0` reads as `500` in a message."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _choices(expected: str) -> str:
    return expected.replace("'", "").replace(" or ", ", ")


def messages_for(errors: Iterable[dict]) -> list[str]:
    """Distinct messages in the order Pydantic found the problems."""
    return list(dict.fromkeys(describe_error(error) for error in errors))


def parse_body(adapter: TypeAdapter, raw: bytes) -> Any:
    refuse_nul_in_body(raw)
    try:
        return adapter.validate_json(raw or b"{}")
    except ValidationError as exc:
        raise BadRequest(messages_for(exc.errors(include_url=False))) from None


def json_body(target: Any) -> Any:
    """A dependency that parses the request body as `target` — a request DTO, or a list of
    them (declare it after auth)."""
    adapter = TypeAdapter(target)

    async def read(request: Request) -> Any:
        return parse_body(adapter, await request.body())

    return Depends(read)


def whole_number(value: float, field: str) -> int:
    """A query number that must be whole; `10.0` (as typed clients send it) is fine.
    Callers bound it (`le=`) so that it fits a database integer."""
    if not float(value).is_integer():
        raise BadRequest([f"{field} must be an integer number"])
    return int(value)
