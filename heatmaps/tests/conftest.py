"""Issues on the real Lesedi wards for the figure tests, filed through intake and moved through the
workflow with known times, and a record of what was done to each, kept in Python so the tests can
recompute every figure without asking the database."""

import datetime
import random
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import geopandas
import pytest
from django.contrib.auth.models import Group
from django.contrib.gis.geos import Point
from shapely.geometry import Point as ShapelyPoint

from accounts.models import Department, User
from assets.models import Asset, AssetType
from triage.intake import services as intake
from triage.issues import services
from triage.issues.models import Category, Channel

JOHANNESBURG = ZoneInfo("Africa/Johannesburg")
SEED = 20260501


@dataclass
class Filed:
    """What a test needs to know about one generated issue, from the generator's own hands."""

    reference: str
    lon: float
    lat: float
    category: str
    channel: str
    created_at: datetime.datetime
    acknowledged_at: datetime.datetime | None = None
    resolved_at: datetime.datetime | None = None
    closed_at: datetime.datetime | None = None
    status: str = "submitted"
    sla_hours: int | None = None
    stars: list[int] = field(default_factory=list)
    asset: str | None = None

    @property
    def ended_at(self):
        if self.status in ("submitted", "acknowledged", "assigned", "in_progress", "reopened"):
            return None
        return self.resolved_at or self.closed_at


@pytest.fixture
def departments(lesedi):
    return {code: Department.objects.create(municipality=lesedi, code=code, name=code.title())
            for code in ("roads", "electricity")}


@pytest.fixture
def categories(lesedi, departments):
    lights = AssetType.objects.create(municipality=lesedi, code="streetlight", name="Streetlight", geometry_kind="point")
    return {
        "pothole": Category.objects.create(municipality=lesedi, code="pothole", name="Pothole", sla_hours=72,
                                           default_department=departments["roads"]),
        "streetlight-out": Category.objects.create(
            municipality=lesedi, code="streetlight-out", name="Streetlight not working", sla_hours=48,
            default_department=departments["electricity"], asset_type=lights, snap_radius_m=50),
        "compliment": Category.objects.create(municipality=lesedi, code="compliment", name="Compliment",
                                              kind="compliment"),
    }


@pytest.fixture
def planner(lesedi):
    user = User.objects.create_user("planner@lesedi.example", "pw-planner-1", full_name="Pat Planner",
                                    municipality=lesedi, is_staff=True)
    user.groups.add(Group.objects.get(name="planner"))
    return user


@pytest.fixture
def planner_client(client, planner):
    client.force_login(planner)
    return client


@pytest.fixture(scope="session")
def ward_frame(lesedi_wards_file) -> geopandas.GeoDataFrame:
    """The real ward polygons read straight from the Demarcation Board file (not the database)."""
    return geopandas.read_file(lesedi_wards_file)[["WardNumber", "WardID", "geometry"]]


def random_points_inside(ward_frame, count: int, rng: random.Random) -> list[tuple[float, float]]:
    union = ward_frame.union_all()
    west, south, east, north = union.bounds
    points = []
    while len(points) < count:
        lon, lat = rng.uniform(west, east), rng.uniform(south, north)
        if union.contains(ShapelyPoint(lon, lat)):
            points.append((lon, lat))
    return points


def shared_vertex(ward_frame) -> tuple[float, float, int]:
    """A vertex on the boundary of exactly two wards, and the lower of their numbers (the rule's winner)."""
    wards = ward_frame.sort_values("WardNumber")
    first = wards.iloc[0]
    for _, other in wards.iloc[1:].iterrows():
        shared = first.geometry.boundary.intersection(other.geometry.boundary)
        parts = getattr(shared, "geoms", [shared])
        for part in parts:
            for lon, lat in getattr(part, "coords", []):
                covering = wards[wards.geometry.intersects(ShapelyPoint(lon, lat))]
                if len(covering) == 2:
                    return lon, lat, int(covering.WardNumber.min())
    raise AssertionError("no vertex is shared by exactly two wards")


def file_issues(categories, ward_frame, *, count: int = 160, days: int = 420, seed: int = SEED,
                now: datetime.datetime | None = None) -> list[Filed]:
    """File `count` issues at random points over the last `days` days, move each along the
    workflow at known times, and return what was done. Plus one issue on a shared ward vertex and
    a cluster of streetlight reports on the same light (repeat issues)."""
    rng = random.Random(seed)
    now = now or datetime.datetime.now(datetime.UTC)
    light_type = categories["streetlight-out"].asset_type
    points = random_points_inside(ward_frame, count, rng)
    lon, lat, _ = shared_vertex(ward_frame)
    points.append((lon, lat))
    light = Asset.objects.create(asset_type=light_type, municipality=light_type.municipality, external_id="SL-REPEAT",
                                 geom=Point(points[0][0], points[0][1], srid=4326))
    filed = []
    for n, (lon, lat) in enumerate(points):
        code = rng.choice(["pothole", "pothole", "streetlight-out", "compliment"])
        if n < 4:
            code = "streetlight-out"  # four reports at the repeat light's point
            lon, lat = points[0]
        category = categories[code]
        created = now - datetime.timedelta(days=rng.uniform(0.2, days), minutes=rng.randint(0, 1439))
        channel = rng.choice([Channel.WEB, Channel.API, Channel.PHONE])
        issue = intake.issue_create(report=intake.Report(category=category, location=Point(lon, lat, srid=4326),
                                                         channel=channel, description="Generated for figures"),
                                    now=created).issue
        record = Filed(issue.reference, lon, lat, code, channel, created, sla_hours=category.sla_hours,
                       asset="SL-REPEAT" if issue.asset_id == light.pk else None)
        _advance(issue, record, rng, now)
        filed.append(record)
    return filed


def _advance(issue, record: Filed, rng: random.Random, now) -> None:
    roll = rng.random()
    at = record.created_at
    if roll < 0.15:
        return  # still submitted
    at += datetime.timedelta(hours=rng.uniform(0.5, 40))
    if at >= now:
        return
    if roll < 0.22:
        services.issue_transition(issue=issue, to_status="rejected", at=at, public_note="Private property.")
        record.acknowledged_at = record.closed_at = at
        record.status = "rejected"
        return
    services.issue_transition(issue=issue, to_status="acknowledged", at=at)
    record.acknowledged_at, record.status = at, "acknowledged"
    if roll < 0.32:
        return
    at += datetime.timedelta(hours=rng.uniform(1, 200))
    if at >= now:
        return
    services.issue_transition(issue=issue, to_status="resolved", at=at)
    record.resolved_at, record.status = at, "resolved"
    if rng.random() < 0.5:
        stars = rng.randint(1, 5)
        services.issue_rate(issue=issue, stars=stars, tracking_key=issue.tracking_key)
        record.stars.append(stars)
    if rng.random() < 0.5:
        closed = at + datetime.timedelta(hours=rng.uniform(1, 100))
        if closed < now:
            services.issue_transition(issue=issue, to_status="closed", at=closed)
            record.closed_at, record.status = closed, "closed"


def ward_numbers_of(located, ward_frame) -> list[int | None]:
    """Each point's ward by geopandas: every ward whose polygon covers it (intersects, for a point),
    the lowest number wins; None outside every ward. `located` items have .lon and .lat."""
    points = geopandas.GeoDataFrame({"n": range(len(located))},
                                    geometry=[ShapelyPoint(p.lon, p.lat) for p in located], crs=ward_frame.crs)
    joined = geopandas.sjoin(points, ward_frame, predicate="intersects", how="left")
    winners = joined.groupby("n")["WardNumber"].min()
    return [None if winners[n] != winners[n] else int(winners[n]) for n in range(len(located))]


def local_day(moment: datetime.datetime | None) -> datetime.date | None:
    return moment.astimezone(JOHANNESBURG).date() if moment else None
