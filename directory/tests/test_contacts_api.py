"""GET /api/v1/contacts: search (words, prefixes, misspelt names in any language), kind and ward filters, bad input named."""

import pytest

from directory.services.contacts import contact_create
from directory.tests.conftest import ward

pytestmark = pytest.mark.django_db
CONTACTS = "/api/v1/contacts"


@pytest.fixture
def people(town):
    made = {}
    for number, name in ((1, "Thabo Nkosi"), (2, "Anneke van der Merwe")):
        made[name] = contact_create(municipality=town, kind="councillor", name=name, ward=ward(town, number),
                                    role=f"Ward {number} councillor", phone=f"016 492 300{number}")
    made["Ntombifuthi Zungu"] = contact_create(municipality=town, kind="committee_member", name="Ntombifuthi Zungu",
                                               ward=ward(town, 1), role="Secretary")
    made["Rates"] = contact_create(municipality=town, kind="service", name="Rates queries", role="Accounts and rates",
                                   phone="016 492 3000", wards_served=[ward(town, 2)])
    return made


def names(response):
    assert response.status_code == 200, response.content
    return [row["name"] for row in response.json()]


@pytest.mark.parametrize(("typed", "found"), [
    ("Nkozi", "Thabo Nkosi"),  # isiZulu surname, one letter wrong
    ("Ntombifuti", "Ntombifuthi Zungu"),  # a letter missing
    ("van der Merve", "Anneke van der Merwe"),  # Afrikaans, v for w
    ("merwe", "Anneke van der Merwe"),  # one word of the name
    ("nko", "Thabo Nkosi"),  # the start of a word
    ("rates", "Rates queries"),
])
def test_search_finds_names_as_typed_misspelt_or_not(people, client, typed, found):
    assert names(client.get(CONTACTS, {"municipality": "TT001", "q": typed}))[0] == found


def test_search_ranks_the_exact_name_first_and_answers_e164_with_a_display_form(people, client):
    body = client.get(CONTACTS, {"municipality": "TT001", "q": "Nkosi"}).json()
    assert body[0]["name"] == "Thabo Nkosi"
    assert body[0]["phone"] == "+27164923001" and body[0]["phone_display"] == "016 492 3001"
    assert body[0]["ward"]["number"] == 1 and body[0]["ward"]["year"] == 2021


def test_filters_by_kind_and_by_ward(people, client):
    assert names(client.get(CONTACTS, {"municipality": "TT001", "kind": "committee_member"})) == ["Ntombifuthi Zungu"]
    assert set(names(client.get(CONTACTS, {"municipality": "TT001", "ward": "2"}))) == {"Anneke van der Merwe", "Rates queries"}
    assert set(names(client.get(CONTACTS, {"ward": "99900001"}))) == {"Thabo Nkosi", "Ntombifuthi Zungu"}


@pytest.mark.parametrize(("params", "field"), [
    ({"kind": "mayor"}, "kind"),
    ({"municipality": "NOPE"}, "municipality"),
    ({"ward": "3"}, "ward"),  # a number without a municipality
    ({"municipality": "TT001", "ward": "7"}, "ward"),
    ({"limit": "0"}, "limit"),
])
def test_bad_filters_are_400_naming_the_parameter(people, client, params, field):
    response = client.get(CONTACTS, params)
    assert response.status_code == 400
    assert field in response.json()


def test_unpublished_contacts_are_not_listed(people, client):
    people["Rates"].is_published = False
    people["Rates"].save()
    assert "Rates queries" not in names(client.get(CONTACTS, {"municipality": "TT001"}))


def test_the_list_is_one_query(people, client, django_assert_num_queries):
    with django_assert_num_queries(2):  # the municipality, then the contacts with their wards
        client.get(CONTACTS, {"municipality": "TT001", "q": "ward"})
