"""`import_issues` on a foreign city's export (fixtures/gis/issue_history_foreign_export.csv): a dry
run names every kind of problem at once; categories created, statuses and channels mapped, UTC
times, clamped times and refused rows written aside make it importable in one more run."""

import csv
import datetime

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from heatmaps.models import UnlocatedIssue
from triage.issues.models import Category, Issue

pytestmark = [pytest.mark.django_db, pytest.mark.shared_data]
UTC = datetime.UTC


@pytest.fixture
def export(fixtures_dir):
    return fixtures_dir / "gis" / "issue_history_foreign_export.csv"


def run(path, **options):
    arguments = {"municipality": "GT423", "lon_field": "longitude", "lat_field": "latitude",
                 "reference_field": "request_id", "category_field": "request_type", "created_field": "opened",
                 "closed_field": "closed", "status_field": "state", "channel_field": "channel", "verbosity": 1}
    arguments.update(options)
    call_command("import_issues", str(path), **arguments)


def test_a_dry_run_reports_every_kind_of_problem_with_counts_and_keeps_nothing(export, categories, capsys):
    run(export, dry_run=True)
    out = capsys.readouterr().out
    assert out.startswith("Dry run, nothing was changed:")
    # Every problem of every row at once: a row with three problems counts under each.
    assert "7 feature(s) refused, 6 kind(s) of problem:" in out
    assert "unknown category 'Water Leak': 2 row(s):" in out
    assert "unknown category 'Graffiti': 1 row(s):" in out
    assert "unknown status 'Finished': 5 row(s), first:" in out
    assert "unknown channel 'Phone Call': 3 row(s):" in out
    assert "unknown channel 'Online'" not in out and "'Counter'" not in out  # synonyms of web and phone
    assert "closed before opened: 1 row(s):" in out
    assert "unreadable opened" in out and "row 7 (line 8): opened 'yesterday'" in out
    assert "empty" not in out
    assert Issue.objects.count() == UnlocatedIssue.objects.count() == 0
    assert Category.objects.filter(municipality__code="GT423").count() == 3


def test_the_default_stays_all_or_nothing_and_lists_every_kind(export, categories):
    with pytest.raises(CommandError) as failure:
        run(export, verbosity=0)
    message = str(failure.value)
    assert "7 feature(s) cannot be imported; nothing was changed. 6 kind(s) of problem:" in message
    for kind in ("unknown category 'Water Leak'", "unknown category 'Graffiti'", "unknown status 'Finished'",
                 "unreadable opened"):
        assert kind in message
    assert Issue.objects.count() == 0


@pytest.mark.parametrize("mapping", ["options", "file"])
def test_mapped_created_clamped_and_skipped_rows_import_in_one_run(export, categories, fixtures_dir, tmp_path,
                                                                   capsys, mapping):
    refused = tmp_path / "refused.csv"
    options = ({"map_status": ["Finished=resolved"], "map_channel": ["Phone Call=phone,Counter=phone"]}
               if mapping == "options" else {"mapping_file": str(fixtures_dir / "gis" / "issue_history_mapping.csv")})
    run(export, create_categories=True, timezone="UTC", clamp_closed_before_created=True,
        skip_invalid=str(refused), **options)
    out = capsys.readouterr().out
    # Every row but REQ-7 ('yesterday') is in: five inside Lesedi, one outside, one without a location.
    assert "5 issues inside GT423, 1 outside GT423 (kept with their coordinates" in out
    assert "1 without a usable location" in out
    assert "2 categories created" in out and "water-leak (Water Leak)" in out and "graffiti (Graffiti)" in out
    assert "Warning: 1 time(s) before their report time were clamped to it:" in out
    assert "row 4 (line 5): closed 2024-03-07 05:30 is before opened 2024-03-07 06:00" in out
    assert f"1 refused row(s) written to {refused}" in out

    with refused.open(newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["request_id", "request_type", "longitude", "latitude", "opened", "closed", "state", "channel",
                       "refused_feature", "refused_reason"]
    assert rows[1][:5] == ["REQ-7", "Pothole", "28.358", "-26.504", "yesterday"]
    assert rows[1][8] == "row 7 (line 8)" and "opened 'yesterday' is not a date and time" in rows[1][9]
    assert len(rows) == 2

    first = Issue.objects.get(external_id="REQ-1")
    assert first.created_at == datetime.datetime(2024, 3, 5, 6, 0, tzinfo=UTC)  # UTC, not Johannesburg
    assert first.status == "resolved" and first.channel == "phone"
    leak = Issue.objects.get(external_id="REQ-3")
    assert leak.category.name == "Water Leak" and leak.channel == "phone" and leak.status == "submitted"
    clamped = Issue.objects.get(external_id="REQ-4")
    assert clamped.resolved_at == clamped.created_at and clamped.time_to_resolve == datetime.timedelta(0)
    outside = UnlocatedIssue.objects.get(external_reference="REQ-5")
    assert outside.reason == "outside GT423" and (outside.location.x, outside.location.y) == (27.9, -26.2)
    assert UnlocatedIssue.objects.get(external_reference="REQ-6").location is None


def test_the_outside_point_counts_outside_the_areas_not_as_without_location(export, categories, planner_client):
    run(export, create_categories=True, timezone="UTC", clamp_closed_before_created=True, verbosity=0,
        map_status=["Finished=resolved"], map_channel=["Phone Call=phone,Counter=phone"],
        skip_invalid="/dev/null")
    answer = planner_client.get("/api/v1/heatmaps/figures", {"municipality": "GT423", "from": "2024-03-01",
                                                             "to": "2024-03-31"}).json()
    assert answer["outside_areas"]["logged"] == 1
    assert answer["no_location"]["logged"] == 1
    assert answer["total"]["logged"] == 7


@pytest.mark.parametrize("options, message", [
    ({"timezone": "America/Los Angeles"}, "--timezone 'America/Los Angeles' is not a time zone name"),
    ({"map_status": ["Finished=done"]}, "--status 'Finished=done': 'done' is not one of"),
])
def test_bad_options_are_refused_naming_them(export, categories, options, message):
    with pytest.raises(CommandError, match=message):
        run(export, verbosity=0, **options)
