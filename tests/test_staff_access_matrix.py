"""Every staff power stops at the person's municipality and, for department staff, their
departments: one table of role x action x whose issue, over REST, OGC, tiles, downloads, media and
the admin, and Open311 keys that reach only their own municipality. Each row says what a role may
do to an issue of its own department, of another department of its municipality, and of another
municipality."""

import io
import math

import mapbox_vector_tile
import pytest
from django.contrib.auth.models import Group
from django.contrib.gis.geos import MultiPolygon, Point, Polygon
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from accounts.models import Department, User
from triage.intake.services import Report, issue_create
from triage.issues.models import Category
from triage.open311.models import ApiClient
from wards.models import Municipality

pytestmark = pytest.mark.django_db
PASSWORD = "pw-matrix-1"
SECRET_EMAIL = "reporter.private@example.org"
HERE_KEY = "key-of-here-0001"

# Where each role's power reaches: "own" = an issue routed to the person's own department,
# "department" = another department's issue in their municipality, "elsewhere" = another municipality.
OWN, DEPARTMENT, ELSEWHERE = "own", "department", "elsewhere"
ROLES = ["dispatcher", "department staff", "planner", "GIS analyst", "communications officer",
         "municipal administrator"]


def square(x: float, y: float) -> MultiPolygon:
    return MultiPolygon(Polygon.from_bbox((x, y, x + 0.1, y + 0.1)), srid=4326)


@pytest.fixture
def world():
    here = Municipality.objects.create(code="AA001", name="Here", boundary=square(28.0, -26.0))
    there = Municipality.objects.create(code="BB002", name="There", boundary=square(29.0, -26.0))
    roads = Department.objects.create(municipality=here, code="roads", name="Roads")
    water = Department.objects.create(municipality=here, code="water", name="Water")
    elsewhere_roads = Department.objects.create(municipality=there, code="roads", name="Roads There")

    def issue(municipality, department, x):
        category, _ = Category.objects.get_or_create(municipality=municipality, code="pothole",
                                                     defaults={"name": "Pothole"})
        filed = issue_create(report=Report(category=category, location=Point(x, -25.95, srid=4326),
                                           reporter_email=SECRET_EMAIL, description="Deep")).issue
        filed.department = department
        filed.save(update_fields=["department"])
        return filed

    issues = {OWN: issue(here, roads, 28.05), DEPARTMENT: issue(here, water, 28.06),
              ELSEWHERE: issue(there, elsewhere_roads, 29.05)}
    ApiClient.objects.create(name="Their app", key="key-of-there-0001", municipality=there)
    ApiClient.objects.create(name="Our back office", key=HERE_KEY, municipality=here, may_post_updates=True)
    return {"here": here, "there": there, "roads": roads, "issues": issues}


def member(world, role: str) -> User:
    user = User.objects.create_user(f"{role.replace(' ', '.')}@here.example", PASSWORD, municipality=world["here"],
                                    is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    user.departments.add(world["roads"])
    return user


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def png() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "blue").save(buffer, "PNG")
    return SimpleUploadedFile("photo.png", buffer.getvalue(), content_type="image/png")


# --- the actions ------------------------------------------------------------------------------

def reads_reporter(client, issue) -> bool:
    return SECRET_EMAIL in client.get(f"/api/v1/issues/{issue.reference}").content.decode()


def writes_internal_note(client, issue) -> bool:
    return client.post(f"/api/v1/issues/{issue.reference}/comments", {"body": "Note", "internal": True}).status_code == 201


def acknowledges(client, issue) -> bool:
    return client.post(f"/api/v1/issues/{issue.reference}/status", {"status": "acknowledged"}).status_code == 200


def attaches_file(client, issue) -> bool:
    return client.post(f"/api/v1/issues/{issue.reference}/media", {"file": png()}).status_code == 201


def sees_on_board(client, issue) -> bool:
    response = client.get(f"/api/v1/board/issues/{issue.reference}")
    return response.status_code == 200


def sees_on_staff_layer(client, issue) -> bool:
    response = client.get(f"/ogc/collections/issues-staff/items/{issue.reference}")
    return response.status_code == 200


def tile_of(point, z: int) -> tuple[int, int]:
    """The Web Mercator tile (column, row) at zoom z holding a WGS 84 point."""
    column = (point.x + 180) / 360 * 2**z
    row = (1 - math.asinh(math.tan(math.radians(point.y))) / math.pi) / 2 * 2**z
    return int(column), int(row)


def sees_on_staff_tiles(client, issue) -> bool:
    z = 16  # every property from z15, the reference among them
    column, row = tile_of(issue.location, z)
    response = client.get(f"/tiles/issues-staff/{z}/{column}/{row}.mvt")
    if response.status_code != 200:
        return False
    layer = mapbox_vector_tile.decode(response.content).get("issues-staff", {"features": []})
    return any(feature["properties"].get("reference") == issue.reference for feature in layer["features"])


def downloads_on_staff_layer(client, issue) -> bool:
    response = client.get("/layers/issues-staff/download", {"format": "geojson"})
    if response.status_code != 200:
        return False
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return issue.reference in body.decode()


def opens_in_admin(client, issue) -> bool:
    return client.get(f"/admin/triage/issue/{issue.pk}/change/").status_code == 200


def reads_reporter_in_admin(client, issue) -> bool:
    response = client.get(f"/admin/triage/issue/{issue.pk}/change/")
    return response.status_code == 200 and SECRET_EMAIL in response.content.decode()


ACTIONS = {
    "reads reporter (REST)": reads_reporter,
    "writes internal note (REST)": writes_internal_note,
    "acknowledges (REST)": acknowledges,
    "attaches a file (media)": attaches_file,
    "sees it on the board": sees_on_board,
    "sees it on the staff layer (OGC)": sees_on_staff_layer,
    "sees it on the staff tiles": sees_on_staff_tiles,
    "downloads it (staff layer)": downloads_on_staff_layer,
    "opens it in the admin": opens_in_admin,
    "reads reporter in the admin": reads_reporter_in_admin,
}

# role -> action -> the reaches where the action succeeds. Nothing ever reaches another municipality.
NONE: frozenset[str] = frozenset()
ALL_HERE = frozenset({OWN, DEPARTMENT})
OWN_ONLY = frozenset({OWN})
MATRIX = {
    "dispatcher": dict.fromkeys(ACTIONS, ALL_HERE),
    "department staff": {
        "reads reporter (REST)": OWN_ONLY, "writes internal note (REST)": OWN_ONLY, "acknowledges (REST)": NONE,
        "attaches a file (media)": OWN_ONLY, "sees it on the board": OWN_ONLY,
        "sees it on the staff layer (OGC)": OWN_ONLY, "sees it on the staff tiles": OWN_ONLY,
        "downloads it (staff layer)": OWN_ONLY,
        "opens it in the admin": OWN_ONLY, "reads reporter in the admin": OWN_ONLY,
    },
    "planner": {**dict.fromkeys(ACTIONS, NONE), "sees it on the staff layer (OGC)": ALL_HERE,
                "sees it on the staff tiles": ALL_HERE, "downloads it (staff layer)": ALL_HERE,
                "opens it in the admin": ALL_HERE},
    "GIS analyst": {**dict.fromkeys(ACTIONS, NONE), "sees it on the staff layer (OGC)": ALL_HERE,
                    "sees it on the staff tiles": ALL_HERE, "downloads it (staff layer)": ALL_HERE,
                    "opens it in the admin": ALL_HERE},
    "communications officer": dict.fromkeys(ACTIONS, NONE),
    "municipal administrator": dict.fromkeys(ACTIONS, ALL_HERE),
}


@pytest.mark.parametrize("role", ROLES)
def test_each_role_reaches_exactly_its_own_issues(world, role):
    user = member(world, role)
    client = client_of(user)
    found = {}
    for action, attempt in ACTIONS.items():
        for reach in (OWN, DEPARTMENT, ELSEWHERE):
            issue = type(world["issues"][reach]).objects.get(pk=world["issues"][reach].pk)
            found[(action, reach)] = attempt(client, issue)
    expected = {(action, reach): reach in MATRIX[role][action] for action in ACTIONS
                for reach in (OWN, DEPARTMENT, ELSEWHERE)}
    wrong = sorted(f"{action} / {reach}: {'allowed' if found[(action, reach)] else 'refused'}"
                   for (action, reach) in expected if found[(action, reach)] != expected[(action, reach)])
    assert wrong == []


# --- Open311 keys and the admin's own pages ---------------------------------------------------

@pytest.mark.parametrize("role", ROLES)
def test_no_role_reads_another_municipalitys_open311_key_or_pages(world, role):
    client = client_of(member(world, role))
    there = world["there"]
    key = ApiClient.objects.get(municipality=there)
    for url in (f"/admin/triage/apiclient/{key.pk}/change/", f"/admin/wards/municipality/{there.pk}/change/",
                f"/admin/accounts/department/{Department.objects.get(municipality=there).pk}/change/"):
        response = client.get(url)
        assert response.status_code in (302, 403, 404), (url, response.status_code)
        assert "key-of-there-0001" not in response.content.decode()  # their api_key (only its digest is kept)
        assert key.key_digest not in response.content.decode()
    listing = client.get("/admin/triage/apiclient/")
    assert key.key_digest not in listing.content.decode() and "Their app" not in listing.content.decode()


def test_no_edit_through_the_admin_bypasses_the_history(world):
    client = client_of(member(world, "dispatcher"))
    issue = world["issues"][OWN]
    response = client.post(f"/admin/triage/issue/{issue.pk}/change/", {"status": "closed"})
    assert response.status_code == 403
    issue.refresh_from_db()
    assert issue.status == "submitted"


# --- Open311: an API key works for its own municipality only -----------------------------------

def posts_update(issue, update_id: str) -> bool:
    response = Client().post("/open311/v2/servicerequestupdates.json", {
        "api_key": HERE_KEY, "service_request_id": issue.reference, "update_id": update_id, "status": "IN_PROGRESS"})
    return response.status_code == 200


def files_request(municipality, x: float) -> bool:
    response = Client().post("/open311/v2/requests.json", {
        "api_key": HERE_KEY, "jurisdiction_id": municipality.code, "service_code": "pothole",
        "lat": "-25.95", "long": str(x), "description": "Filed by a back office"})
    return response.status_code == 200


def test_an_open311_key_files_and_updates_only_its_own_municipalitys_issues(world):
    elsewhere = world["issues"][ELSEWHERE]
    assert not posts_update(elsewhere, "u-there")
    elsewhere.refresh_from_db()
    assert elsewhere.status == "submitted" and not elsewhere.events.filter(action="status").exists()
    assert not files_request(world["there"], 29.05)
    assert world["there"].issues.count() == 1
    # The same key does both for its own municipality.
    assert posts_update(world["issues"][OWN], "u-here")
    assert files_request(world["here"], 28.05)
