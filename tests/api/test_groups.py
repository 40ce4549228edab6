"""Calendar groups: the six operations of the spec and the rules of PRODUCT §6."""

import re
import threading

import pytest

from opencalendars.errors import BadRequest
from opencalendars.groups import service
from opencalendars.groups.schemas import GroupCreateDTO

ID = re.compile(r"^[A-Za-z0-9]{20}$")
SLUG_TAKEN = {
    "statusCode": 400,
    "message": ["slug is already used by another group of this location"],
    "error": "Bad Request",
}
GROUP_NOT_FOUND = {"statusCode": 404, "message": "Group not found", "error": "Not Found"}


def create(tenant, **fields):
    body = {
        "locationId": tenant.location_id,
        "name": "Sales team",
        "description": "Sales calls",
        "slug": "sales",
        **fields,
    }
    return tenant.post("/calendars/groups", json=body)


def test_create_answers_201_with_the_group(tenant):
    response = create(tenant, isActive=False)

    assert response.status_code == 201
    group = response.json()["group"]
    assert ID.match(group["id"])
    assert response.json() == {
        "group": {
            "locationId": tenant.location_id,
            "name": "Sales team",
            "description": "Sales calls",
            "slug": "sales",
            "isActive": False,
            "id": group["id"],
        }
    }


def test_create_defaults_to_active_and_allows_an_empty_description(tenant):
    group = create(tenant, description="").json()["group"]

    assert group["isActive"] is True
    assert group["description"] == ""


def test_list_answers_live_groups_oldest_first(tenant, frozen_clock):
    frozen_clock("2026-01-02T00:00:00Z")
    newer = create(tenant, slug="newer", name="Newer").json()["group"]
    frozen_clock("2026-01-01T00:00:00Z")
    older = create(tenant, slug="older", name="Older").json()["group"]
    gone = create(tenant, slug="gone").json()["group"]
    tenant.delete(f"/calendars/groups/{gone['id']}")

    response = tenant.get("/calendars/groups", params={"locationId": tenant.location_id})

    assert response.status_code == 200
    assert response.json() == {"groups": [older, newer]}


def test_list_of_a_location_without_groups_is_empty(tenant):
    response = tenant.get("/calendars/groups", params={"locationId": tenant.location_id})

    assert response.json() == {"groups": []}


def test_list_needs_location_id(tenant):
    response = tenant.get("/calendars/groups")

    assert response.status_code == 400
    assert response.json() == {
        "statusCode": 400,
        "message": ["locationId should not be empty"],
        "error": "Bad Request",
    }


@pytest.mark.parametrize("slug", ["Sales", "sales team", "-sales", "sales-", "sales--team", "s_1"])
def test_slug_must_be_lowercase_words_joined_by_single_hyphens(tenant, slug):
    response = create(tenant, slug=slug)

    assert response.status_code == 400
    assert response.json()["message"] == [
        "slug must match ^[a-z0-9]+(-[a-z0-9]+)*$ regular expression"
    ]


@pytest.mark.parametrize("slug", ["sales", "15-mins", "a-b-c", "x1"])
def test_valid_slugs_are_accepted(tenant, slug):
    assert create(tenant, slug=slug).status_code == 201


def test_slug_is_unique_among_live_groups(tenant):
    create(tenant, slug="sales")

    response = create(tenant, slug="sales", name="Another")

    assert response.status_code == 400
    assert response.json() == SLUG_TAKEN


def test_a_deleted_groups_slug_can_be_used_again(tenant):
    old = create(tenant, slug="sales").json()["group"]
    tenant.delete(f"/calendars/groups/{old['id']}")

    assert create(tenant, slug="sales").status_code == 201


def test_the_same_slug_in_two_locations_is_fine(tenant, other_tenant):
    assert create(tenant, slug="sales").status_code == 201
    assert create(other_tenant, slug="sales").status_code == 201


def test_create_names_every_missing_field(tenant):
    response = tenant.post("/calendars/groups", json={})

    assert response.status_code == 400
    assert response.json()["message"] == [
        "locationId should not be empty",
        "name should not be empty",
        "description should not be empty",
        "slug should not be empty",
    ]


def test_validate_slug(tenant):
    create(tenant, slug="taken")

    def available(slug):
        body = {"locationId": tenant.location_id, "slug": slug}
        response = tenant.post("/calendars/groups/validate-slug", json=body)
        assert response.status_code == 200
        return response.json()

    assert available("taken") == {"available": False}
    assert available("free") == {"available": True}
    # A slug the format refuses can never be used, so it is not available.
    assert available("Not A Slug") == {"available": False}


def test_validate_slug_is_free_again_after_delete(tenant):
    group = create(tenant, slug="taken").json()["group"]
    tenant.delete(f"/calendars/groups/{group['id']}")

    body = {"locationId": tenant.location_id, "slug": "taken"}
    assert tenant.post("/calendars/groups/validate-slug", json=body).json() == {"available": True}


def test_update_replaces_name_description_and_slug(tenant):
    group = create(tenant, isActive=False).json()["group"]

    response = tenant.put(
        f"/calendars/groups/{group['id']}",
        json={"name": "Renamed", "description": "New words", "slug": "renamed"},
    )

    assert response.status_code == 200
    assert response.json() == {
        "group": {
            "locationId": tenant.location_id,
            "name": "Renamed",
            "description": "New words",
            "slug": "renamed",
            "isActive": False,
            "id": group["id"],
        }
    }
    listed = tenant.get("/calendars/groups", params={"locationId": tenant.location_id}).json()
    assert listed == {"groups": [response.json()["group"]]}


def test_update_may_keep_its_own_slug_but_not_take_anothers(tenant):
    group = create(tenant, slug="mine").json()["group"]
    create(tenant, slug="theirs")
    path = f"/calendars/groups/{group['id']}"

    kept = tenant.put(path, json={"name": "A", "description": "", "slug": "mine"})
    taken = tenant.put(path, json={"name": "A", "description": "", "slug": "theirs"})

    assert kept.status_code == 200
    assert taken.status_code == 400
    assert taken.json() == SLUG_TAKEN


def test_update_needs_every_field(tenant):
    group = create(tenant).json()["group"]

    response = tenant.put(f"/calendars/groups/{group['id']}", json={"name": "Only"})

    assert response.status_code == 400
    assert response.json()["message"] == [
        "description should not be empty",
        "slug should not be empty",
    ]


def test_status_disables_and_enables(tenant):
    group = create(tenant).json()["group"]
    path = f"/calendars/groups/{group['id']}/status"

    disabled = tenant.put(path, json={"isActive": False})
    listed = tenant.get("/calendars/groups", params={"locationId": tenant.location_id}).json()

    assert disabled.status_code == 200
    assert disabled.json() == {"success": True}
    assert listed["groups"][0]["isActive"] is False
    assert tenant.put(path, json={"isActive": True}).json() == {"success": True}
    listed = tenant.get("/calendars/groups", params={"locationId": tenant.location_id}).json()
    assert listed["groups"][0]["isActive"] is True


def test_status_needs_a_boolean(tenant):
    group = create(tenant).json()["group"]
    path = f"/calendars/groups/{group['id']}/status"

    assert tenant.put(path, json={}).json()["message"] == ["isActive should not be empty"]
    assert tenant.put(path, json={"isActive": "false"}).json()["message"] == [
        "isActive must be a boolean value"
    ]


def test_delete_is_soft_and_the_group_is_gone_afterwards(tenant):
    group = create(tenant).json()["group"]
    path = f"/calendars/groups/{group['id']}"

    deleted = tenant.delete(path)

    assert deleted.status_code == 200
    assert deleted.json() == {"success": True}
    assert tenant.delete(path).json() == GROUP_NOT_FOUND
    assert tenant.put(path, json={"name": "A", "description": "", "slug": "a"}).json() == (
        GROUP_NOT_FOUND
    )
    assert tenant.put(f"{path}/status", json={"isActive": True}).json() == GROUP_NOT_FOUND


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("PUT", "", {"name": "A", "description": "", "slug": "a"}),
        ("PUT", "/status", {"isActive": False}),
        ("DELETE", "", None),
    ],
)
def test_another_locations_group_looks_unknown(tenant, other_tenant, method, suffix, body):
    theirs = create(other_tenant).json()["group"]

    foreign = tenant.request(method, f"/calendars/groups/{theirs['id']}{suffix}", json=body)
    unknown = tenant.request(method, f"/calendars/groups/{'x' * 20}{suffix}", json=body)

    assert foreign.status_code == unknown.status_code == 404
    assert foreign.json() == unknown.json() == GROUP_NOT_FOUND
    listed = other_tenant.get("/calendars/groups", params={"locationId": other_tenant.location_id})
    assert listed.json() == {"groups": [theirs]}


def test_concurrent_creates_with_one_slug_leave_one_group(app, tenant):
    """Two racing creates: the database's unique index lets exactly one win."""
    db = app.state.db
    outcomes: list[str] = []
    barrier = threading.Barrier(8)

    def attempt(n: int) -> None:
        barrier.wait()
        dto = GroupCreateDTO(
            locationId=tenant.location_id, name=f"G{n}", description="", slug="race"
        )
        try:
            service.create_group(db, dto)
            outcomes.append("created")
        except BadRequest as error:
            assert error.message == SLUG_TAKEN["message"]
            outcomes.append("refused")

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["created"] + ["refused"] * 7
    listed = tenant.get("/calendars/groups", params={"locationId": tenant.location_id}).json()
    assert [group["slug"] for group in listed["groups"]] == ["race"]
