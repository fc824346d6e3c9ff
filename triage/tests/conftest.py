"""Categories, departments and assets on the real Lesedi wards, for the triage tests."""

import pytest
from django.contrib.gis.geos import Point

from accounts.models import Department, User
from assets.models import Asset, AssetType
from triage.issues.models import Category, Question

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


@pytest.fixture
def department_staff(lesedi, roads):
    """A member of Roads and Stormwater with the department staff role."""
    from django.contrib.auth.models import Group

    user = User.objects.create_user("worker@lesedi.example", "pw-worker-1", full_name="Wandile Worker",
                                    municipality=lesedi, is_staff=True)
    user.groups.add(Group.objects.get(name="department staff"))
    user.departments.add(roads)
    return user


@pytest.fixture
def neighbour(lesedi):
    """A second municipality drawn over the same ground as Lesedi (its boundary copied), so issues in
    both can stand on the same spot: nothing of one may reach the other."""
    from wards.models import Municipality

    return Municipality.objects.create(code="XX999", name="Neighbour", boundary=lesedi.boundary)


def spread_copies(issue, count: int, *, degrees: float = 0.2) -> None:
    """`count` copies of the issue scattered over a box `degrees` wide around it, then ANALYZE:
    enough rows that a plan test shows what a real table gets, not a tiny table's shortcut."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(0.3)")
        cursor.execute(
            """
            INSERT INTO triage_issue (municipality_id, reference, token, tracking_key, category_id, kind, location,
                address, description, answers, media_url, channel, external_id, reporter_name, reporter_phone,
                reporter_email, ward_id, suburb_id, department_id, priority, status, status_note, rejection_reason,
                upvotes, created_at, updated_at, expected_at)
            SELECT municipality_id, reference || '-C' || n, gen_random_uuid(), tracking_key, category_id, kind,
                   ST_SetSRID(ST_MakePoint(ST_X(location) + (random() - 0.5) * %(d)s,
                                           ST_Y(location) + (random() - 0.5) * %(d)s), 4326),
                   address, description, answers, media_url, channel, external_id, '', '', '', ward_id, suburb_id,
                   department_id, priority, status, status_note, rejection_reason, upvotes, created_at, updated_at,
                   expected_at
              FROM triage_issue, generate_series(1, %(n)s) AS n WHERE id = %(id)s
            """,
            {"d": degrees, "n": count, "id": issue.pk},
        )
        cursor.execute("ANALYZE triage_issue")
