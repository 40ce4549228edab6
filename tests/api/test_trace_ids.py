"""`traceId`: a fresh UUID in every JSON object the server answers, successes and errors alike,
and in that request's access-log line (PRODUCT §12). Every other test checks its presence on
each answer it reads (support/trace_ids.py); these read the raw bodies."""

import json
import logging

import pytest

from api.slot_helpers import make_calendar
from support.trace_ids import trace_id_of

pytestmark = pytest.mark.usefixtures("before_march")


def raw(response) -> dict | list:
    return json.loads(response.content)


def test_successes_and_errors_carry_a_fresh_trace_id(ny):
    answers = [
        ny.get("/calendars/groups", params={"locationId": ny.location_id}),
        ny.get("/calendars/groups", params={"locationId": ny.location_id}),
        ny.get("/calendars/unknown-calendar-id"),  # 404
        ny.post("/calendars/", json={}),  # 400, one message per problem
        ny.get("/calendars/groups", params={"locationId": ny.location_id}, headers={"Version": ""}),
        ny.client.get("/calendars/groups"),  # 401, no token
        ny.client.get("/healthz"),
    ]

    ids = [trace_id_of(answer) for answer in answers]  # each a UUID4 never answered before

    assert len(set(ids)) == len(answers)
    assert [answer.status_code for answer in answers] == [200, 200, 404, 400, 400, 401, 200]
    body = raw(answers[2])
    assert body == {
        "statusCode": 404,
        "message": "Calendar not found",
        "error": "Not Found",
        "traceId": ids[2],
    }


def test_free_slots_carry_it_beside_the_dates_and_alone_when_nothing_is_free(ny):
    calendar_id = make_calendar(ny, hours=(("09:00", "10:00"),))

    some = ny.get(
        f"/calendars/{calendar_id}/free-slots",
        params={"startDate": "2026-03-02", "endDate": "2026-03-02"},
    )
    none = ny.get(
        f"/calendars/{calendar_id}/free-slots",
        params={"startDate": "2026-03-03", "endDate": "2026-03-03"},  # a Tuesday: closed
    )

    assert raw(some) == {
        "2026-03-02": {"slots": ["2026-03-02T09:00:00-05:00", "2026-03-02T09:30:00-05:00"]},
        "traceId": trace_id_of(some),
    }
    # The live service's "no slots" answer, which clients test for.
    assert raw(none) == {"traceId": trace_id_of(none)}


def test_bare_array_answers_stay_bare_arrays(ny):
    answer = ny.get("/calendars/resources/rooms", params={"locationId": ny.location_id})

    assert answer.status_code == 200, answer.text
    assert raw(answer) == []


def test_the_access_log_line_names_the_trace_id(ny, caplog):
    with caplog.at_level(logging.INFO, logger="opencalendars.access"):
        answer = ny.get("/calendars/groups", params={"locationId": ny.location_id})

    trace_id = trace_id_of(answer)
    lines = [record.getMessage() for record in caplog.records if trace_id in record.getMessage()]
    assert len(lines) == 1
    assert '"GET /calendars/groups" 200' in lines[0]
