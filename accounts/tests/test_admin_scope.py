"""A municipal administrator manages the people of their own municipality, below their own role,
and can never make anyone (themselves included) a superuser."""

import pytest
from django.contrib.auth.models import Group
from django.contrib.gis.geos import MultiPolygon, Polygon
from django.test import Client

from accounts.models import User
from wards.models import Municipality

pytestmark = pytest.mark.django_db
PASSWORD = "pw-admin-scope-1"


@pytest.fixture
def places():
    def place(code, x):
        return Municipality.objects.create(code=code, name=code,
                                           boundary=MultiPolygon(Polygon.from_bbox((x, -26, x + 0.1, -25.9)), srid=4326))
    return place("AA001", 28.0), place("BB002", 29.0)


def person(email, municipality, *roles, **fields):
    user = User.objects.create_user(email, PASSWORD, municipality=municipality, is_staff=True, **fields)
    for role in roles:
        user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def administrator(places):
    return person("admin@aa.example", places[0], "municipal administrator")


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def change_form(user, **changes) -> dict:
    form = {"email": user.email, "phone": user.phone or "", "full_name": user.full_name, "home_address": "",
            "is_active": "on", "groups": [str(group.pk) for group in user.groups.all()],
            "departments": [], "municipality": user.municipality_id or ""}
    form.update(changes)
    return form


def test_an_administrator_cannot_make_themselves_superuser(administrator):
    client = signed_in(administrator)
    client.post(f"/admin/accounts/user/{administrator.pk}/change/",
                change_form(administrator, is_superuser="on", is_staff="on"))
    administrator.refresh_from_db()
    assert not administrator.is_superuser


def test_an_administrator_cannot_open_the_superuser_or_another_municipalitys_people(administrator, places):
    root = User.objects.create_superuser("root@platform.example", PASSWORD)
    elsewhere = person("dispatch@bb.example", places[1], "dispatcher")
    peer = person("admin2@aa.example", places[0], "municipal administrator")
    client = signed_in(administrator)
    for user in (root, elsewhere, peer):
        assert client.get(f"/admin/accounts/user/{user.pk}/change/").status_code in (302, 404), user.email
    listing = client.get("/admin/accounts/user/").content.decode()
    assert "root@platform.example" not in listing and "dispatch@bb.example" not in listing


def test_an_administrator_gives_only_roles_below_their_own(administrator, places):
    clerk = person("clerk@aa.example", places[0], "dispatcher")
    client = signed_in(administrator)
    page = client.get(f"/admin/accounts/user/{clerk.pk}/change/").content.decode()
    assert "planner" in page and ">municipal administrator<" not in page
    top = Group.objects.get(name="municipal administrator")
    client.post(f"/admin/accounts/user/{clerk.pk}/change/", change_form(clerk, groups=[str(top.pk)]))
    assert not clerk.groups.filter(name="municipal administrator").exists()
    planner = Group.objects.get(name="planner")
    response = client.post(f"/admin/accounts/user/{clerk.pk}/change/", change_form(clerk, groups=[str(planner.pk)]))
    assert response.status_code == 302
    assert list(clerk.groups.values_list("name", flat=True)) == ["planner"]


def test_a_person_an_administrator_adds_works_for_their_municipality(administrator, places):
    client = signed_in(administrator)
    response = client.post("/admin/accounts/user/add/", {"email": "new@aa.example", "phone": "",
                                                          "password1": "a-long-passphrase-9", "password2": "a-long-passphrase-9"})
    assert response.status_code == 302
    assert User.objects.get(email="new@aa.example").municipality == places[0]


def test_department_and_municipality_choices_stay_at_home(administrator, places):
    client = signed_in(administrator)
    page = client.get("/admin/accounts/department/add/").content.decode()
    assert ">AA001<" in page or "AA001" in page
    assert "BB002" not in page
    assert client.get(f"/admin/wards/municipality/{places[1].pk}/change/").status_code in (302, 404)
