"""Intake: where an issue is, which asset it concerns, its reference number, its answers, retries."""

import json
import threading

import pytest
import shapely
from django.contrib.gis.geos import Point
from django.db import connection
from pyproj import Geod

from assets.models import Asset, AssetType
from triage.intake.services import IdempotencyKeyReused, InvalidReport, Report, issue_create
from triage.issues.models import Issue, IssueEvent
from triage.tests.conftest import HEIDELBERG, streetlight_at
from wards.models import Suburb

GEOD = Geod(ellps="WGS84")


def moved(point: Point, *, metres: float, bearing: float = 90.0) -> Point:
    lon, lat, _ = GEOD.fwd(point.x, point.y, bearing, metres)
    return Point(lon, lat, srid=4326)


def report(category, location=HEIDELBERG, **fields) -> Report:
    fields.setdefault("answers", {"size": "small"} if category.code == "pothole" else {})
    return Report(category=category, location=location, **fields)


@pytest.mark.django_db
def test_each_real_ward_is_found_at_intake(pothole, lesedi_wards_file):
    """One report inside each of the 13 real Lesedi wards (a point on the surface computed by
    shapely from the Demarcation Board's file) is filed in that ward."""
    features = json.loads(lesedi_wards_file.read_text())["features"]
    for feature in features:
        inside = shapely.geometry.shape(feature["geometry"]).representative_point()
        issue = issue_create(report=report(pothole, Point(inside.x, inside.y, srid=4326))).issue
        assert issue.ward.code == str(feature["properties"]["WardID"])
        assert issue.ward.number == int(feature["properties"]["WardNumber"])
        assert issue.municipality.code == "GT423"
    assert Issue.objects.count() == len(features) == 13


@pytest.mark.django_db
def test_suburb_is_found_at_intake(pothole, lesedi):
    around = moved(HEIDELBERG, metres=0).buffer(0.01)
    Suburb.objects.create(municipality=lesedi, name="Heidelberg", code="heidelberg",
                          geom=shapely_to_multipolygon(around))
    inside = issue_create(report=report(pothole)).issue
    outside = issue_create(report=report(pothole, moved(HEIDELBERG, metres=3000))).issue
    assert inside.suburb.name == "Heidelberg"
    assert outside.suburb is None


def shapely_to_multipolygon(polygon):
    from django.contrib.gis.geos import MultiPolygon

    return MultiPolygon(polygon, srid=4326)


@pytest.mark.django_db
def test_a_point_outside_the_municipality_is_refused_and_nothing_is_stored(pothole):
    johannesburg = Point(28.0473, -26.2041, srid=4326)
    with pytest.raises(InvalidReport) as refused:
        issue_create(report=report(pothole, johannesburg, reporter_email="someone@example.org"))
    assert "outside Lesedi" in refused.value.errors["location"][0]
    assert "-26.204100, 28.047300" in refused.value.errors["location"][0]
    assert Issue.objects.count() == 0


@pytest.mark.django_db
def test_the_nearest_asset_of_the_category_type_within_the_radius_is_snapped(streetlight_out, streetlights, lesedi):
    water_meters = AssetType.objects.create(municipality=lesedi, code="water-meter", name="Water meter",
                                            geometry_kind="point")
    streetlight_at(water_meters, moved(HEIDELBERG, metres=4), "WM-1")  # closer, but another type
    streetlight_at(streetlights, moved(HEIDELBERG, metres=25, bearing=0), "SL-25")
    streetlight_at(streetlights, moved(HEIDELBERG, metres=12, bearing=200), "SL-12")

    issue = issue_create(report=report(streetlight_out)).issue

    assert issue.asset.external_id == "SL-12"
    assert issue.asset_distance_m == pytest.approx(12, abs=0.05)  # metres on the spheroid


@pytest.mark.django_db
def test_no_asset_beyond_the_snap_radius(streetlight_out, streetlights):
    streetlight_at(streetlights, moved(HEIDELBERG, metres=31), "SL-31")  # radius is 30 m
    issue = issue_create(report=report(streetlight_out)).issue
    assert issue.asset is None and issue.asset_distance_m is None


@pytest.mark.django_db
def test_category_without_asset_type_never_snaps(pothole, streetlights):
    streetlight_at(streetlights, moved(HEIDELBERG, metres=1), "SL-1")
    assert issue_create(report=report(pothole)).issue.asset is None


@pytest.mark.django_db
def test_the_asset_snap_starts_from_the_point_never_from_every_asset_of_the_type(streetlight_out, streetlights, lesedi):
    """Given the type's b-tree index too, the planner could read every streetlight whenever one
    was in reach; the snap must walk the geography index from the point instead."""
    kinds = [streetlights] + [AssetType.objects.create(municipality=lesedi, code=f"kind-{i}", name=f"Kind {i}",
                                                       geometry_kind="point") for i in range(19)]
    with connection.cursor() as cursor:  # 20,000 assets of 20 kinds: enough that one kind's index looks selective
        cursor.execute("""INSERT INTO assets_asset (asset_type_id, municipality_id, external_id, geom, status,
                                                    attributes, is_generated)
                          SELECT (%s::int[])[1 + i %% 20], %s, 'A-' || i,
                                 ST_Project(%s::geography, 5 * i, radians(i))::geometry, 'in_service', '{}', false
                            FROM generate_series(1, 20000) i""",
                       [[kind.pk for kind in kinds], lesedi.pk, HEIDELBERG.ewkt])
        cursor.execute("ANALYZE assets_asset")
    streetlight_at(streetlights, moved(HEIDELBERG, metres=12), "SL-12")
    snap = Asset.objects.snap_target(HEIDELBERG, asset_type=streetlights.pk, metres=streetlight_out.snap_radius_m)
    plan = json.loads(snap.explain(format="json"))
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'assets_asset'")
        asset_indexes = {name for (name,) in cursor.fetchall()}
    nodes = list(plan_nodes(plan[0]["Plan"]))
    assert {node["Index Name"] for node in nodes if node.get("Index Name") in asset_indexes} == {"asset_geom_geography"}
    assert not [node for node in nodes if node["Node Type"] == "Seq Scan" and node["Relation Name"] == "assets_asset"]
    assert issue_create(report=report(streetlight_out)).issue.asset.external_id == "SL-12"


def plan_nodes(node: dict):
    yield node
    for child in node.get("Plans", []):
        yield from plan_nodes(child)


@pytest.mark.django_db
def test_reference_numbers_follow_the_municipality_and_year(pothole, settings):
    first = issue_create(report=report(pothole)).issue
    second = issue_create(report=report(pothole)).issue
    local_year = first.created_at.astimezone(__import__("zoneinfo").ZoneInfo("Africa/Johannesburg")).year
    assert first.reference == f"GT423-{local_year}-000001"
    assert second.reference == f"GT423-{local_year}-000002"


@pytest.mark.django_db
def test_new_year_starts_a_new_sequence_on_the_local_clock(pothole):
    import datetime
    from zoneinfo import ZoneInfo

    sast = ZoneInfo("Africa/Johannesburg")
    late = datetime.datetime(2026, 12, 31, 23, 59, tzinfo=sast)
    early = datetime.datetime(2027, 1, 1, 0, 1, tzinfo=sast)  # still 31 December in UTC
    assert issue_create(report=report(pothole), now=late).issue.reference == "GT423-2026-000001"
    assert issue_create(report=report(pothole), now=early).issue.reference == "GT423-2027-000001"


@pytest.mark.django_db
def test_intake_records_history_department_priority_and_sla(pothole, roads):
    issue = issue_create(report=report(pothole)).issue
    assert issue.department == roads
    assert issue.priority == "normal"
    assert (issue.expected_at - issue.created_at).total_seconds() == 72 * 3600
    event = IssueEvent.objects.get(issue=issue)
    assert (event.action, event.to_status) == ("created", "submitted")


@pytest.mark.django_db
@pytest.mark.parametrize(("answers", "field", "message"), [
    ({}, "answers.size", "An answer is required: How big is it?"),
    ({"size": "enormous"}, "answers.size", "'enormous' is not one of: small, large."),
    ({"size": "small", "depth": "deep"}, "answers.depth", "'deep' is not a number."),
    ({"size": "small", "colour": "red"}, "answers.colour", "'Pothole' asks no question 'colour'."),
])
def test_bad_answers_are_refused_by_question(pothole, answers, field, message):
    with pytest.raises(InvalidReport) as refused:
        issue_create(report=Report(category=pothole, location=HEIDELBERG, answers=answers))
    assert refused.value.errors[field] == [message]
    assert Issue.objects.count() == 0


@pytest.mark.django_db
def test_answers_are_normalised(pothole):
    issue = issue_create(report=report(pothole, answers={"size": "large", "depth": "12"})).issue
    assert issue.answers == {"size": "large", "depth": 12}


@pytest.mark.django_db
def test_a_retry_with_the_same_idempotency_key_returns_the_same_issue(pothole):
    first = issue_create(report=report(pothole, description="Deep hole"), idempotency_key="k-1")
    retry = issue_create(report=report(pothole, description="Deep hole"), idempotency_key="k-1")
    assert first.created and not retry.created
    assert retry.issue.reference == first.issue.reference
    assert Issue.objects.count() == 1


@pytest.mark.django_db
def test_an_idempotency_key_reused_for_another_report_is_refused(pothole):
    issue_create(report=report(pothole, description="Deep hole"), idempotency_key="k-2")
    with pytest.raises(IdempotencyKeyReused):
        issue_create(report=report(pothole, description="Another hole"), idempotency_key="k-2")
    assert Issue.objects.count() == 1


@pytest.mark.django_db
def test_a_refused_report_does_not_burn_its_idempotency_key(pothole):
    with pytest.raises(InvalidReport):
        issue_create(report=report(pothole, Point(28.0, -26.2, srid=4326)), idempotency_key="k-3")
    assert issue_create(report=report(pothole), idempotency_key="k-3").created



@pytest.mark.django_db
def test_retries_and_refused_reports_take_no_reference_number(pothole):
    first = issue_create(report=report(pothole), idempotency_key="k-4").issue
    issue_create(report=report(pothole), idempotency_key="k-4")
    with pytest.raises(InvalidReport):
        issue_create(report=report(pothole, Point(28.0, -26.2, srid=4326)))
    following = issue_create(report=report(pothole)).issue
    assert int(following.reference.rsplit("-", 1)[1]) == int(first.reference.rsplit("-", 1)[1]) + 1


@pytest.mark.django_db
def test_a_category_closed_since_it_was_read_takes_no_report(pothole):
    from triage.issues.models import Category

    Category.objects.filter(pk=pothole.pk).update(is_active=False)  # another process closed it
    with pytest.raises(InvalidReport) as refused:
        issue_create(report=report(pothole), idempotency_key="k-5")
    assert "no longer takes reports" in refused.value.errors["category"][0]
    assert Issue.objects.count() == 0

def run_in_threads(count: int, work) -> list:
    """Run work(index) in `count` threads at once, each on its own database connection."""
    results: list = [None] * count
    errors: list = []
    barrier = threading.Barrier(count)

    def target(index):
        try:
            barrier.wait()
            results[index] = work(index)
        except Exception as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=target, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    return results


@pytest.mark.django_db(transaction=True)
def test_sixteen_concurrent_reports_get_sixteen_consecutive_references(lesedi, roads):
    from triage.issues.models import Category

    category = Category.objects.create(municipality=lesedi, code="pothole", name="Pothole", default_department=roads)
    references = run_in_threads(16, lambda index: issue_create(
        report=Report(category=category, location=moved(HEIDELBERG, metres=index * 10))).issue.reference)
    numbers = sorted(int(reference.rsplit("-", 1)[1]) for reference in references)
    assert len(set(references)) == 16
    assert numbers == list(range(1, 17))  # a sequence: unique, and without gaps when nothing rolls back
    assert Issue.objects.count() == 16


@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_with_one_key_file_one_issue(lesedi):
    from triage.issues.models import Category

    category = Category.objects.create(municipality=lesedi, code="pothole", name="Pothole")
    references = run_in_threads(8, lambda index: issue_create(
        report=Report(category=category, location=HEIDELBERG, description="Same report"),
        idempotency_key="retry-storm").issue.reference)
    assert len(set(references)) == 1
    assert Issue.objects.count() == 1


@pytest.mark.django_db
def test_the_sla_clock_runs_in_real_hours_across_a_daylight_saving_change(pothole, lesedi):
    import datetime
    from zoneinfo import ZoneInfo

    lesedi.timezone = "America/Los_Angeles"
    lesedi.save(update_fields=["timezone"])
    before_the_change = datetime.datetime(2024, 3, 9, 12, 0, tzinfo=ZoneInfo("America/Los_Angeles"))
    issue = issue_create(report=report(pothole), now=before_the_change).issue  # SLA: 72 hours
    issue.refresh_from_db()
    assert (issue.expected_at - issue.created_at).total_seconds() == 72 * 3600
    assert issue.reference.startswith("GT423-2024-")
