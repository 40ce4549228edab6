"""Availability from what the API stores: schedule rules and legacy calendar open hours."""

from collections.abc import Iterable, Mapping
from datetime import date

from opencalendars.availability.rules import MINUTES_PER_DAY, Availability, LocalInterval

WEEKDAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def clock_minutes(text: str) -> int:
    """`HH:MM` (with `24:00` allowed) as minutes after midnight."""
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def hour_minutes(hour: int, minute: int) -> int:
    return hour * 60 + minute


def legacy_hour_interval(hour: Mapping) -> LocalInterval:
    """An `Hour` of `openHours`/`availabilities`; a close at 00:00 means the end of the day."""
    start = hour_minutes(hour["openHour"], hour["openMinute"])
    end = hour_minutes(hour["closeHour"], hour["closeMinute"])
    return LocalInterval(start, MINUTES_PER_DAY if end == 0 else end)


def from_schedule_rules(rules: Iterable[Mapping], zone: str) -> Availability:
    """Schedule rules (validated): `wday` rules by day name, `date` rules replacing a date."""
    weekdays: list[tuple[LocalInterval, ...]] = [()] * 7
    dates: dict[date, tuple[LocalInterval, ...]] = {}
    for rule in rules:
        intervals = tuple(
            sorted(
                LocalInterval(clock_minutes(i["from"]), clock_minutes(i["to"]))
                for i in rule.get("intervals", [])
            )
        )
        if rule["type"] == "wday":
            weekdays[WEEKDAY_NAMES.index(rule["day"])] = intervals
        else:
            dates[date.fromisoformat(rule["date"])] = intervals
    return Availability(zone=zone, weekdays=tuple(weekdays), dates=dates)


def from_open_hours(
    open_hours: Iterable[Mapping], date_availabilities: Iterable[Mapping], zone: str
) -> Availability:
    """Legacy calendar fields: `daysOfTheWeek` counts from 0 = Sunday; each live date
    availability (`YYYY-MM-DDT00:00:00.000Z` meaning that local date) replaces its date."""
    weekdays: list[list[LocalInterval]] = [[] for _ in range(7)]
    for entry in open_hours:
        for day in entry["daysOfTheWeek"]:
            weekdays[(int(day) + 6) % 7].extend(legacy_hour_interval(h) for h in entry["hours"])
    dates: dict[date, tuple[LocalInterval, ...]] = {}
    for override in date_availabilities:
        if override.get("deleted"):
            continue
        day = date.fromisoformat(override["date"][:10])
        dates[day] = tuple(sorted(legacy_hour_interval(h) for h in override["hours"]))
    return Availability(
        zone=zone, weekdays=tuple(tuple(sorted(day)) for day in weekdays), dates=dates
    )
