"""Schedule rules (PRODUCT §6): every problem is named, and answered together as one 422."""

import re
from datetime import date
from itertools import pairwise

from opencalendars.availability.sources import clock_minutes
from opencalendars.zones import is_known_zone

START_TIME = re.compile(r"^([01]?[0-9]|2[0-3]):[0-5][0-9]$")
END_TIME = re.compile(r"^(([01]?[0-9]|2[0-3]):[0-5][0-9]|24:00)$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DAYS = ("sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday")


def timezone_problems(timezone: str) -> list[str]:
    return [] if is_known_zone(timezone) else ["timezone must be a valid IANA time zone"]


def is_date(text: str | None) -> bool:
    if text is None or not DATE.match(text):
        return False
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def interval_problems(field: str, intervals: list[dict]) -> list[str]:
    problems = []
    spans = []
    for j, interval in enumerate(intervals):
        start_ok = START_TIME.match(interval["from"]) is not None
        end_ok = END_TIME.match(interval["to"]) is not None
        if not start_ok:
            problems.append(f"{field}.{j}.from must be a time HH:MM")
        if not end_ok:
            problems.append(f"{field}.{j}.to must be a time HH:MM (24:00 allowed)")
        if start_ok and end_ok:
            start, end = clock_minutes(interval["from"]), clock_minutes(interval["to"])
            if start >= end:
                problems.append(f"{field}.{j}.from must be before {field}.{j}.to")
            else:
                spans.append((start, end))
    spans.sort()
    if any(later[0] < earlier[1] for earlier, later in pairwise(spans)):
        problems.append(f"{field} must not overlap")
    return problems


def rule_problems(rules: list[dict]) -> list[str]:
    problems = []
    seen_days: set[str] = set()
    seen_dates: set[str] = set()
    for i, rule in enumerate(rules):
        field = f"rules.{i}"
        if rule["type"] == "wday":
            day = rule.get("day")
            if day not in DAYS:
                problems.append(
                    f"{field}.day must be one of the following values: {', '.join(DAYS)}"
                )
            elif day in seen_days:
                problems.append(f"{field} repeats the day {day}")
            else:
                seen_days.add(day)
        elif rule["type"] == "date":
            day = rule.get("date")
            if not is_date(day):
                problems.append(f"{field}.date must be a valid date YYYY-MM-DD")
            elif day in seen_dates:
                problems.append(f"{field} repeats the date {day}")
            else:
                seen_dates.add(day)
        else:
            problems.append(f"{field}.type must be one of the following values: wday, date")
        problems += interval_problems(f"{field}.intervals", rule["intervals"])
    return problems


def normalize_time(text: str) -> str:
    hours, minutes = text.split(":")
    return f"{int(hours):02d}:{minutes}"


def normalized_rules(rules: list[dict]) -> list[dict]:
    """Valid rules in their stored form: `HH:MM` times, intervals in order, only the key
    that matters for the rule's type."""
    result = []
    for rule in rules:
        intervals = sorted(
            (
                {"from": normalize_time(i["from"]), "to": normalize_time(i["to"])}
                for i in rule["intervals"]
            ),
            key=lambda i: i["from"],
        )
        key = "day" if rule["type"] == "wday" else "date"
        result.append({"type": rule["type"], key: rule[key], "intervals": intervals})
    return result
