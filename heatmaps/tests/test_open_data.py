"""Open data: the per-ward figures of public issues, for anyone, recomputed here from the public
issues download (what any resident or journalist can fetch) and compared; nothing personal in them."""

import csv
import datetime
import io
import json
import statistics
from collections import defaultdict
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from heatmaps.tests.conftest import file_issues
from triage.intake import services as intake
from triage.issues.models import Category, Issue

pytestmark = [pytest.mark.django_db, pytest.mark.shared_data]
JOHANNESBURG = ZoneInfo("Africa/Johannesburg")
OPEN = {"submitted", "acknowledged", "assigned", "in_progress", "reopened"}


@pytest.fixture
def public_and_hidden(categories, ward_frame, lesedi):
    file_issues(categories, ward_frame, count=70, days=200, seed=19)
    Issue.objects.update(reporter_name="Nomsa Dlamini", reporter_email="nomsa@example.org", reporter_phone="+27821234567")
    # Not public: a report about a home (private category) and an issue merged away as a duplicate.
    private = Category.objects.create(municipality=lesedi, code="noise", name="Noise from a house", is_private=True)
    first = Issue.objects.order_by("pk").first()
    intake.issue_create(report=intake.Report(category=private, location=first.location))
    Issue.objects.filter(pk=Issue.objects.order_by("pk")[1].pk).update(status="duplicate", duplicate_of=first)


def recompute(features, first_day, last_day) -> dict:
    """The figures, from the download's features alone, as the open data defines them."""
    by_ward = defaultdict(list)
    for feature in features:
        p = feature["properties"]
        created = datetime.datetime.fromisoformat(p["created_at"])
        if first_day <= created.astimezone(JOHANNESBURG).date() <= last_day:
            by_ward[p["ward"]].append(p)
            by_ward["total"].append(p)
    figures = {}
    for ward, issues in by_ward.items():
        resolved = [p for p in issues if p["resolved_at"]]
        hours = [(datetime.datetime.fromisoformat(p["resolved_at"]) - datetime.datetime.fromisoformat(p["created_at"]))
                 .total_seconds() / 3600 for p in resolved]
        targeted = [p for p in resolved if p["expected_at"]]
        within = [p for p in targeted if datetime.datetime.fromisoformat(p["resolved_at"])
                  <= datetime.datetime.fromisoformat(p["expected_at"])]
        figures[ward] = {"logged": len(issues), "open_now": sum(p["status"] in OPEN for p in issues),
                         "resolved": len(resolved), "median_hours_to_resolve": statistics.median(hours) if hours else None,
                         "resolved_with_target": len(targeted),
                         "share_resolved_within_target": len(within) / len(targeted) if targeted else None}
    return figures


def test_the_figures_are_reproducible_from_the_public_issues_download(client, public_and_hidden):
    last_day = timezone.now().astimezone(JOHANNESBURG).date()
    first_day = last_day - datetime.timedelta(days=120)
    download = client.get("/layers/issues/download", {"format": "geojson", "municipality": "GT423"})
    assert download.status_code == 200
    features = json.loads(b"".join(download.streaming_content) if download.streaming else download.content)["features"]
    assert len(features) == Issue.objects.count() - 2  # neither the private report nor the duplicate
    expected = recompute(features, first_day, last_day)

    answer = client.get("/api/v1/open-data/area-figures.json", {"municipality": "GT423", "from": first_day.isoformat(),
                                                                 "to": last_day.isoformat()})
    assert answer.status_code == 200  # anonymous
    body = answer.json()
    served = {area["ward"]: area for area in body["areas"]}
    served["total"] = body["total"]
    assert set(served) == set(expected) and expected["total"]["logged"] > 20
    for ward, figures in expected.items():
        for key, value in figures.items():
            assert served[ward][key] == (pytest.approx(value, abs=1e-3) if value is not None else None), (ward, key)


def test_as_csv_the_same_numbers_and_nothing_personal(client, public_and_hidden):
    params = {"municipality": "GT423", "from": "2000-01-01"}
    answer = client.get("/api/v1/open-data/area-figures.json", params).json()
    response = client.get("/api/v1/open-data/area-figures.csv", params)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [row["ward"] for row in rows] == [str(a["ward"]) if a["ward"] is not None else "" for a in answer["areas"]] + ["total"]
    assert int(rows[-1]["logged"]) == answer["total"]["logged"] == Issue.objects.count() - 2
    for page in (text, json.dumps(answer)):
        assert "Nomsa" not in page and "example.org" not in page and "+2782" not in page and "GT423-20" not in page


@pytest.mark.parametrize("params, field", [({"municipality": "XX999"}, "municipality"),
                                           ({"municipality": "GT423", "from": "last week"}, "from")])
def test_bad_parameters_are_named(client, lesedi, params, field):
    response = client.get("/api/v1/open-data/area-figures.json", params)
    assert response.status_code == 400 and field in response.content.decode()
    assert client.get("/api/v1/open-data/area-figures.xml", {"municipality": "GT423"}).status_code == 400
