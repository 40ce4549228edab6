"""`POST /contacts/search`: a bounded subset of HighLevel's filter grammar (docs/contacts.md).

    {"locationId": "...", "pageLimit": 20, "page": 1,
     "filters": [{"field": "email", "operator": "contains", "value": "@example.com"},
                 {"group": "OR", "filters": [{"field": "tags", "operator": "eq", "value": "vip"},
                                             {"field": "firstNameLowerCase", "operator": "eq",
                                              "value": "ann"}]}],
     "sort": [{"field": "dateAdded", "direction": "desc"}],
     "searchAfter": [1767225600000, "ocQHyuzHvysMo5N5VsXc"],
     "query": "ann"}

Filters in a list all hold (AND); a group joins its filters with AND or OR. Every part is checked
before anything is read, and a field, operator or value outside the subset is a 400 naming it.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import Field
from sqlalchemy import ColumnElement, and_, not_, or_, select, true
from sqlalchemy.sql.elements import ColumnClause

from opencalendars.contacts.models import Contact, ContactTag
from opencalendars.contacts.phones import invalid_message, to_e164
from opencalendars.contacts.schemas import normalized_tag
from opencalendars.errors import BadRequest
from opencalendars.http.times import INSTANT_FORMS, OutOfRange, parse_instant_ms
from opencalendars.http.validation import RequestDTO
from opencalendars.zones import zone

MAX_PAGE_LIMIT = 500
# page x pageLimit: deeper than this, `searchAfter` reads on (as HighLevel's search does).
MAX_PAGED = 10_000
MAX_ENTRIES = 50
MAX_DEPTH = 3
MAX_VALUE = 75
MAX_TAG_VALUES = 20
MAX_SEARCH_KEY = 1000

TEXT_OPERATORS = ("eq", "not_eq", "contains", "not_contains", "exists", "not_exists")
PRESENCE = ("exists", "not_exists")
OPERATORS = (*TEXT_OPERATORS, "range")
RANGE_BOUNDS = ("gte", "gt", "lte", "lt")
# A query that reads as (part of) a phone number also matches phones by their digits.
PHONE_LIKE = re.compile(r"[\d\s()+\-.]+")


@dataclass(frozen=True)
class SearchField:
    kind: str  # id, text, phone, tags, date
    column: Any
    operators: tuple[str, ...]


FIELDS = {
    "id": SearchField("id", Contact.id, ("eq", "not_eq")),
    "email": SearchField("text", Contact.email_lower, TEXT_OPERATORS),
    "firstNameLowerCase": SearchField("text", Contact.first_name_lower, TEXT_OPERATORS),
    "lastNameLowerCase": SearchField("text", Contact.last_name_lower, TEXT_OPERATORS),
    "phone": SearchField("phone", Contact.phone, ("eq", "not_eq", *PRESENCE)),
    "tags": SearchField("tags", None, ("eq", "not_eq", *PRESENCE)),
    "dateAdded": SearchField("date", Contact.date_added_ms, ("range",)),
    "dateUpdated": SearchField("date", Contact.date_updated_ms, ("range",)),
}
# Sort keys: the column, and whether its searchAfter value is a number (else text).
SORTS = {
    "dateAdded": (Contact.date_added_ms, True),
    "dateUpdated": (Contact.date_updated_ms, True),
    "firstNameLowerCase": (Contact.first_name_lower, False),
    "lastNameLowerCase": (Contact.last_name_lower, False),
    "email": (Contact.email_lower, False),
}
SortField = Literal["dateAdded", "dateUpdated", "firstNameLowerCase", "lastNameLowerCase", "email"]


class SortDTO(RequestDTO):
    field: SortField
    direction: Literal["asc", "desc"] = "asc"


class SearchBodyV2DTO(RequestDTO):
    locationId: Annotated[str, Field(min_length=1, max_length=255)]
    pageLimit: Annotated[int, Field(ge=1, le=MAX_PAGE_LIMIT)]
    page: Annotated[int, Field(ge=1, le=MAX_PAGED)] = 1
    # Checked against the sort by `after`.
    searchAfter: Annotated[list[Any], Field(min_length=2, max_length=2)] | None = None
    # Read by `Filters` below, which names every problem by its place.
    filters: Annotated[list[Any], Field(max_length=MAX_ENTRIES)] = []
    sort: Annotated[list[SortDTO], Field(max_length=1)] = []
    query: Annotated[str, Field(max_length=MAX_VALUE)] | None = None


def choices(values) -> str:
    return ", ".join(values)


class Filters:
    """The filters of one search, checked and turned into one SQL condition."""

    def __init__(self, location_id: str, country: str):
        self.location_id = location_id
        self.country = country
        self.problems: list[str] = []
        self.entries = 0

    def condition(self, filters: list[Any]) -> ColumnElement[bool]:
        """Every filter of the list, ANDed; BadRequest naming each problem."""
        built = self.group(filters, "filters", "AND", depth=1)
        if self.entries > MAX_ENTRIES:
            self.problems.append(
                f"filters must contain no more than {MAX_ENTRIES} filters and groups in all"
            )
        if self.problems:
            raise BadRequest(self.problems)
        return built

    def group(self, filters: Any, where: str, joiner: str, *, depth: int) -> ColumnElement[bool]:
        if not isinstance(filters, list):
            self.problems.append(f"{where} must be an array")
            return true()
        parts = [self.item(item, f"{where}.{n}", depth) for n, item in enumerate(filters)]
        if not parts:
            return true()
        return and_(*parts) if joiner == "AND" else or_(*parts)

    def item(self, item: Any, where: str, depth: int) -> ColumnElement[bool]:
        # Every entry counts, whatever it is: past the bound nothing more is read or reported.
        self.entries += 1
        if self.entries > MAX_ENTRIES:
            return true()
        if not isinstance(item, dict):
            self.problems.append(f"{where} must be an object")
            return true()
        if "group" in item:
            joiner = item["group"]
            if joiner not in ("AND", "OR"):
                self.problems.append(f"{where}.group must be one of the following values: AND, OR")
                return true()
            if depth >= MAX_DEPTH:
                self.problems.append(f"{where} must not nest groups more than {MAX_DEPTH} deep")
                return true()
            inner = item.get("filters")
            if isinstance(inner, list) and not inner:
                self.problems.append(f"{where}.filters should not be empty")
                return true()
            return self.group(inner, f"{where}.filters", joiner, depth=depth + 1)
        return self.filter(item, where)

    def filter(self, item: dict, where: str) -> ColumnElement[bool]:
        name = item.get("field")
        if not isinstance(name, str) or name not in FIELDS:
            self.problems.append(
                f"{where}.field must be one of the following values: {choices(FIELDS)}"
            )
            return true()
        field = FIELDS[name]
        operator = item.get("operator")
        if operator not in OPERATORS:
            self.problems.append(
                f"{where}.operator must be one of the following values: {choices(OPERATORS)}"
            )
            return true()
        if operator not in field.operators:
            self.problems.append(
                f"{where}.operator {operator} is not supported for {name} "
                f"(supported: {choices(field.operators)})"
            )
            return true()
        build: Callable[..., ColumnElement[bool] | None] = getattr(self, f"_{field.kind}")
        if operator in PRESENCE:
            built = build(field, operator, None, where=f"{where}.value")
        elif item.get("value") is None:
            self.problems.append(f"{where}.value should not be empty")
            built = None
        else:
            built = build(field, operator, item["value"], where=f"{where}.value")
        # A value with a problem builds nothing: the problem is answered, nothing is read.
        return true() if built is None else built

    def text(self, value: Any, where: str) -> str | None:
        if not isinstance(value, str):
            self.problems.append(f"{where} must be a string")
            return None
        if not value:
            self.problems.append(f"{where} should not be empty")
            return None
        if len(value) > MAX_VALUE:
            self.problems.append(f"{where} must be shorter than or equal to {MAX_VALUE} characters")
            return None
        return value

    def _id(self, field: SearchField, operator: str, value: Any, *, where: str):
        text = self.text(value, where)
        if text is None:
            return None
        return field.column == text if operator == "eq" else field.column != text

    def _text(self, field: SearchField, operator: str, value: Any, *, where: str):
        column: ColumnClause = field.column
        if operator == "exists":
            return column != ""
        if operator == "not_exists":
            return column == ""
        text = self.text(value, where)
        if text is None:
            return None
        text = text.lower()
        return {
            "eq": lambda: column == text,
            "not_eq": lambda: column != text,
            "contains": lambda: column.contains(text, autoescape=True),
            "not_contains": lambda: not_(column.contains(text, autoescape=True)),
        }[operator]()

    def _phone(self, field: SearchField, operator: str, value: Any, *, where: str):
        column = field.column
        if operator == "exists":
            return column.is_not(None)
        if operator == "not_exists":
            return column.is_(None)
        text = self.text(value, where)
        if text is None:
            return None
        number = to_e164(text, self.country)
        if number is None:
            self.problems.append(invalid_message(where, self.country))
            return None
        if operator == "eq":
            return column == number
        return or_(column.is_(None), column != number)

    def _tags(self, field: SearchField, operator: str, value: Any, *, where: str):
        tagged = select(ContactTag.contact_id).where(ContactTag.location_id == self.location_id)
        if operator in PRESENCE:
            has = Contact.id.in_(tagged)
            return has if operator == "exists" else not_(has)
        values = value if isinstance(value, list) else [value]
        if not values or len(values) > MAX_TAG_VALUES:
            self.problems.append(
                f"{where} must be a string or an array of 1 to {MAX_TAG_VALUES} strings"
            )
            return None
        tags = []
        for n, item in enumerate(values):
            text = self.text(item, where if not isinstance(value, list) else f"{where}.{n}")
            if text is not None:
                tags.append(normalized_tag(text))
        if len(tags) != len(values):
            return None
        has = Contact.id.in_(tagged.where(ContactTag.tag.in_(tags)))
        return has if operator == "eq" else not_(has)

    def _date(self, field: SearchField, operator: str, value: Any, *, where: str):
        if not isinstance(value, dict) or not any(bound in value for bound in RANGE_BOUNDS):
            self.problems.append(f"{where} must be an object with gte, gt, lte or lt")
            return None
        parts = []
        for bound in RANGE_BOUNDS:
            if bound not in value:
                continue
            instant = self.instant(value[bound], f"{where}.{bound}")
            if instant is None:
                continue
            column = field.column
            parts.append(
                {
                    "gte": lambda c=column, i=instant: c >= i,
                    "gt": lambda c=column, i=instant: c > i,
                    "lte": lambda c=column, i=instant: c <= i,
                    "lt": lambda c=column, i=instant: c < i,
                }[bound]()
            )
        return and_(*parts) if parts else None

    def instant(self, value: Any, where: str) -> int | None:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            self.problems.append(f"{where} must be {INSTANT_FORMS}")
            return None
        try:
            return parse_instant_ms(value, zone("UTC"))
        except OutOfRange as error:
            self.problems.append(f"{where} {error.message}")
        except ValueError:
            self.problems.append(f"{where} must be {INSTANT_FORMS}")
        return None


def free_text(query: str | None) -> ColumnElement[bool] | None:
    """`query`: the words of a name, part of an email, or digits of a phone number."""
    if query is None or not query.strip():
        return None
    text = query.strip().lower()
    matches = [
        Contact.full_name_lower.contains(text, autoescape=True),
        Contact.email_lower.contains(text, autoescape=True),
    ]
    if PHONE_LIKE.fullmatch(text):
        digits = "".join(character for character in text if character.isdigit())
        if digits:
            matches.append(Contact.phone.contains(digits, autoescape=True))
    return or_(*matches)


@dataclass(frozen=True)
class Order:
    column: Any
    numeric: bool
    descending: bool

    def key(self, contact: Contact) -> list:
        """The contact's `searchAfter`: its sort value and its id."""
        return [getattr(contact, self.column.key), contact.id]


def order_of(sort: list[SortDTO]) -> Order:
    """Newest first unless the body says otherwise; ties by id, in the same direction."""
    if not sort:
        return Order(Contact.date_added_ms, True, True)
    column, numeric = SORTS[sort[0].field]
    return Order(column, numeric, sort[0].direction == "desc")


def after(order: Order, search_after: list | None, dialect: str) -> ColumnElement[bool] | None:
    """Contacts after `searchAfter` in the order; a 400 when it does not fit the sort."""
    if search_after is None:
        return None
    value, last_id = search_after
    fits = is_int64(value) if order.numeric else is_key(value)
    if not fits or not is_key(last_id):
        kind = "a number" if order.numeric else "a string"
        raise BadRequest(
            [f"searchAfter must be [sort value, id] as answered: {kind} and a contact id"]
        )
    column, contact_id = binary(order.column, dialect), binary(Contact.id, dialect)
    if order.descending:
        return or_(column < value, and_(column == value, contact_id < last_id))
    return or_(column > value, and_(column == value, contact_id > last_id))


def is_int64(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and -(2**63) <= value < 2**63


def is_key(value: Any) -> bool:
    return isinstance(value, str) and len(value) <= MAX_SEARCH_KEY


def binary(column: Any, dialect: str) -> Any:
    """Text compared byte by byte on both databases (PostgreSQL's default collation would order
    `B` after `a`, SQLite's after `A`): one order, and keyset paging that agrees with it."""
    if dialect == "postgresql" and column.type.python_type is str:
        return column.collate("C")
    return column


def sort_clauses(order: Order, dialect: str) -> list:
    columns = [binary(order.column, dialect), binary(Contact.id, dialect)]
    return [column.desc() if order.descending else column.asc() for column in columns]
