"""A municipality added in the admin takes its time zone, emergency number and (for unit costs) its
currency from its country, not South Africa's; a country with several zones asks for one."""

import pytest

from heatmaps.models import CategoryCost
from triage.issues.models import Category
from wards.models import Municipality

pytestmark = pytest.mark.django_db

ADD = "/admin/wards/municipality/add/"


def add_form(**fields):
    data = {"code": "KE-NBO", "name": "Nairobi", "boundary_source": "wards", "country": "KE",
            "timezone": "", "emergency_number": "", "colour": "#1f5f8b", "display_name": "",
            "customer_care_number": "", "customer_care_email": "", "boundary": "", "default_language": "en"}
    data.update(fields)
    return data


def test_a_new_municipality_takes_its_countrys_time_zone_and_emergency_number(admin_client):
    response = admin_client.post(ADD, add_form())
    assert response.status_code == 302, response.context["adminform"].form.errors
    nairobi = Municipality.objects.get(code="KE-NBO")
    assert (nairobi.timezone, nairobi.emergency_number) == ("Africa/Nairobi", "999")


def test_a_country_with_several_time_zones_asks_which_and_given_values_stay(admin_client):
    response = admin_client.post(ADD, add_form(code="US-LA", name="Los Angeles", country="US"))
    assert response.status_code == 200
    assert "US has" in str(response.context["adminform"].form.errors["timezone"])
    response = admin_client.post(ADD, add_form(code="US-LA", name="Los Angeles", country="US",
                                               timezone="America/Los_Angeles", emergency_number="911"))
    assert response.status_code == 302
    assert Municipality.objects.get(code="US-LA").timezone == "America/Los_Angeles"


def test_a_unit_cost_without_a_currency_takes_the_municipalitys(admin_client):
    admin_client.post(ADD, add_form(code="US-LA", name="Los Angeles", country="US", timezone="America/Los_Angeles"))
    potholes = Category.objects.create(municipality=Municipality.objects.get(code="US-LA"), code="pothole",
                                       name="Pothole")
    response = admin_client.post("/admin/heatmaps/categorycost/add/", {
        "category": potholes.pk, "unit_cost": "420.00", "currency": "", "note": ""})
    assert response.status_code == 302
    assert CategoryCost.objects.get(category=potholes).currency == "USD"
