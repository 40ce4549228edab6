"""The service catalog (PRODUCT §7): operations, defaults, staff, timing, variations, filters."""

import re

import pytest

NOT_FOUND = {"statusCode": 404, "message": "Service not found", "error": "Not Found"}
CATALOG = "/calendars/services/catalog"


def create(tenant, **fields):
    body = {
        "locationId": tenant.location_id,
        "name": "Haircut",
        "slug": "haircut",
        "staff": [{"id": "ann"}],
        **fields,
    }
    return tenant.post(CATALOG, json=body)


def listed(tenant, **params):
    response = tenant.get(CATALOG, params={"locationId": tenant.location_id, **params})
    assert response.status_code == 200, response.text
    return response.json()["services"]


def test_create_answers_the_service_with_defaults(tenant):
    response = create(tenant)

    assert response.status_code == 201, response.text
    service = response.json()["service"]
    assert re.fullmatch(r"[A-Za-z0-9]{20}", service["id"])
    assert service == {
        "id": service["id"],
        "locationId": tenant.location_id,
        "name": "Haircut",
        "slug": "haircut",
        "serviceCategoryId": "default",
        "isPrivate": False,
        "payment": {"amount": 0},
        "serviceDuration": 30,
        "serviceDurationUnit": "mins",
        "preBuffer": 0,
        "preBufferUnit": "mins",
        "postBuffer": 0,
        "postBufferUnit": "mins",
        "staff": [{"id": "ann"}],
        "variations": [],
    }


def test_every_field_is_stored_and_answered(tenant):
    fields = {
        "description": "A cut and a wash",
        "eventColor": "#039be5",
        "coverImage": "https://example.com/cut.png",
        "serviceCategoryId": "hair",
        "payment": {"amount": 40, "deposit": 25, "depositType": "percentage"},
        "serviceDuration": 1.5,
        "serviceDurationUnit": "hours",
        "preBuffer": 5,
        "preBufferUnit": "mins",
        "postBuffer": 1,
        "postBufferUnit": "hours",
        "isPrivate": True,
        "formId": "form-1",
        "staff": [{"id": "ann"}, {"id": "bob"}],
        "variations": [{"name": "Long hair", "serviceDuration": 45, "payment": {"amount": 55}}],
    }
    service = create(tenant, **fields).json()["service"]

    (variation,) = service["variations"]
    assert re.fullmatch(r"[A-Za-z0-9]{20}", variation["id"])
    assert variation == {
        "id": variation["id"],
        "name": "Long hair",
        "serviceDuration": 45,
        "payment": {"amount": 55},
    }
    assert service == {
        "id": service["id"],
        "locationId": tenant.location_id,
        "name": "Haircut",
        "slug": "haircut",
        **fields,
        "variations": [variation],
    }
    assert tenant.get(f"{CATALOG}/{service['id']}").json() == {"service": service}


def test_update_is_partial_and_delete_is_soft(tenant):
    service = create(tenant, description="Short").json()["service"]
    path = f"{CATALOG}/{service['id']}"

    updated = tenant.put(
        path, json={"name": "Trim", "serviceDuration": 20, "staff": [{"id": "bob"}]}
    )

    assert updated.status_code == 200, updated.text
    expected = {**service, "name": "Trim", "serviceDuration": 20, "staff": [{"id": "bob"}]}
    assert updated.json() == {"service": expected}
    assert listed(tenant) == [expected]
    deleted = tenant.delete(path)
    assert deleted.json() == {"success": True, "message": "Service deleted successfully"}
    assert tenant.get(path).json() == NOT_FOUND
    assert tenant.put(path, json={"name": "x"}).json() == NOT_FOUND
    assert tenant.delete(path).json() == NOT_FOUND
    assert listed(tenant) == []


def test_variations_keep_their_ids_across_updates(tenant):
    service = create(
        tenant, variations=[{"name": "Short"}, {"name": "Long", "serviceDuration": 60}]
    ).json()["service"]
    short, long = service["variations"]
    path = f"{CATALOG}/{service['id']}"

    body = {"variations": [{"id": long["id"], "serviceDuration": 75}, {"name": "Kids"}]}
    updated = tenant.put(path, json=body).json()["service"]["variations"]

    # Long keeps its id and name, Short is gone, Kids is new.
    assert updated[0] == {"id": long["id"], "name": "Long", "serviceDuration": 75}
    assert updated[1]["name"] == "Kids"
    assert updated[1]["id"] not in (short["id"], long["id"])
    # Without `variations` they stay; an empty array removes them all.
    assert tenant.put(path, json={"name": "Cut"}).json()["service"]["variations"] == updated
    assert tenant.put(path, json={"variations": []}).json()["service"]["variations"] == []


def test_variation_updates_name_their_problems(tenant):
    service = create(tenant, variations=[{"name": "Short"}]).json()["service"]
    (short,) = service["variations"]
    path = f"{CATALOG}/{service['id']}"

    body = {
        "variations": [
            {"id": "nope"},
            {"serviceDuration": 10},
            {"id": short["id"]},
            {"id": short["id"]},
        ]
    }
    response = tenant.put(path, json=body)

    assert response.status_code == 400
    assert response.json()["message"] == [
        "variations.0.id nope is not a variation of this service",
        "variations.1.name should not be empty",
        f"variations.3.id {short['id']} is listed twice",
    ]
    assert tenant.get(path).json() == {"service": service}


@pytest.mark.parametrize(
    ("fields", "messages"),
    [
        ({"staff": []}, ["staff must contain at least 1 elements"]),
        ({"staff": [{"id": "ann"}, {"id": "ann"}]}, ["staff must not list the same id twice"]),
        ({"staff": [{}]}, ["staff.0.id should not be empty"]),
        ({"slug": "Not A Slug"}, None),
        ({"serviceDuration": 0}, ["serviceDuration must be greater than 0"]),
        ({"serviceDuration": 10.5}, ["serviceDuration must be a whole number of minutes"]),
        (
            {"serviceDuration": 25, "serviceDurationUnit": "hours"},
            ["serviceDuration must not be longer than 24 hours"],
        ),
        ({"preBuffer": -5}, ["preBuffer must not be less than 0"]),
        (
            {"postBufferUnit": "days"},
            ["postBufferUnit must be one of the following values: mins, hours"],
        ),
        (
            {"payment": {"amount": 10, "deposit": 20, "depositType": "amount"}},
            ["payment.deposit must not be greater than payment.amount"],
        ),
        (
            {"payment": {"amount": 10, "deposit": 120, "depositType": "percentage"}},
            ["payment.deposit must not be greater than 100 for a percentage deposit"],
        ),
        (
            {"variations": [{"name": "Long", "preBuffer": 0.25, "preBufferUnit": "mins"}]},
            ["variations.0.preBuffer must be a whole number of minutes"],
        ),
        ({"variations": [{"serviceDuration": 10}]}, ["variations.0.name should not be empty"]),
        ({"isPrivate": "yes"}, ["isPrivate must be a boolean value"]),
    ],
)
def test_bad_services_are_refused_and_nothing_is_stored(tenant, fields, messages):
    response = create(tenant, **fields)

    assert response.status_code == 400, response.text
    if messages is not None:
        assert response.json()["message"] == messages
    assert listed(tenant) == []


def test_required_fields(tenant):
    response = tenant.post(CATALOG, json={"locationId": tenant.location_id})

    assert response.status_code == 400
    assert response.json()["message"] == [
        "name should not be empty",
        "slug should not be empty",
        "staff should not be empty",
    ]


def test_slugs_are_unique_among_live_services(tenant):
    first = create(tenant).json()["service"]
    assert create(tenant).json()["message"] == [
        "slug is already used by another service of this location"
    ]
    other = create(tenant, slug="colour").json()["service"]
    taken = tenant.put(f"{CATALOG}/{other['id']}", json={"slug": "haircut"})
    assert taken.status_code == 400
    tenant.delete(f"{CATALOG}/{first['id']}")
    assert create(tenant).status_code == 201


def test_lists_filter_by_category_and_privacy(tenant):
    public_hair = create(tenant, slug="a", serviceCategoryId="hair").json()["service"]
    private_hair = create(tenant, slug="b", serviceCategoryId="hair", isPrivate=True).json()[
        "service"
    ]
    plain = create(tenant, slug="c").json()["service"]

    assert listed(tenant) == [public_hair, private_hair, plain]
    assert listed(tenant, serviceCategoryId="hair") == [public_hair, private_hair]
    assert listed(tenant, serviceCategoryId="default") == [plain]
    assert listed(tenant, isPrivate="true") == [private_hair]
    assert listed(tenant, isPrivate="false", serviceCategoryId="hair") == [public_hair]
    bad = tenant.get(CATALOG, params={"locationId": tenant.location_id, "isPrivate": "maybe"})
    assert bad.status_code == 400


def test_another_locations_services_are_not_found(tenant, other_tenant):
    service = create(tenant).json()["service"]
    path = f"{CATALOG}/{service['id']}"

    assert other_tenant.get(path).json() == NOT_FOUND
    assert other_tenant.put(path, json={"name": "Mine"}).json() == NOT_FOUND
    assert other_tenant.delete(path).json() == NOT_FOUND
    foreign = other_tenant.get(CATALOG, params={"locationId": tenant.location_id})
    assert foreign.status_code == 403
    assert tenant.get(path).json() == {"service": service}
