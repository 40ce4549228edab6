"""The free-slot engine on plain data: exact start lists for every rule of PRODUCT §4.3, §4.4."""

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from opencalendars.availability.answer import look_busy, slots_by_date
from opencalendars.availability.engine import Person, Resource, SlotRules, free_slots

DAY = 1_767_225_600_000  # 2026-01-01T00:00:00Z
MIN = 60_000


def at(hhmm: str, day: int = 0) -> int:
    """An instant on 2026-01-01 (+ `day` days), UTC."""
    hours, minutes = hhmm.split(":")
    return DAY + day * 1440 * MIN + (int(hours) * 60 + int(minutes)) * MIN


def span(start: str, end: str, day: int = 0) -> tuple[int, int]:
    return (at(start, day), at(end, day))


def clock(instants) -> list[str]:
    return [f"{(i - DAY) // MIN // 60 % 24:02d}:{(i - DAY) // MIN % 60:02d}" for i in instants]


def rules(duration=30, interval=None, **extra) -> SlotRules:
    return SlotRules(duration_ms=duration * MIN, interval_ms=(interval or duration) * MIN, **extra)


def offered(person: Person, slot_rules: SlotRules, **extra) -> list[str]:
    return clock(free_slots([person], slot_rules, **extra).starts)


def test_the_worked_example_of_the_product_page():
    person = Person("u", windows=[span("12:00", "15:00")], same=[span("13:00", "13:30")])

    assert offered(person, rules(30, post_buffer_ms=10 * MIN)) == ["12:00", "14:00", "14:30"]


def test_slot_duration_differs_from_the_interval():
    person = Person("u", windows=[span("09:00", "11:00")])

    assert offered(person, rules(60, 15)) == ["09:00", "09:15", "09:30", "09:45", "10:00"]
    assert offered(person, rules(45, 60)) == ["09:00", "10:00"]


def test_the_grid_steps_from_each_windows_own_start():
    person = Person("u", windows=[span("09:10", "10:10"), span("13:45", "14:45")])

    assert offered(person, rules(30)) == ["09:10", "09:40", "13:45", "14:15"]


def test_pre_buffer_against_an_appointment_of_the_same_calendar():
    person = Person("u", windows=[span("09:00", "12:00")], same=[span("10:00", "10:30")])

    # Both sides carry the 15-minute pre-buffer: candidate 10:30 needs 10:15-11:00 free, and
    # the appointment's span is 09:45-10:30.
    assert offered(person, rules(30, pre_buffer_ms=15 * MIN)) == ["09:00", "11:00", "11:30"]


def test_other_calendars_block_with_their_own_buffers():
    # Another calendar's 10:00-10:30 appointment with a 30-minute post-buffer: 10:00-11:00.
    person = Person("u", windows=[span("09:00", "12:00")], blocking=[span("10:00", "11:00")])

    assert offered(person, rules(30)) == ["09:00", "09:30", "11:00", "11:30"]
    assert offered(person, rules(30, post_buffer_ms=10 * MIN)) == ["09:00", "11:00", "11:30"]


def test_appointments_per_slot_above_one():
    person = Person("u", windows=[span("09:00", "10:00")], same=[span("09:00", "09:30")])
    full = Person("u", windows=[span("09:00", "10:00")], same=[span("09:00", "09:30")] * 2)

    assert offered(person, rules(30, per_slot=2)) == ["09:00", "09:30"]
    assert offered(full, rules(30, per_slot=2)) == ["09:30"]


def test_class_seats_fill_up_and_other_bookings_make_the_host_busy():
    seats = rules(60, is_class=True, per_slot=3)
    two_taken = Person("h", windows=[span("09:00", "11:00")], same=[span("09:00", "10:00")] * 2)
    three_taken = Person("h", windows=[span("09:00", "11:00")], same=[span("09:00", "10:00")] * 3)
    odd_one = Person("h", windows=[span("09:00", "11:00")], same=[span("10:00", "10:30")])

    assert offered(two_taken, seats) == ["09:00", "10:00"]
    assert offered(three_taken, seats) == ["10:00"]
    assert offered(odd_one, seats) == ["09:00"]


def test_appointments_per_day_close_the_whole_local_day():
    person = Person(
        "u",
        windows=[span("09:00", "11:00"), span("09:00", "11:00", day=1)],
        same=[span("09:00", "09:30"), span("10:30", "11:00")],
    )

    assert clock(free_slots([person], rules(30, per_day=2)).starts) == [
        "09:00",
        "09:30",
        "10:00",
        "10:30",
    ]
    assert clock(free_slots([person], rules(30, per_day=3)).starts) == [
        "09:30",
        "10:00",
        "09:00",
        "09:30",
        "10:00",
        "10:30",
    ]


def test_appointments_per_day_count_local_dates_of_the_location():
    # 23:00 UTC on the 1st is 04:30 on the 2nd in Kolkata (+05:30): there it fills the 2nd.
    person = Person(
        "u",
        windows=[span("10:00", "11:00"), span("03:00", "04:00", day=1)],
        same=[span("23:00", "23:30")],
    )

    kolkata = free_slots([person], rules(30, per_day=1, day_zone="Asia/Kolkata")).starts
    utc = free_slots([person], rules(30, per_day=1, day_zone="UTC")).starts

    assert kolkata == [at("10:00"), at("10:30")]
    assert utc == [at("03:00", day=1), at("03:30", day=1)]


def test_minimum_notice_and_booking_window():
    person = Person("u", windows=[span("09:00", "12:00")])

    assert offered(person, rules(30, earliest_ms=at("10:15"))) == ["10:30", "11:00", "11:30"]
    assert offered(person, rules(30, latest_ms=at("10:00"))) == ["09:00", "09:30"]


def test_blocked_slots_block():
    person = Person("u", windows=[span("09:00", "11:00")], blocking=[span("09:45", "10:05")])

    assert offered(person, rules(30)) == ["09:00", "10:30"]


def test_any_member_free_or_every_member_free():
    ann = Person("ann", windows=[span("09:00", "11:00")], blocking=[span("09:00", "10:00")])
    bob = Person("bob", windows=[span("09:30", "12:00")])

    anyone = free_slots([ann, bob], rules(30))
    everyone = free_slots([ann, bob], rules(30), require_all=True)

    assert clock(anyone.by_person["ann"]) == ["10:00", "10:30"]
    assert clock(anyone.by_person["bob"]) == ["09:30", "10:00", "10:30", "11:00", "11:30"]
    assert clock(anyone.starts) == ["09:30", "10:00", "10:30", "11:00", "11:30"]
    assert clock(everyone.starts) == ["10:00", "10:30"]


def test_known_starts_are_taken_and_the_others_found():
    """`known` holds starts found before for the same person, rules and resources: taken as they
    are (here, on purpose, not what would be found, to show they were not found again), and
    combined with the others' as found ones are."""
    ann = Person("ann", windows=[span("09:00", "11:00")], blocking=[span("09:00", "10:00")])
    bob = Person("bob", windows=[span("09:30", "12:00")])
    whole = free_slots([ann, bob], rules(30))
    again = free_slots([ann, bob], rules(30), known={"ann": whole.by_person["ann"]})
    assert again == whole
    taken = free_slots([ann, bob], rules(30), known={"ann": [at("08:00")]}, require_all=False)
    assert taken.by_person == {"ann": [at("08:00")], "bob": whole.by_person["bob"]}
    assert clock(taken.starts) == ["08:00", *clock(whole.by_person["bob"])]


def test_resources_allow_only_their_units_at_once():
    person = Person("u", windows=[span("09:00", "11:00")])
    room = Resource(units=2, busy=[span("09:00", "10:00"), span("09:30", "10:30")])
    equipment = Resource(units=1, busy=[span("10:30", "11:00")])
    out_of_service = Resource(units=0)

    assert offered(person, rules(30), resources=[room]) == ["09:00", "10:00", "10:30"]
    assert offered(person, rules(30), resources=[room, equipment]) == ["09:00", "10:00"]
    assert offered(person, rules(30), resources=[out_of_service]) == []


def test_service_bookings_enter_as_blocking_spans():
    # A service booking of the same staff member, 09:30-10:15 with its 15-minute buffer after.
    person = Person("u", windows=[span("09:00", "11:00")], blocking=[span("09:30", "10:30")])

    assert offered(person, rules(30)) == ["09:00", "10:30"]


def test_slots_by_date_and_look_busy():
    starts = [at("14:00"), at("15:00"), at("16:00"), at("17:00"), at("14:00", day=1)]

    by_date = slots_by_date(starts, "America/New_York")
    busy = look_busy(by_date, "cal-1", 50)

    assert by_date == {
        "2026-01-01": [
            "2026-01-01T09:00:00-05:00",
            "2026-01-01T10:00:00-05:00",
            "2026-01-01T11:00:00-05:00",
            "2026-01-01T12:00:00-05:00",
        ],
        "2026-01-02": ["2026-01-02T09:00:00-05:00"],
    }
    assert len(busy["2026-01-01"]) == 2
    assert busy["2026-01-02"] == ["2026-01-02T09:00:00-05:00"]  # 50% of 1 rounds down to 0
    assert look_busy(by_date, "cal-1", 50) == busy
    assert set(busy["2026-01-01"]) <= set(by_date["2026-01-01"])


# ---- properties ------------------------------------------------------------------------------

minutes = st.integers(min_value=0, max_value=3 * 1440)


@st.composite
def spans(draw, max_size=8):
    items = draw(st.lists(st.tuples(minutes, st.integers(1, 600)), max_size=max_size))
    return [(DAY + s * MIN, DAY + (s + length) * MIN) for s, length in items]


@st.composite
def scenarios(draw):
    duration = draw(st.sampled_from([15, 30, 45, 60]))
    slot_rules = rules(
        duration,
        draw(st.sampled_from([10, 15, 30, 60])),
        pre_buffer_ms=draw(st.sampled_from([0, 5, 15])) * MIN,
        post_buffer_ms=draw(st.sampled_from([0, 10, 30])) * MIN,
        per_slot=draw(st.integers(1, 3)),
    )
    return slot_rules, draw(spans()), draw(spans()), draw(spans())


@settings(max_examples=300, deadline=None)
@given(scenarios(), st.randoms())
def test_offered_slots_respect_windows_and_busy_spans_whatever_the_input_order(scenario, rnd):
    slot_rules, window_spans, blocking, same = scenario
    windows = sorted(window_spans)
    person = Person("u", windows=_merged(windows), blocking=blocking, same=same)
    starts = free_slots([person], slot_rules).starts
    pre, post, duration = (
        slot_rules.pre_buffer_ms,
        slot_rules.post_buffer_ms,
        slot_rules.duration_ms,
    )

    def bookable(start):
        end = start + duration
        overlapping = [s for s, e in same if s - pre < end + post and start - pre < e + post]
        return (
            not any(bs < end + post and start - pre < be for bs, be in blocking)
            and len(overlapping) < slot_rules.per_slot
        )

    for start in starts:
        assert any(ws <= start and start + duration <= we for ws, we in person.windows)
        assert bookable(start)
    # And nothing bookable is left out: every grid point of every window, checked one by one.
    grid = [
        start
        for ws, we in person.windows
        for start in range(ws, we - duration + 1, slot_rules.interval_ms)
    ]
    assert starts == sorted({start for start in grid if bookable(start)})

    shuffled = Person(
        "u",
        windows=person.windows,
        blocking=rnd.sample(blocking, len(blocking)),
        same=rnd.sample(same, len(same)),
    )
    assert free_slots([shuffled], slot_rules).starts == starts


def _merged(windows):
    from opencalendars.availability.resolver import merge_windows

    return merge_windows(windows)


@settings(max_examples=300, deadline=None)
@given(
    scenarios(),
    spans(max_size=3),
    spans(max_size=4),
    st.integers(0, 3),
    st.booleans(),
    st.booleans(),
    st.lists(minutes, min_size=2, max_size=2),
)
def test_a_later_earliest_start_offers_the_earlier_answer_from_it_on(
    scenario, shared, resource_busy, per_day, is_class, require_all, earliest
):
    """What lets free slots asked again answer from starts kept at an earlier instant
    (slots.service.kept_starts): with every other rule the same, moving minimum notice later
    only drops the starts before it, whatever else decides them (same-calendar appointments,
    class seats, a day's limit, shared blocks, resources, every member free)."""
    slot_rules, window_spans, blocking, same = scenario
    windows = _merged(sorted(window_spans))
    persons = [
        Person("u", windows=windows, blocking=blocking, same=same, shared=shared),
        Person("v", windows=windows, blocking=blocking[:1], same=same[1:], shared=shared),
    ]
    resources = [Resource(units=1, busy=resource_busy)]
    first, later = sorted(DAY + instant * MIN for instant in earliest)
    base = replace(slot_rules, per_day=per_day, is_class=is_class)

    def starts(earliest_ms: int) -> list[int]:
        asked = replace(base, earliest_ms=earliest_ms)
        return free_slots(persons, asked, require_all, resources=resources).starts

    assert starts(later) == [start for start in starts(first) if start >= later]
