"""Lesedi's real wards with its suburbs, a few categories and gazetteer names, provider accounts,
and helpers to post recorded webhook payloads (fixtures/channels/)."""

import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.gis.geos import MultiPolygon, Point, Polygon

from accounts.models import Department, User
from assets.models import Facility, FacilityType
from channels.models import Landmark, Provider, ProviderAccount
from toolkit.fixtures import FIXTURES_DIR
from triage.issues.models import Category, Question
from wards.models import Suburb

PAYLOADS = Path(FIXTURES_DIR) / "channels"
# A point in Heidelberg (Lesedi ward 8 of 2011, by the Demarcation Board's polygon).
HEIDELBERG = Point(28.3585, -26.5040, srid=4326)
# Lesedi's suburbs where the demo places them (fixtures/demo/areas.json), as small boxes.
SUBURBS = {"Heidelberg": (28.358, -26.504), "Ratanda": (28.327, -26.555), "Jameson Park": (28.405, -26.445)}


def payload(name: str):
    return json.loads((PAYLOADS / name).read_text())


@pytest.fixture
def suburbs(lesedi):
    made = {}
    for name, (lon, lat) in SUBURBS.items():
        box = Polygon.from_bbox((lon - 0.02, lat - 0.02, lon + 0.02, lat + 0.02))
        box.srid = 4326
        made[name] = Suburb.objects.create(municipality=lesedi, name=name, code=name.lower().replace(" ", "-"),
                                           geom=MultiPolygon(box, srid=4326))
    return made


@pytest.fixture
def categories(lesedi):
    roads = Department.objects.create(municipality=lesedi, code="roads", name="Roads and Stormwater")
    streetlight = Category.objects.create(municipality=lesedi, code="streetlight-out", name="Streetlight not working",
                                          group="Electricity", default_department=roads, sla_hours=48)
    pothole = Category.objects.create(municipality=lesedi, code="pothole", name="Pothole", group="Roads",
                                      default_department=roads, sla_hours=72)
    Question.objects.create(category=pothole, code="size", prompt="How big is it?", datatype="singlevaluelist",
                            required=True, choices=[{"key": "small", "name": "Small"}, {"key": "large", "name": "Large"}])
    # Ordered by group then name: 1 Streetlight not working (Electricity), 2 Pothole (Roads).
    return {"streetlight": streetlight, "pothole": pothole}


@pytest.fixture
def gazetteer(lesedi, suburbs):
    clinic = FacilityType.objects.get_or_create(code="clinic", defaults={"name": "Clinic"})[0]
    Facility.objects.create(municipality=lesedi, facility_type=clinic, external_id="t-1", name="Ratanda Clinic",
                            location=Point(28.3300, -26.5560, srid=4326))
    Landmark.objects.create(municipality=lesedi, name="Heidelberg Taxi Rank", location=Point(28.3560, -26.5020, srid=4326))
    Landmark.objects.create(municipality=lesedi, name="Engen Garage Voortrekker Street",
                            location=Point(28.3600, -26.5080, srid=4326))
    Landmark.objects.create(municipality=lesedi, name="Engen Garage Ueckermann Street",
                            location=Point(28.3520, -26.4990, srid=4326))
    return lesedi


@pytest.fixture
def simulator_sms(lesedi):
    return ProviderAccount.objects.create(municipality=lesedi, key="simulator-gt423-sms", provider=Provider.SIMULATOR,
                                          channel="sms", cost_per_message=Decimal("0.2500"),
                                          credentials={"webhook_secret": "sim-secret"})


@pytest.fixture
def staff(lesedi):
    from django.contrib.auth.models import Group

    user = User.objects.create_user("dispatch@lesedi.example", "pw-dispatch-1", full_name="Dora Dispatcher",
                                    municipality=lesedi, is_staff=True)
    user.groups.add(Group.objects.get(name="dispatcher"))
    return user


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run what the block queues for after its commit (the messages it sends), as a real commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def phone(staff_client, committed):
    """Send as a resident through the simulator API; returns the replies as one text."""

    def send(sender: str, text: str = "", **extra) -> dict:
        with committed():
            response = staff_client.post("/api/v1/channels/simulator/messages", {"from": sender, "text": text, **extra},
                                         content_type="application/json")
        assert response.status_code == 200, response.content
        body = response.json()
        body["text"] = "\n\n".join(body["replies"])
        return body

    return send



@pytest.fixture(autouse=True)
def forget_accounts():
    """Webhooks keep the accounts for a few seconds per worker; each test makes its own."""
    from django.core.cache import caches

    caches["per_process"].clear()
