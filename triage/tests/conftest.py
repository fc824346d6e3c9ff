"""Categories, departments and assets on the real Lesedi wards, for the triage tests."""

import pytest
from django.contrib.gis.geos import Point

from accounts.models import Department, User
from assets.models import Asset, AssetType
from triage.models import Category, Question

# A point in Heidelberg (Lesedi ward 8 of 2011, by the Demarcation Board's polygon).
HEIDELBERG = Point(28.3585, -26.5040, srid=4326)


@pytest.fixture
def roads(lesedi):
    return Department.objects.create(municipality=lesedi, code="roads", name="Roads and Stormwater",
                                     email="roads@lesedi.example")


@pytest.fixture
def streetlights(lesedi):
    return AssetType.objects.create(municipality=lesedi, code="streetlight", name="Streetlight", geometry_kind="point")


@pytest.fixture
def pothole(lesedi, roads):
    category = Category.objects.create(municipality=lesedi, code="pothole", name="Pothole", group="Roads",
                                       default_department=roads, sla_hours=72)
    Question.objects.create(category=category, code="size", prompt="How big is it?", datatype="singlevaluelist",
                            required=True, choices=[{"key": "small", "name": "Small"}, {"key": "large", "name": "Large"}])
    Question.objects.create(category=category, code="depth", prompt="Depth in cm", datatype="number")
    return category


@pytest.fixture
def streetlight_out(lesedi, roads, streetlights):
    return Category.objects.create(municipality=lesedi, code="streetlight-out", name="Streetlight not working",
                                   default_department=roads, asset_type=streetlights, snap_radius_m=30, sla_hours=48)


@pytest.fixture
def private_category(lesedi):
    return Category.objects.create(municipality=lesedi, code="unsafe-premises", name="Unsafe premises",
                                   is_private=True)


@pytest.fixture
def dispatcher(lesedi):
    from django.contrib.auth.models import Group

    user = User.objects.create_user("dispatch@lesedi.example", "pw-dispatch-1", full_name="Dora Dispatcher",
                                    municipality=lesedi, is_staff=True)
    user.groups.add(Group.objects.get(name="dispatcher"))
    return user


@pytest.fixture
def resident(db):
    return User.objects.create_user("thandi@example.org", "pw-resident-1", full_name="Thandi Mokoena",
                                    phone="+27821234567")


def streetlight_at(asset_type, point: Point, external_id: str) -> Asset:
    return Asset.objects.create(asset_type=asset_type, municipality=asset_type.municipality,
                                external_id=external_id, geom=point)
