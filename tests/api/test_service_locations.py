"""Service locations (PRODUCT §7): operations, slugs, addresses, the default."""

import re

import pytest
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from opencalendars.services.models import ServiceLocation
from support.api import create_tenant

NOT_FOUND = {"statusCode": 404, "message": "Service location not found", "error": "Not Found"}
SLUG_TAKEN = ["slug is already used by another service location of this location"]


def create(tenant, **fields):
    body = {"locationId": tenant.location_id, "name": "Downtown", "slug": "downtown", **fields}
    return tenant.post("/calendars/services/locations", json=body)


def listed(tenant):
    response = tenant.get(
        "/calendars/services/locations", params={"locationId": tenant.location_id}
    )
    assert response.status_code == 200
    return response.json()["serviceLocations"]


def test_create_read_update_delete(tenant, frozen_clock):
    frozen_clock("2026-01-01T00:00:00Z")
    response = create(tenant, address="1 Main St", phone="+15550100", coverImage="https://x/y.png")

    assert response.status_code == 201
    place = response.json()
    assert re.fullmatch(r"[A-Za-z0-9]{20}", place["id"])
    assert place == {
        "id": place["id"],
        "locationId": tenant.location_id,
        "name": "Downtown",
        "slug": "downtown",
        "isActive": True,
        "isPrivate": False,
        "locationType": "offline",
        "isDefault": True,
        "address": "1 Main St",
        "phone": "+15550100",
        "coverImage": "https://x/y.png",
    }
    path = f"/calendars/services/locations/{place['id']}"
    assert tenant.get(path).json() == place
    updated = tenant.put(path, json={"name": "Centre", "slug": "centre"})
    assert updated.json() == {**place, "name": "Centre", "slug": "centre"}
    assert listed(tenant) == [updated.json()]
    deleted = tenant.delete(path)
    assert deleted.json() == {"success": True, "message": "Service location deleted successfully"}
    assert tenant.get(path).json() == NOT_FOUND
    assert listed(tenant) == []


def test_without_type_an_address_means_offline_and_none_asks_the_booker(tenant):
    assert create(tenant, slug="a", address="1 Main St").json()["locationType"] == "offline"
    assert create(tenant, slug="b").json()["locationType"] == "ask_booker"


def test_offline_needs_an_address(tenant):
    response = create(tenant, locationType="offline")
    place = create(tenant, slug="ok", address="1 Main St").json()
    cleared = tenant.put(
        f"/calendars/services/locations/{place['id']}",
        json={"locationType": "offline", "address": ""},
    )

    assert response.json()["message"] == [
        "address should not be empty for an offline service location"
    ]
    assert cleared.json()["message"] == [
        "address should not be empty for an offline service location"
    ]


def test_slugs_are_unique_per_location_and_well_formed(tenant, other_tenant):
    create(tenant)
    second = create(tenant, slug="uptown").json()

    assert create(tenant).json()["message"] == SLUG_TAKEN
    assert (
        tenant.put(
            f"/calendars/services/locations/{second['id']}", json={"slug": "downtown"}
        ).json()["message"]
        == SLUG_TAKEN
    )
    assert create(other_tenant).status_code == 201
    assert create(tenant, slug="Not A Slug").json()["message"] == [
        "slug must match ^[a-z0-9]+(-[a-z0-9]+)*$ regular expression"
    ]


def test_the_first_is_the_default_and_the_next_oldest_takes_over(tenant, frozen_clock):
    frozen_clock("2026-01-01T00:00:00Z")
    first = create(tenant, slug="first").json()
    frozen_clock("2026-01-02T00:00:00Z")
    second = create(tenant, slug="second").json()
    frozen_clock("2026-01-03T00:00:00Z")
    create(tenant, slug="third")

    assert [p["isDefault"] for p in listed(tenant)] == [True, False, False]
    tenant.delete(f"/calendars/services/locations/{first['id']}")
    remaining = listed(tenant)
    assert [(p["slug"], p["isDefault"]) for p in remaining] == [("second", True), ("third", False)]
    assert remaining[0]["id"] == second["id"]


def test_after_the_last_is_deleted_the_next_created_is_the_default(tenant):
    only = create(tenant, slug="only").json()
    tenant.delete(f"/calendars/services/locations/{only['id']}")

    assert create(tenant, slug="next").json()["isDefault"] is True


def test_the_database_holds_one_live_default_per_location(app, tenant):
    create(tenant, slug="first")
    second = create(tenant, slug="second").json()

    # A second default is refused by the partial unique index, whoever writes it.
    with pytest.raises(IntegrityError), app.state.db.write() as session:
        session.execute(
            update(ServiceLocation)
            .where(ServiceLocation.id == second["id"])
            .values(is_default=True)
        )


def test_required_fields(tenant):
    response = tenant.post("/calendars/services/locations", json={})

    assert response.json()["message"] == [
        "locationId should not be empty",
        "name should not be empty",
        "slug should not be empty",
    ]


@pytest.mark.parametrize(
    ("method", "body"), [("GET", None), ("PUT", {"name": "x"}), ("DELETE", None)]
)
def test_another_locations_service_location_looks_unknown(tenant, client, method, body):
    other = create_tenant(client)
    theirs = create(other).json()

    response = tenant.request(method, f"/calendars/services/locations/{theirs['id']}", json=body)

    assert response.json() == NOT_FOUND
    assert create(tenant, locationId=other.location_id).status_code == 403
