"""The error contract (PRODUCT §1): one envelope, readable messages, nothing written."""

import pytest

from opencalendars.app import unexpected_error


def groups(tenant):
    listed = tenant.get("/calendars/groups", params={"locationId": tenant.location_id})
    return listed.json()["groups"]


@pytest.mark.parametrize(
    "raw", [b"{", b'{"name": "x",}', b"not json", b'{"a": 1} trailing', b"\xff\xfe"]
)
def test_malformed_json_is_a_400_and_writes_nothing(tenant, raw):
    response = tenant.post(
        "/calendars/groups", content=raw, headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 400
    assert response.json() == {
        "statusCode": 400,
        "message": ["request body is not valid JSON"],
        "error": "Bad Request",
    }
    assert groups(tenant) == []


@pytest.mark.parametrize("raw", [b"[]", b"3", b'"text"', b"null"])
def test_a_body_that_is_not_an_object_is_a_400(tenant, raw):
    response = tenant.post("/calendars/groups", content=raw)

    assert response.status_code == 400
    assert response.json()["message"] == ["request body must be a JSON object"]


def test_wrong_types_get_one_message_per_problem(tenant):
    body = {"locationId": 5, "name": ["x"], "description": None, "slug": {}, "isActive": "yes"}

    response = tenant.post("/calendars/groups", json=body)

    assert response.status_code == 400
    assert response.json() == {
        "statusCode": 400,
        "message": [
            "locationId must be a string",
            "name must be a string",
            "description must be a string",
            "slug must be a string",
            "isActive must be a boolean value",
        ],
        "error": "Bad Request",
    }
    assert groups(tenant) == []


def test_empty_strings_are_refused_for_required_text(tenant):
    body = {"locationId": "", "name": "", "description": "", "slug": ""}

    response = tenant.post("/calendars/groups", json=body)

    assert response.json()["message"] == [
        "locationId should not be empty",
        "name should not be empty",
        "slug should not be empty",
    ]


def test_unknown_body_fields_are_ignored(tenant):
    body = {
        "locationId": tenant.location_id,
        "name": "G",
        "description": "",
        "slug": "g",
        "somethingElse": {"deep": [1, 2]},
    }

    response = tenant.post("/calendars/groups", json=body)

    assert response.status_code == 201
    assert "somethingElse" not in response.json()["group"]


def test_a_body_over_one_mebibyte_is_413_and_writes_nothing(tenant):
    padding = "x" * (1536 * 1024)
    body = {"locationId": tenant.location_id, "name": padding, "description": "", "slug": "big"}

    response = tenant.post("/calendars/groups", json=body)

    assert response.status_code == 413
    assert response.json() == {
        "statusCode": 413,
        "message": "Request body must not be larger than 1048576 bytes",
        "error": "Payload Too Large",
    }
    assert groups(tenant) == []


def test_a_streamed_body_over_one_mebibyte_is_413(tenant):
    def chunks():
        for _ in range(24):
            yield b" " * 65536

    response = tenant.post("/calendars/groups", content=chunks())

    assert response.status_code == 413
    assert response.json()["statusCode"] == 413
    assert groups(tenant) == []


def test_a_body_just_under_the_limit_is_read(tenant):
    name = "n" * (1024 * 1024 - 200)
    body = {"locationId": tenant.location_id, "name": name, "description": "", "slug": "near"}

    assert tenant.post("/calendars/groups", json=body).status_code == 201


def test_unknown_route_is_a_404_envelope(tenant):
    response = tenant.get("/calendars/nothing/here/at/all")

    assert response.status_code == 404
    assert response.json() == {
        "statusCode": 404,
        "message": "Cannot GET /calendars/nothing/here/at/all",
        "error": "Not Found",
    }


def test_wrong_method_is_a_405_envelope(tenant):
    response = tenant.request("PATCH", "/calendars/groups/validate-slug")

    assert response.status_code == 405
    assert response.json() == {
        "statusCode": 405,
        "message": "Cannot PATCH /calendars/groups/validate-slug",
        "error": "Method Not Allowed",
    }


def test_an_unexpected_error_reveals_no_internals():
    secret = "Traceback /srv/opencalendars/db.py SELECT * FROM api_tokens"

    response = unexpected_error(None, RuntimeError(secret))

    assert response.status_code == 500
    assert response.body == (
        b'{"statusCode":500,"message":"Internal server error","error":"Internal Server Error"}'
    )
