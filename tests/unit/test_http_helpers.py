"""Ids, instants and validation messages: the small pieces every area uses."""

from collections import Counter

import pytest
from pydantic import Field, TypeAdapter

from opencalendars.errors import BadRequest
from opencalendars.http.times import iso_utc_ms, parse_instant_ms
from opencalendars.http.validation import RequestDTO, parse_body
from opencalendars.ids import ID_ALPHABET, new_id
from opencalendars.zones import is_known_zone, zone


def test_ids_are_20_unguessable_alphanumerics():
    ids = {new_id() for _ in range(2000)}

    assert len(ids) == 2000
    assert all(len(i) == 20 and i.isalnum() and i.isascii() for i in ids)


def test_ids_use_every_character_evenly():
    """A byte taken modulo 62 without dropping the top 8 values would make the first 8
    characters a quarter likelier than the rest: seen here as a ratio near 1.25."""
    counts = Counter("".join(new_id() for _ in range(20_000)))
    expected = 20_000 * 20 / 62

    assert len(counts) == 62
    first_eight = sum(counts[c] for c in ID_ALPHABET[:8]) / 8
    rest = sum(counts[c] for c in ID_ALPHABET[8:]) / 54
    assert 0.95 < first_eight / rest < 1.05
    assert all(abs(count - expected) < 0.1 * expected for count in counts.values())


@pytest.mark.parametrize(
    ("epoch_ms", "text"),
    [
        (0, "1970-01-01T00:00:00.000Z"),
        (1_705_314_600_007, "2024-01-15T10:30:00.007Z"),
        (951_782_400_999, "2000-02-29T00:00:00.999Z"),
    ],
)
def test_iso_utc_ms(epoch_ms, text):
    assert iso_utc_ms(epoch_ms) == text


@pytest.mark.parametrize(
    ("value", "zone_name", "expected"),
    [
        (1_624_399_200_000, "UTC", 1_624_399_200_000),
        ("1624399200000", "UTC", 1_624_399_200_000),
        ("2021-06-23T03:30:00+05:30", "UTC", 1_624_399_200_000),
        ("2021-06-22T22:00:00Z", "UTC", 1_624_399_200_000),
        # No offset: a wall-clock time in the given zone.
        ("2021-06-23T03:30:00", "Asia/Kolkata", 1_624_399_200_000),
        # 02:30 does not exist in New York on 2024-03-10: it moves forward by the gap (03:30 EDT).
        ("2024-03-10T02:30:00", "America/New_York", 1_710_055_800_000),
        # 01:30 happens twice on 2024-11-03: the first (EDT) is taken.
        ("2024-11-03T01:30:00", "America/New_York", 1_730_611_800_000),
    ],
)
def test_parse_instant_ms(value, zone_name, expected):
    assert parse_instant_ms(value, zone(zone_name)) == expected


@pytest.mark.parametrize("value", ["tomorrow", "2021-13-01T00:00:00Z", True, ""])
def test_parse_instant_ms_refuses_non_instants(value):
    with pytest.raises(ValueError):
        parse_instant_ms(value, zone("UTC"))


def test_known_zones():
    assert is_known_zone("America/New_York")
    assert is_known_zone("Australia/Lord_Howe")
    assert not is_known_zone("Nowhere/City")
    assert not is_known_zone("/etc/localtime")
    assert not is_known_zone("")


class Sample(RequestDTO):
    title: str = Field(min_length=1)
    count: int = Field(ge=0, le=10)
    ratio: float
    kind: str = Field(pattern=r"^[a-z]+$")
    tags: list[str]
    on: bool


def messages(raw: bytes) -> list[str]:
    with pytest.raises(BadRequest) as refused:
        parse_body(TypeAdapter(Sample), raw)
    return refused.value.message


def test_messages_name_each_field_and_problem():
    raw = b'{"title": "", "count": 11, "ratio": "1", "kind": "A", "tags": "x", "on": 1}'

    assert messages(raw) == [
        "title should not be empty",
        "count must not be greater than 10",
        "ratio must be a number",
        "kind must match ^[a-z]+$ regular expression",
        "tags must be an array",
        "on must be a boolean value",
    ]


def test_messages_for_nested_items_and_numbers():
    raw = b'{"title": "t", "count": 1.5, "ratio": 2, "kind": "a", "tags": ["a", 3], "on": true}'

    assert messages(raw) == ["count must be an integer number", "tags.1 must be a string"]


def test_strict_types_are_not_coerced():
    raw = b'{"title": "t", "count": "3", "ratio": 1, "kind": "a", "tags": [], "on": "true"}'

    assert messages(raw) == ["count must be an integer number", "on must be a boolean value"]


def test_an_empty_body_reports_each_required_field():
    assert messages(b"") == [
        "title should not be empty",
        "count should not be empty",
        "ratio should not be empty",
        "kind should not be empty",
        "tags should not be empty",
        "on should not be empty",
    ]
