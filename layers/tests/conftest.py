"""Fixtures for the layer tests: people of each kind, and a staff-only layer declared the way an
app would declare one."""

import pytest

from layers.registry import Layer, registry
from wards.models import Ward


@pytest.fixture(autouse=True)
def fresh_tile_cache():
    """Aggregated tiles are cached a minute per process: each test starts without another's."""
    from django.core.cache import caches

    caches["per_process"].clear()
    yield
    caches["per_process"].clear()


@pytest.fixture
def staff_client(django_user_model):
    """A client of its own, logged in as a GIS analyst: a test may hold it beside the anonymous `client`."""
    from django.contrib.auth.models import Group
    from django.test import Client

    analyst = django_user_model.objects.create_user("gis@lesedi.example", "a-long-passphrase", is_staff=True)
    analyst.groups.add(Group.objects.get(name="GIS analyst"))
    staff = Client()
    staff.force_login(analyst)
    return staff


@pytest.fixture
def resident_client(django_user_model):
    from django.test import Client

    resident = Client()
    resident.force_login(django_user_model.objects.create_user("resident@example.org", "a-long-passphrase"))
    return resident


@pytest.fixture
def staff_only_layer():
    """Wards as a staff-only layer with a time (when their demarcation was imported)."""
    layer = registry.register(Layer(
        key="ward-imports", title="Ward imports (staff)", queryset=lambda: Ward.objects.all(), geometry="geom",
        properties={"code": "code", "year": "boundary_set__year"}, datetime_field="boundary_set__imported_at",
        public=False,
    ))
    yield layer
    registry.unregister(layer.key)


# --- issues, for the issue layers ----------------------------------------------------------------
# A point in Heidelberg (Lesedi ward 8 of 2011) and the reporter details no public layer may carry.
HEIDELBERG = (28.3585, -26.5040)
REPORTER = {"name": "Sipho Reporter-Ndlovu", "phone": "+27831112233", "email": "sipho.private@example.org"}
HOME_ADDRESS = "12 Voortrekker Street, Heidelberg"


@pytest.fixture
def issue_categories(lesedi):
    from triage.issues.models import Category

    return {
        "pothole": Category.objects.create(municipality=lesedi, code="pothole", name="Pothole", sla_hours=72),
        "private": Category.objects.create(municipality=lesedi, code="unsafe-premises", name="Unsafe premises",
                                           is_private=True),
    }


@pytest.fixture
def reported_issues(issue_categories, django_user_model):
    """Four issues filed through intake: anonymous with contact details, by an account, in a private
    category (at a home address), and a duplicate of the first."""
    from django.contrib.gis.geos import Point

    from triage.intake.services import Report, issue_create
    from triage.issues.models import Issue

    resident = django_user_model.objects.create_user("thandi@example.org", "a-long-passphrase",
                                                     full_name="Thandi Mokoena", phone="+27821234567",
                                                     home_address="7 Private Road, Ratanda")

    def file(category, *, lon_offset=0.0, **fields):
        location = Point(HEIDELBERG[0] + lon_offset, HEIDELBERG[1], srid=4326)
        return issue_create(report=Report(category=category, location=location, **fields)).issue

    anonymous = file(issue_categories["pothole"], reporter_name=REPORTER["name"], reporter_phone=REPORTER["phone"],
                     reporter_email=REPORTER["email"], address=HOME_ADDRESS, description="Call me on +27831112233")
    with_account = file(issue_categories["pothole"], reporter=resident, lon_offset=0.001)
    private = file(issue_categories["private"], reporter=resident, address=HOME_ADDRESS, lon_offset=0.002)
    duplicate = file(issue_categories["pothole"], reporter_name=REPORTER["name"], lon_offset=0.0001)
    Issue.objects.filter(pk=duplicate.pk).update(status="duplicate", duplicate_of=anonymous)
    return {"anonymous": anonymous, "with_account": with_account, "private": private, "duplicate": duplicate,
            "resident": resident}
