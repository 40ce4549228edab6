"""Contacts (PRODUCT §14, docs/contacts.md): the ten operations, matching, phone numbers,
duplicates, search, tags, a contact's appointments, and every refusal's exact answer."""

import re

import pytest
from sqlalchemy import func, select, update

from opencalendars.admin.models import Location
from opencalendars.contacts.models import Contact, ContactTag
from opencalendars.http.auth import ALL_SCOPES, CALENDAR_SCOPES
from support.api import create_tenant

ID = re.compile(r"^[A-Za-z0-9]{20}$")
NOW = "2026-02-27T12:00:00Z"
NOW_ISO = "2026-02-27T12:00:00.000Z"
NOT_FOUND = {"statusCode": 404, "message": "Contact not found", "error": "Not Found"}
NO_SCOPE = {
    "statusCode": 401,
    "message": "The token is not authorized for this scope.",
    "error": "Unauthorized",
}
OTHER_LOCATION = {
    "statusCode": 403,
    "message": "The token does not have access to this location",
    "error": "Forbidden",
}
DUPLICATED = "This location does not allow duplicated contacts."
US_PHONE = (
    "phone must be a valid phone number (with + and the country code, "
    "or a number of the location's country, US)"
)


def bad_request(*messages: str) -> dict:
    return {"statusCode": 400, "message": list(messages), "error": "Bad Request"}


def duplicate(contact: dict, field: str) -> dict:
    return {
        "statusCode": 400,
        "message": DUPLICATED,
        "meta": {
            "contactId": contact["id"],
            "contactName": contact.get("name", ""),
            "matchingField": field,
        },
    }


@pytest.fixture(autouse=True)
def frozen(frozen_clock):
    frozen_clock(NOW)
    return frozen_clock


@pytest.fixture
def shop(client):
    return create_tenant(client, timezone="America/New_York", scopes=list(ALL_SCOPES), name="Shop")


@pytest.fixture
def rival(client):
    return create_tenant(client, scopes=list(ALL_SCOPES), name="Rival")


def create(tenant, **fields):
    return tenant.post("/contacts/", json={"locationId": tenant.location_id, **fields})


def created(tenant, **fields) -> dict:
    response = create(tenant, **fields)
    assert response.status_code == 201, response.text
    return response.json()["contact"]


def upsert(tenant, **fields):
    return tenant.post("/contacts/upsert", json={"locationId": tenant.location_id, **fields})


def search(tenant, **body):
    return tenant.post(
        "/contacts/search", json={"locationId": tenant.location_id, "pageLimit": 20, **body}
    )


def found_ids(response) -> list[str]:
    assert response.status_code == 200, response.text
    return [contact["id"] for contact in response.json()["contacts"]]


def set_location(app, tenant, **values) -> None:
    """Location settings the admin API does not edit yet (phase 2), set in the database."""
    with app.state.db.write() as session:
        session.execute(update(Location).where(Location.id == tenant.location_id).values(**values))


def stored_contacts(app, tenant) -> int:
    with app.state.db.read() as session:
        return session.scalar(
            select(func.count())
            .select_from(Contact)
            .where(Contact.location_id == tenant.location_id)
        )


# ---- create and read ------------------------------------------------------------------------


def test_create_answers_201_with_the_contact(shop):
    response = create(
        shop,
        firstName="Rosan",
        lastName="Deo",
        email="Rosan@Deos.com",
        phone="+1 888-888-8888",
        companyName="DGS VolMAX",
        address1="3535 1st St N",
        city="Dolomite",
        state="AL",
        postalCode="35061",
        website="https://www.tesla.com",
        timezone="America/Chihuahua",
        dnd=True,
        dndSettings={"call": {"status": "active", "message": "Do not call"}},
        inboundDndSettings={"all": {"status": "inactive"}},
        tags=["VIP", " new lead ", "vip"],
        source="public api",
        country="us",
        dateOfBirth="09/25/1990",
        assignedTo="y0BeYjuRIlDwsDcOHOJo",
        gender="female",
        customFields=[
            {"id": "6dvNaf7VhkQ9snc5vnjJ", "fieldValue": "My Text"},
            {"id": "numeric", "fieldValue": 100},
            {"key": "my_checkbox", "field_value": ["a", "b"]},
        ],
    )

    assert response.status_code == 201
    contact = response.json()["contact"]
    assert ID.match(contact["id"])
    assert response.json() == {
        "contact": {
            "id": contact["id"],
            "locationId": shop.location_id,
            "firstName": "Rosan",
            "lastName": "Deo",
            "name": "Rosan Deo",
            "firstNameLowerCase": "rosan",
            "lastNameLowerCase": "deo",
            "fullNameLowerCase": "rosan deo",
            "email": "Rosan@Deos.com",
            "emailLowerCase": "rosan@deos.com",
            "phone": "+18888888888",
            "companyName": "DGS VolMAX",
            "address1": "3535 1st St N",
            "city": "Dolomite",
            "state": "AL",
            "postalCode": "35061",
            "country": "US",
            "website": "https://www.tesla.com",
            "timezone": "America/Chihuahua",
            "gender": "female",
            "source": "public api",
            "assignedTo": "y0BeYjuRIlDwsDcOHOJo",
            "dateOfBirth": "1990-09-25",
            "dndSettings": {"call": {"status": "active", "message": "Do not call"}},
            "inboundDndSettings": {"all": {"status": "inactive"}},
            "type": "lead",
            "dnd": True,
            "tags": ["vip", "new lead"],
            "customFields": [
                {"id": "6dvNaf7VhkQ9snc5vnjJ", "value": "My Text"},
                {"id": "numeric", "value": 100},
                {"key": "my_checkbox", "value": ["a", "b"]},
            ],
            "dateAdded": NOW_ISO,
            "dateUpdated": NOW_ISO,
        }
    }
    assert shop.get(f"/contacts/{contact['id']}").json() == {"contact": contact}


def test_a_minimal_contact_and_the_path_without_a_slash(shop):
    response = shop.post("/contacts", json={"locationId": shop.location_id})

    assert response.status_code == 201
    contact = response.json()["contact"]
    assert contact == {
        "id": contact["id"],
        "locationId": shop.location_id,
        "type": "lead",
        "dnd": False,
        "tags": [],
        "customFields": [],
        "dateAdded": NOW_ISO,
        "dateUpdated": NOW_ISO,
    }


def test_a_name_alone_is_split_into_first_and_last(shop):
    contact = created(shop, name="Mary Ann Smith")

    assert (contact["firstName"], contact["lastName"], contact["name"]) == (
        "Mary",
        "Ann Smith",
        "Mary Ann Smith",
    )
    # The parts win over `name`.
    both = created(shop, name="Ignored Name", firstName="Ann")
    assert (both["firstName"], both.get("lastName"), both["name"]) == ("Ann", None, "Ann")


@pytest.mark.parametrize(
    ("text", "e164"),
    [
        ("+49 30 1234567", "+49301234567"),
        ("011 49 30 1234567", "+49301234567"),  # the US international prefix
        ("(212) 555-1234", "+12125551234"),
        ("212.555.1234", "+12125551234"),
        ("1-800-FLOWERS", "+18003569377"),
        ("+44 20 7946 0958", "+442079460958"),
    ],
)
def test_phone_numbers_are_stored_as_e164_read_in_the_us_without_a_plus(shop, text, e164):
    assert created(shop, phone=text)["phone"] == e164


def test_a_number_without_plus_is_read_in_the_location_s_country(app, shop):
    set_location(app, shop, country="DE")

    assert created(shop, phone="030 1234567")["phone"] == "+49301234567"
    assert created(shop, phone="+1 212 555 1234")["phone"] == "+12125551234"
    refused = create(shop, phone="12")
    assert refused.json() == bad_request(
        "phone must be a valid phone number (with + and the country code, "
        "or a number of the location's country, DE)"
    )


@pytest.mark.parametrize("phone", ["12", "abc", "+999 1234", "555-0100", "+1 212 555 1234 ext. 5"])
def test_an_invalid_phone_is_400_and_nothing_is_written(app, shop, phone):
    response = create(shop, phone=phone, email="who@example.com")

    assert response.status_code == 400
    assert response.json() == bad_request(US_PHONE)
    assert stored_contacts(app, shop) == 0


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"email": "nope"}, "email must be an email"),
        ({"email": "a@b"}, "email must be an email"),
        ({"email": "two@@example.com"}, "email must be an email"),
        ({"email": 5}, "email must be a string"),
        ({"timezone": "Mars/Olympus"}, "timezone must be a valid IANA time zone"),
        ({"country": "USA"}, "country must be an ISO 3166-1 alpha-2 country code (US, DE...)"),
        ({"dateOfBirth": "1990-13-01"}, "dateOfBirth must be a date (YYYY-MM-DD, YYYY/MM/DD, "
                                        "YYYY.MM.DD, YYYY_MM_DD or MM-DD-YYYY, MM/DD/YYYY, ...)"),
        ({"dateOfBirth": "1899-12-31"}, "dateOfBirth must not be before 1900-01-01"),
        ({"dnd": "true"}, "dnd must be a boolean value"),
        ({"tags": ["x"] * 101}, "tags must contain no more than 100 elements"),
        ({"tags": ["x" * 256]}, "tags.0 must be shorter than or equal to 255 characters"),
        ({"firstName": "x" * 256}, "firstName must be shorter than or equal to 255 characters"),
        ({"customFields": [{"fieldValue": "x"}]},
         "customFields.0 must name the field by id or key"),
        (
            {"customFields": [{"id": "f", "fieldValue": [1, 2]}]},
            "customFields.0 fieldValue must be a string, a number, a boolean, an array of strings "
            "or an object (numbers finite, integers of at most 64 bits)",
        ),
        (
            {"dndSettings": {"call": {"status": "maybe"}}},
            "dndSettings.call.status must be one of the following values: active, inactive, "
            "permanent",
        ),
    ],
)  # fmt: skip
def test_invalid_fields_are_400_with_one_sentence_each(app, shop, fields, message):
    response = create(shop, **fields)

    assert response.status_code == 400
    assert response.json() == bad_request(message)
    assert stored_contacts(app, shop) == 0


def test_the_location_must_be_named_and_be_the_token_s(shop, rival):
    assert shop.post("/contacts/", json={}).json() == bad_request("locationId should not be empty")
    assert shop.post("/contacts/", json={"locationId": rival.location_id}).json() == OTHER_LOCATION


def test_the_older_version_header_is_answered_alike(shop):
    shop.version = "2021-07-28"

    contact = created(shop, email="old@example.com")

    assert shop.get(f"/contacts/{contact['id']}").json() == {"contact": contact}


# ---- duplicates -----------------------------------------------------------------------------


def test_a_second_contact_with_a_live_one_s_email_or_phone_is_refused(app, shop):
    first = created(shop, firstName="Ann", lastName="Lee", email="ann@example.com")
    second = created(shop, firstName="Bob", phone="+12125551234")

    same_email = create(shop, email="ANN@Example.com")
    same_phone = create(shop, phone="(212) 555-1234")
    # The email is checked first.
    both = create(shop, email="ann@example.com", phone="+12125551234")

    assert same_email.status_code == 400
    assert same_email.json() == duplicate(first, "email")
    assert same_phone.json() == duplicate(second, "phone")
    assert both.json() == duplicate(first, "email")
    assert stored_contacts(app, shop) == 2


def test_locations_that_allow_duplicates_take_them(app, shop, rival):
    set_location(app, shop, allow_duplicate_contacts=True)
    one = created(shop, email="same@example.com", phone="+12125551234")

    two = created(shop, email="same@example.com", phone="+12125551234")

    assert one["id"] != two["id"]
    # Another location is another world.
    assert created(rival, email="same@example.com")["email"] == "same@example.com"


def test_a_deleted_contact_frees_its_email_and_phone(shop):
    first = created(shop, email="ann@example.com", phone="+12125551234")
    assert shop.delete(f"/contacts/{first['id']}").status_code == 200

    again = created(shop, email="ann@example.com", phone="+12125551234")

    assert again["id"] != first["id"]


def test_an_update_to_another_contact_s_email_is_refused_keeping_one_s_own_is_not(app, shop):
    ann = created(shop, firstName="Ann", email="ann@example.com", phone="+12125551234")
    bob = created(shop, firstName="Bob", email="bob@example.com")

    taken = shop.put(f"/contacts/{bob['id']}", json={"email": "Ann@example.com"})
    taken_phone = shop.put(f"/contacts/{bob['id']}", json={"phone": "2125551234"})
    own = shop.put(
        f"/contacts/{ann['id']}", json={"email": "ANN@example.com", "phone": "+12125551234"}
    )

    assert taken.json() == duplicate(ann, "email")
    assert taken_phone.json() == duplicate(ann, "phone")
    assert own.status_code == 200
    assert own.json()["contact"]["email"] == "ANN@example.com"
    assert shop.get(f"/contacts/{bob['id']}").json()["contact"]["email"] == "bob@example.com"


# ---- update and delete ----------------------------------------------------------------------


def test_update_changes_what_it_gives_and_clears_what_it_nulls(shop, frozen):
    contact = created(
        shop,
        firstName="Ann",
        lastName="Lee",
        email="ann@example.com",
        city="Paris",
        tags=["a", "b"],
        customFields=[{"id": "one", "fieldValue": "1"}, {"id": "two", "fieldValue": "2"}],
    )
    frozen("2026-02-28T08:00:00Z")

    response = shop.put(
        f"/contacts/{contact['id']}",
        json={
            "lastName": "Smith",
            "city": None,
            "phone": "+1 212 555 1234",
            "tags": ["C"],
            "customFields": [{"id": "one", "fieldValue": None}, {"id": "two", "fieldValue": "22"}],
        },
    )

    assert response.status_code == 200
    assert response.json() == {
        "succeeded": True,
        "succeded": True,
        "contact": {
            **{key: value for key, value in contact.items() if key != "city"},
            "lastName": "Smith",
            "name": "Ann Smith",
            "lastNameLowerCase": "smith",
            "fullNameLowerCase": "ann smith",
            "phone": "+12125551234",
            "tags": ["c"],
            "customFields": [{"id": "two", "value": "22"}],
            "dateUpdated": "2026-02-28T08:00:00.000Z",
        },
    }
    assert shop.get(f"/contacts/{contact['id']}").json()["contact"] == response.json()["contact"]


def test_update_refusals_write_nothing(shop):
    contact = created(shop, email="ann@example.com")

    bad_phone = shop.put(f"/contacts/{contact['id']}", json={"phone": "12", "city": "Oslo"})
    bad_email = shop.put(f"/contacts/{contact['id']}", json={"email": "x", "city": "Oslo"})

    assert bad_phone.json() == bad_request(US_PHONE)
    assert bad_email.json() == bad_request("email must be an email")
    assert shop.get(f"/contacts/{contact['id']}").json() == {"contact": contact}


def test_delete_then_every_operation_on_the_contact_answers_404(shop):
    contact = created(shop, email="ann@example.com")
    path = f"/contacts/{contact['id']}"

    deleted = shop.delete(path)

    assert deleted.status_code == 200
    assert deleted.json() == {"succeeded": True, "succeded": True}
    assert shop.get(path).json() == NOT_FOUND
    assert shop.put(path, json={"city": "Oslo"}).json() == NOT_FOUND
    assert shop.delete(path).json() == NOT_FOUND
    assert shop.get(f"{path}/appointments").json() == NOT_FOUND
    assert shop.post(f"{path}/tags", json={"tags": ["a"]}).json() == NOT_FOUND
    assert shop.request("DELETE", f"{path}/tags", json={"tags": ["a"]}).json() == NOT_FOUND
    assert found_ids(search(shop)) == []


def test_unknown_and_other_locations_contacts_answer_the_same_404(shop, rival):
    theirs = created(rival, email="theirs@example.com")
    for contact_id in ("unknownunknownunknow", theirs["id"]):
        path = f"/contacts/{contact_id}"
        assert shop.get(path).status_code == 404
        assert shop.get(path).json() == NOT_FOUND
        assert shop.put(path, json={"city": "Oslo"}).json() == NOT_FOUND
        assert shop.delete(path).json() == NOT_FOUND
        assert shop.get(f"{path}/appointments").json() == NOT_FOUND
        assert shop.post(f"{path}/tags", json={"tags": ["a"]}).json() == NOT_FOUND
        assert shop.request("DELETE", f"{path}/tags", json={"tags": ["a"]}).json() == NOT_FOUND
    # Untouched.
    assert rival.get(f"/contacts/{theirs['id']}").json() == {"contact": theirs}


# ---- scopes -----------------------------------------------------------------------------------

OPERATIONS = [
    ("POST", "/contacts/", "contacts.write"),
    ("GET", "/contacts/{id}", "contacts.readonly"),
    ("PUT", "/contacts/{id}", "contacts.write"),
    ("DELETE", "/contacts/{id}", "contacts.write"),
    ("POST", "/contacts/upsert", "contacts.write"),
    ("POST", "/contacts/search", "contacts.readonly"),
    ("GET", "/contacts/search/duplicate", "contacts.readonly"),
    ("GET", "/contacts/{id}/appointments", "contacts.readonly"),
    ("POST", "/contacts/{id}/tags", "contacts.write"),
    ("DELETE", "/contacts/{id}/tags", "contacts.write"),
]


@pytest.mark.parametrize(("method", "path", "scope"), OPERATIONS)
def test_each_operation_demands_its_scope(client, shop, method, path, scope):
    contact = created(shop, email="ann@example.com")
    concrete = path.format(id=contact["id"])
    calendars_only = create_tenant(client, scopes=list(CALENDAR_SCOPES))
    other_scope = create_tenant(
        client, scopes=[s for s in ("contacts.readonly", "contacts.write") if s != scope]
    )

    for tenant in (calendars_only, other_scope):
        response = tenant.request(method, concrete, json={})
        assert response.status_code == 401
        assert response.json() == NO_SCOPE
    assert shop.get(f"/contacts/{contact['id']}").json() == {"contact": contact}


def test_tokens_may_carry_the_contact_scopes(client, shop):
    from support.api import ADMIN_HEADERS

    answer = client.post(
        "/admin/tokens",
        json={"locationId": shop.location_id, "scopes": ["contacts.readonly"]},
        headers=ADMIN_HEADERS,
    )

    assert answer.status_code == 201
    assert answer.json()["scopes"] == ["contacts.readonly"]


# ---- upsert -----------------------------------------------------------------------------------


def test_upsert_creates_then_matches_by_email_then_by_phone(app, shop):
    made = upsert(shop, firstName="Ann", email="ann@example.com")
    assert made.status_code == 200
    assert made.json()["new"] is True
    ann = made.json()["contact"]

    by_email = upsert(shop, email="ANN@EXAMPLE.COM", phone="+12125551234", city="Oslo")
    by_phone = upsert(shop, phone="(212) 555-1234", lastName="Lee")

    assert by_email.json()["new"] is False
    assert by_email.json()["contact"]["id"] == ann["id"]
    assert by_email.json()["contact"]["city"] == "Oslo"
    assert by_email.json()["contact"]["email"] == "ANN@EXAMPLE.COM"
    assert by_phone.json()["new"] is False
    assert by_phone.json()["contact"]["id"] == ann["id"]
    assert by_phone.json()["contact"]["name"] == "Ann Lee"
    assert stored_contacts(app, shop) == 1


def test_upsert_prefers_the_email_match_and_leaves_out_a_phone_another_contact_has(shop):
    ann = created(shop, firstName="Ann", email="ann@example.com")
    bob = created(shop, firstName="Bob", phone="+12125551234")

    response = upsert(shop, email="ann@example.com", phone="+12125551234", city="Rome")

    assert response.json()["new"] is False
    contact = response.json()["contact"]
    assert contact["id"] == ann["id"]
    assert contact["city"] == "Rome"
    assert "phone" not in contact
    assert shop.get(f"/contacts/{bob['id']}").json()["contact"]["phone"] == "+12125551234"


def test_upsert_creates_a_duplicate_only_when_asked_and_allowed(app, shop):
    ann = created(shop, email="ann@example.com")

    asked = upsert(shop, email="ann@example.com", createNewIfDuplicateAllowed=True)
    assert asked.json()["new"] is False
    assert asked.json()["contact"]["id"] == ann["id"]

    set_location(app, shop, allow_duplicate_contacts=True)
    allowed = upsert(shop, email="ann@example.com", createNewIfDuplicateAllowed=True)
    assert allowed.json()["new"] is True
    assert allowed.json()["contact"]["id"] != ann["id"]


def test_upsert_refusals(shop, rival):
    assert shop.post("/contacts/upsert", json={}).json() == bad_request(
        "locationId should not be empty"
    )
    assert upsert(shop, phone="12").json() == bad_request(US_PHONE)
    assert upsert(shop, email="x@").json() == bad_request("email must be an email")
    assert (
        shop.post("/contacts/upsert", json={"locationId": rival.location_id}).json()
        == OTHER_LOCATION
    )


# ---- the duplicate lookup -------------------------------------------------------------------


def test_the_duplicate_lookup_finds_by_email_first_then_by_number(shop):
    ann = created(shop, firstName="Ann", email="ann@example.com")
    bob = created(shop, firstName="Bob", phone="+12125551234")

    def lookup(**params):
        response = shop.get(
            "/contacts/search/duplicate", params={"locationId": shop.location_id, **params}
        )
        assert response.status_code == 200, response.text
        return response.json()["contact"]

    assert lookup(email="Ann@Example.com") == ann
    assert lookup(number="+12125551234") == bob
    assert lookup(number="2125551234") == bob
    assert lookup(number=" 12125551234") == bob  # `+` sent unencoded arrives as a space
    assert lookup(email="ann@example.com", number="+12125551234") == ann
    assert lookup(email="nobody@example.com", number="+12125551234") == bob
    assert lookup(email="nobody@example.com") is None


def test_the_duplicate_lookup_refusals(shop, rival):
    path = "/contacts/search/duplicate"

    assert shop.get(path, params={"locationId": shop.location_id}).json() == bad_request(
        "email or number should not be empty"
    )
    assert shop.get(path, params={"email": "a@b.co"}).json() == bad_request(
        "locationId should not be empty"
    )
    assert shop.get(
        path, params={"locationId": shop.location_id, "number": "12"}
    ).json() == bad_request(US_PHONE.replace("phone must", "number must"))
    assert shop.get(
        path, params={"locationId": shop.location_id, "email": "nope"}
    ).json() == bad_request("email must be an email")
    assert (
        shop.get(path, params={"locationId": rival.location_id, "email": "a@b.co"}).json()
        == OTHER_LOCATION
    )


# ---- tags -------------------------------------------------------------------------------------


def test_tags_are_added_and_removed_idempotently(shop, frozen):
    contact = created(shop, tags=["one"])
    path = f"/contacts/{contact['id']}"
    frozen("2026-03-01T00:00:00Z")

    added = shop.post(f"{path}/tags", json={"tags": ["Two", "one", " three "]})
    again = shop.post(f"{path}/tags", json={"tags": ["two"]})
    removed = shop.request("DELETE", f"{path}/tags", json={"tags": ["ONE", "absent"]})
    removed_again = shop.request("DELETE", f"{path}/tags", json={"tags": ["one"]})

    assert added.status_code == 201
    assert added.json() == {"tags": ["one", "two", "three"]}
    assert again.status_code == 201
    assert again.json() == {"tags": ["one", "two", "three"]}
    assert removed.status_code == 200
    assert removed.json() == {"tags": ["two", "three"]}
    assert removed_again.json() == {"tags": ["two", "three"]}
    stored = shop.get(path).json()["contact"]
    assert stored["tags"] == ["two", "three"]
    assert stored["dateUpdated"] == "2026-03-01T00:00:00.000Z"


def test_a_contact_holds_at_most_100_tags(shop):
    contact = created(shop, tags=[f"t{n}" for n in range(99)])
    path = f"/contacts/{contact['id']}/tags"

    assert shop.post(path, json={"tags": ["t0", "new"]}).status_code == 201
    refused = shop.post(path, json={"tags": ["one more"]})

    assert refused.json() == bad_request("a contact can have no more than 100 tags")
    assert len(shop.get(f"/contacts/{contact['id']}").json()["contact"]["tags"]) == 100


def test_tags_body_refusals(shop):
    path = f"/contacts/{created(shop)['id']}/tags"

    assert shop.post(path, json={}).json() == bad_request("tags should not be empty")
    assert shop.post(path, json={"tags": "a"}).json() == bad_request("tags must be an array")
    assert shop.post(path, json={"tags": [1]}).json() == bad_request("tags.0 must be a string")


def test_the_tag_index_follows_every_change(app, shop):
    contact = created(shop, tags=["a", "b"])
    shop.put(f"/contacts/{contact['id']}", json={"tags": ["b", "c"]})
    shop.post(f"/contacts/{contact['id']}/tags", json={"tags": ["d"]})
    shop.request("DELETE", f"/contacts/{contact['id']}/tags", json={"tags": ["b"]})

    with app.state.db.read() as session:
        indexed = set(
            session.scalars(select(ContactTag.tag).where(ContactTag.contact_id == contact["id"]))
        )
    assert indexed == {"c", "d"}


# ---- search -----------------------------------------------------------------------------------


@pytest.fixture
def people(shop, frozen):
    """Four contacts a minute apart, and one deleted."""
    made = {}
    rows = [
        ("ann", {"firstName": "Ann", "lastName": "Lee", "email": "ann@example.com",
                 "phone": "+12125550001", "tags": ["vip", "north"]}),
        ("bob", {"firstName": "Bob", "lastName": "Stone", "email": "bob@test.org",
                 "tags": ["north"]}),
        ("cid", {"firstName": "Cid", "email": "cid@example.com", "phone": "+12125550003"}),
        ("dee", {"firstName": "dee", "lastName": "Lee", "tags": ["vip"]}),
        ("gone", {"firstName": "Gone", "email": "gone@example.com", "tags": ["vip"]}),
    ]  # fmt: skip
    for minute, (key, fields) in enumerate(rows):
        frozen(f"2026-02-27T12:0{minute}:00Z")
        made[key] = created(shop, **fields)["id"]
    shop.delete(f"/contacts/{made.pop('gone')}")
    return made


def test_search_without_filters_answers_the_newest_first_with_the_total(shop, people):
    response = search(shop)

    assert response.json()["total"] == 4
    assert found_ids(response) == [people[k] for k in ("dee", "cid", "bob", "ann")]
    first = response.json()["contacts"][0]
    assert first["searchAfter"] == [1772193780000, people["dee"]]
    assert {k: v for k, v in first.items() if k != "searchAfter"} == shop.get(
        f"/contacts/{people['dee']}"
    ).json()["contact"]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ([{"field": "email", "operator": "eq", "value": "ANN@example.com"}], ["ann"]),
        ([{"field": "email", "operator": "contains", "value": "@example"}], ["cid", "ann"]),
        ([{"field": "email", "operator": "not_contains", "value": "example"}], ["dee", "bob"]),
        ([{"field": "email", "operator": "not_exists"}], ["dee"]),
        ([{"field": "email", "operator": "exists"}], ["cid", "bob", "ann"]),
        ([{"field": "phone", "operator": "eq", "value": "(212) 555-0003"}], ["cid"]),
        ([{"field": "phone", "operator": "not_eq", "value": "+12125550003"}],
         ["dee", "bob", "ann"]),
        ([{"field": "phone", "operator": "exists"}], ["cid", "ann"]),
        ([{"field": "firstNameLowerCase", "operator": "eq", "value": "Dee"}], ["dee"]),
        ([{"field": "lastNameLowerCase", "operator": "eq", "value": "lee"}], ["dee", "ann"]),
        ([{"field": "lastNameLowerCase", "operator": "not_eq", "value": "lee"}], ["cid", "bob"]),
        ([{"field": "tags", "operator": "eq", "value": "VIP"}], ["dee", "ann"]),
        ([{"field": "tags", "operator": "eq", "value": ["vip", "north"]}], ["dee", "bob", "ann"]),
        ([{"field": "tags", "operator": "not_eq", "value": "vip"}], ["cid", "bob"]),
        ([{"field": "tags", "operator": "not_exists"}], ["cid"]),
        ([{"field": "id", "operator": "eq", "value": "@bob"}], ["bob"]),
        (
            [{"field": "dateAdded", "operator": "range",
              "value": {"gte": "2026-02-27T12:01:00Z", "lt": 1772193780000}}],
            ["cid", "bob"],
        ),
        (
            [{"field": "tags", "operator": "eq", "value": "north"},
             {"field": "lastNameLowerCase", "operator": "eq", "value": "lee"}],
            ["ann"],
        ),
        (
            [{"group": "OR", "filters": [
                {"field": "firstNameLowerCase", "operator": "eq", "value": "bob"},
                {"group": "AND", "filters": [
                    {"field": "tags", "operator": "eq", "value": "vip"},
                    {"field": "email", "operator": "not_exists"}]}]}],
            ["dee", "bob"],
        ),
    ],
)  # fmt: skip
def test_search_filters(shop, people, filters, expected):
    for item in filters:
        if item.get("field") == "id":
            item["value"] = people[item["value"][1:]]

    response = search(shop, filters=filters)

    assert found_ids(response) == [people[key] for key in expected]
    assert response.json()["total"] == len(expected)


def test_search_free_text_matches_names_emails_and_phone_digits(shop, people):
    assert found_ids(search(shop, query="LEE")) == [people["dee"], people["ann"]]
    assert found_ids(search(shop, query="test.org")) == [people["bob"]]
    assert found_ids(search(shop, query="555-0003")) == [people["cid"]]


def test_search_sorts_pages_and_reads_on_after_a_contact(shop, people):
    by_name = [{"field": "firstNameLowerCase", "direction": "asc"}]

    first = search(shop, pageLimit=3, sort=by_name)
    second = search(shop, pageLimit=3, page=2, sort=by_name)
    after = search(
        shop, pageLimit=3, sort=by_name, searchAfter=first.json()["contacts"][-1]["searchAfter"]
    )
    last_first = search(shop, pageLimit=2, sort=[{"field": "dateAdded", "direction": "asc"}])

    assert found_ids(first) == [people[k] for k in ("ann", "bob", "cid")]
    assert first.json()["total"] == 4
    assert first.json()["contacts"][0]["searchAfter"] == ["ann", people["ann"]]
    assert found_ids(second) == [people["dee"]]
    assert found_ids(after) == [people["dee"]]
    assert found_ids(last_first) == [people["ann"], people["bob"]]


def test_search_reads_only_the_location_s_live_contacts(shop, rival, people):
    created(rival, firstName="Ann", email="ann@example.com")

    response = search(shop, query="ann")

    assert found_ids(response) == [people["ann"]]


@pytest.mark.parametrize(
    ("body", "messages"),
    [
        ({"pageLimit": None}, ["pageLimit must be an integer number"]),
        ({"pageLimit": 0}, ["pageLimit must not be less than 1"]),
        ({"pageLimit": 501}, ["pageLimit must not be greater than 500"]),
        ({"pageLimit": 500, "page": 21},
         ["page x pageLimit must not be greater than 10000: read further with searchAfter"]),
        ({"page": 2, "searchAfter": [1, "x"]}, ["page must not be given with searchAfter"]),
        ({"searchAfter": ["x", "y"]},
         ["searchAfter must be [sort value, id] as answered: a number and a contact id"]),
        ({"sort": [{"field": "city"}]},
         ["sort.0.field must be one of the following values: dateAdded, dateUpdated, "
          "firstNameLowerCase, lastNameLowerCase, email"]),
        ({"query": "q" * 76}, ["query must be shorter than or equal to 75 characters"]),
        ({"filters": [{"field": "city", "operator": "eq", "value": "Oslo"}]},
         ["filters.0.field must be one of the following values: id, email, firstNameLowerCase, "
          "lastNameLowerCase, phone, tags, dateAdded, dateUpdated"]),
        ({"filters": [{"field": "email", "operator": "like", "value": "x"}]},
         ["filters.0.operator must be one of the following values: eq, not_eq, contains, "
          "not_contains, exists, not_exists, range"]),
        ({"filters": [{"field": "email", "operator": "range", "value": {"gte": 1}}]},
         ["filters.0.operator range is not supported for email (supported: eq, not_eq, "
          "contains, not_contains, exists, not_exists)"]),
        ({"filters": [{"field": "email", "operator": "eq"}]},
         ["filters.0.value should not be empty"]),
        ({"filters": [{"field": "email", "operator": "eq", "value": 5}]},
         ["filters.0.value must be a string"]),
        ({"filters": [{"field": "email", "operator": "eq", "value": "x" * 76}]},
         ["filters.0.value must be shorter than or equal to 75 characters"]),
        ({"filters": [{"field": "phone", "operator": "eq", "value": "12"}]},
         [US_PHONE.replace("phone must", "filters.0.value must")]),
        ({"filters": [{"field": "dateAdded", "operator": "range", "value": {"after": 1}}]},
         ["filters.0.value must be an object with gte, gt, lte or lt"]),
        ({"filters": [{"field": "dateAdded", "operator": "range", "value": {"gte": "soon"}}]},
         ["filters.0.value.gte must be an ISO 8601 time (2021-06-23T03:30:00+05:30) or epoch "
          "milliseconds"]),
        ({"filters": [{"field": "tags", "operator": "eq", "value": ["a"] * 21}]},
         ["filters.0.value must be a string or an array of 1 to 20 strings"]),
        ({"filters": ["email"]}, ["filters.0 must be an object"]),
        ({"filters": [{"group": "XOR", "filters": []}]},
         ["filters.0.group must be one of the following values: AND, OR"]),
        ({"filters": [{"group": "OR", "filters": []}]}, ["filters.0.filters should not be empty"]),
        ({"filters": [{"group": "OR", "filters": [{"group": "OR", "filters": [
            {"group": "OR", "filters": [{"field": "email", "operator": "exists"}]}]}]}]},
         ["filters.0.filters.0.filters.0 must not nest groups more than 3 deep"]),
        ({"filters": [{"group": "OR", "filters": [{"field": "email", "operator": "exists"}] * 50},
                      {"field": "email", "operator": "exists"}]},
         ["filters must contain no more than 50 filters and groups in all"]),
        ({"filters": [{"group": "OR", "filters": [7] * 1000}]},
         ["filters.0.filters.0 must be an object", "filters.0.filters.1 must be an object"]
         + [f"filters.0.filters.{n} must be an object" for n in range(2, 49)]
         + ["filters must contain no more than 50 filters and groups in all"]),
        ({"filters": [{"field": ["email"], "operator": {"eq": 1}, "value": "x"}]},
         ["filters.0.field must be one of the following values: id, email, firstNameLowerCase, "
          "lastNameLowerCase, phone, tags, dateAdded, dateUpdated"]),
        ({"filters": [{"field": "x"}, {"field": "email", "operator": "eq", "value": 1}]},
         ["filters.0.field must be one of the following values: id, email, firstNameLowerCase, "
          "lastNameLowerCase, phone, tags, dateAdded, dateUpdated",
          "filters.1.value must be a string"]),
    ],
)  # fmt: skip
def test_search_refusals_name_each_problem(shop, body, messages):
    payload = {"pageLimit": 20, **body}
    if payload["pageLimit"] is None:
        del payload["pageLimit"]
        messages = ["pageLimit should not be empty"]

    response = shop.post("/contacts/search", json={"locationId": shop.location_id, **payload})

    assert response.status_code == 400
    assert response.json() == bad_request(*messages)


def test_search_names_the_token_s_location(shop, rival):
    response = rival.post("/contacts/search", json={"locationId": shop.location_id, "pageLimit": 1})

    assert response.json() == OTHER_LOCATION


# ---- a contact's appointments -------------------------------------------------------------------


def book(tenant, calendar_id, contact_id, start, **fields):
    response = tenant.post(
        "/calendars/events/appointments",
        json={
            "calendarId": calendar_id,
            "locationId": tenant.location_id,
            "contactId": contact_id,
            "startTime": start,
            "ignoreFreeSlotValidation": True,
            **fields,
        },
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_a_contact_s_appointments_by_start(shop):
    calendar = shop.post(
        "/calendars/",
        json={
            "locationId": shop.location_id,
            "name": "Consult",
            "calendarType": "personal",
            "teamMembers": [{"userId": "ann"}],
        },
    ).json()["calendar"]
    contact = created(shop, firstName="Ann", email="ann@example.com")
    other = created(shop, firstName="Bob", email="bob@example.com")
    later = book(shop, calendar["id"], contact["id"], "2026-03-03T10:00:00-05:00", title="Later")
    sooner = book(shop, calendar["id"], contact["id"], "2026-03-02T09:00:00-05:00", title="Sooner")
    gone = book(shop, calendar["id"], contact["id"], "2026-03-04T09:00:00-05:00")
    book(shop, calendar["id"], other["id"], "2026-03-02T11:00:00-05:00")
    assert shop.delete(f"/calendars/events/{gone['id']}").status_code == 200
    cancelled = shop.put(
        f"/calendars/events/appointments/{later['id']}", json={"appointmentStatus": "cancelled"}
    )
    assert cancelled.status_code == 200, cancelled.text

    response = shop.get(f"/contacts/{contact['id']}/appointments")

    assert response.status_code == 200
    events = response.json()["events"]
    assert [event["id"] for event in events] == [sooner["id"], later["id"]]
    assert events[0] == shop.get(f"/calendars/events/appointments/{sooner['id']}").json()["event"]
    assert events[0]["startTime"] == "2026-03-02T09:00:00-05:00"
    assert events[0]["contactId"] == contact["id"]
    assert (events[1]["status"], events[1]["appointmentStatus"]) == ("cancelled", "cancelled")
    assert shop.get(f"/contacts/{other['id']}/appointments").json()["events"][0]["title"] != (
        "Sooner"
    )


def test_an_appointment_keeps_the_id_of_a_deleted_contact(shop):
    calendar = shop.post(
        "/calendars/",
        json={
            "locationId": shop.location_id,
            "name": "Consult",
            "calendarType": "personal",
            "teamMembers": [{"userId": "ann"}],
        },
    ).json()["calendar"]
    contact = created(shop, email="ann@example.com")
    appointment = book(shop, calendar["id"], contact["id"], "2026-03-02T09:00:00-05:00")

    shop.delete(f"/contacts/{contact['id']}")

    assert shop.get(f"/contacts/{contact['id']}/appointments").json() == NOT_FOUND
    event = shop.get(f"/calendars/events/appointments/{appointment['id']}").json()["event"]
    assert event["contactId"] == contact["id"]


def test_nul_characters_are_refused_before_anything_is_written(app, shop):
    response = create(shop, firstName="A\u0000B")

    assert response.json() == bad_request("firstName must not contain NUL characters")
    assert stored_contacts(app, shop) == 0


def test_contains_matches_literally(shop):
    underscore = created(shop, email="a_b@example.com")
    created(shop, email="axb@example.com")
    percent = created(shop, firstName="100%")
    created(shop, firstName="1000")

    by_email = search(shop, filters=[{"field": "email", "operator": "contains", "value": "a_b"}])
    by_name = search(
        shop, filters=[{"field": "firstNameLowerCase", "operator": "contains", "value": "0%"}]
    )

    assert found_ids(by_email) == [underscore["id"]]
    assert found_ids(by_name) == [percent["id"]]


def test_adding_a_tag_the_contact_has_changes_nothing(shop, frozen):
    contact = created(shop, tags=["a"])
    frozen("2026-03-01T00:00:00Z")

    assert shop.post(f"/contacts/{contact['id']}/tags", json={"tags": ["A"]}).json() == {
        "tags": ["a"]
    }
    assert shop.get(f"/contacts/{contact['id']}").json() == {"contact": contact}


@pytest.mark.parametrize(
    "value",
    ["18446744073709551616", "-9223372036854775809", "1e400", '{"file": {"size": 1e999}}',
     '{"a": [1, {"b": -1e999}]}', '{"a": {"b": 99999999999999999999999}}'],
)  # fmt: skip
def test_custom_values_the_databases_could_not_store_are_refused(app, shop, value):
    body = (
        f'{{"locationId": "{shop.location_id}", '
        f'"customFields": [{{"id": "f", "fieldValue": {value}}}]}}'
    )
    response = shop.post("/contacts/", content=body, headers={"Content-Type": "application/json"})

    assert response.status_code == 400
    assert response.json() == bad_request(
        "customFields.0 fieldValue must be a string, a number, a boolean, an array of strings "
        "or an object (numbers finite, integers of at most 64 bits)"
    )
    assert stored_contacts(app, shop) == 0


@pytest.mark.parametrize(
    ("sort", "after"),
    [
        ([], [2**64, "x"]),
        ([], [True, "x"]),
        ([], [1, 2]),
        ([], [1, "x" * 1001]),
        ([{"field": "email"}], [1, "x"]),
    ],
)
def test_search_after_must_fit_the_sort(shop, sort, after):
    response = search(shop, sort=sort, searchAfter=after)

    kind = "a string" if sort else "a number"
    assert response.json() == bad_request(
        f"searchAfter must be [sort value, id] as answered: {kind} and a contact id"
    )


def test_null_tags_and_custom_fields_clear_them_absent_ones_stay(shop):
    contact = created(shop, tags=["a"], customFields=[{"id": "f", "fieldValue": "x"}])
    path = f"/contacts/{contact['id']}"

    kept = shop.put(path, json={"city": "Oslo"}).json()["contact"]
    cleared = shop.put(path, json={"tags": None, "customFields": None}).json()["contact"]

    assert (kept["tags"], kept["customFields"]) == (["a"], [{"id": "f", "value": "x"}])
    assert (cleared["tags"], cleared["customFields"]) == ([], [])
