"""`manage.py import_issues`: an earlier system's history through the shared importer. Rows without
a usable location are kept and counted; a wrong row is named and nothing is half-imported."""

import csv
import random
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from heatmaps.models import IssueFact, UnlocatedIssue
from heatmaps.tests.conftest import random_points_inside, ward_numbers_of
from triage.issues.models import Issue, IssueEvent

pytestmark = [pytest.mark.django_db, pytest.mark.shared_data]
HEADER = ["ref", "type", "lon", "lat", "logged", "acknowledged", "completed", "state", "source"]
OUTSIDE_LESEDI = ("27.9000", "-26.2000")  # Soweto: inside Gauteng, outside GT423


def write_csv(path, rows, header=HEADER):
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def history_rows(ward_frame, count: int = 40) -> list[list[str]]:
    rng = random.Random(99)
    rows = []
    for n, (lon, lat) in enumerate(random_points_inside(ward_frame, count, rng), start=1):
        kind = rng.choice(["Potholes", "Street Lights", "Compliment"])
        day = rng.randint(1, 28)
        state = rng.choice(["Completed", "Open", "In Progress", "Cancelled"])
        completed = f"2024-03-{day:02d} 16:00" if state in ("Completed", "Cancelled") else ""
        rows.append([f"OLD-{n:04d}", kind, f"{lon:.6f}", f"{lat:.6f}", f"2024-03-{day:02d} 08:15",
                     f"2024-03-{day:02d} 09:00", completed, state, rng.choice(["Call Centre", "Online", "Walk-in"])])
    return rows


def import_history(path, **options):
    arguments = {"municipality": "GT423", "lon_field": "lon", "lat_field": "lat", "reference_field": "ref",
                 "category_field": "type", "created_field": "logged", "acknowledged_field": "acknowledged",
                 "resolved_field": "completed", "status_field": "state", "channel_field": "source",
                 "category": ["Potholes=pothole", "Street Lights=streetlight-out"], "verbosity": 0}
    arguments.update(options)
    call_command("import_issues", str(path), **arguments)


def test_history_is_imported_with_unusable_locations_kept_and_counted(tmp_path, categories, ward_frame, planner_client,
                                                                      capsys):
    rows = history_rows(ward_frame)
    rows += [["OLD-9001", "Potholes", "", "", "2024-03-05 10:00", "", "", "Open", "Online"],
             ["OLD-9002", "Potholes", "0", "0", "2024-03-06 10:00", "", "", "Open", "Online"],
             ["OLD-9003", "Potholes", *OUTSIDE_LESEDI, "2024-03-07 10:00", "", "2024-03-09 10:00", "Completed", "Online"]]
    path = write_csv(tmp_path / "history.csv", rows)
    import_history(path, verbosity=1)
    out = capsys.readouterr().out
    assert "40 issues inside GT423, 1 outside GT423 (kept with their coordinates and counted outside the areas), " \
           "2 without a usable location" in out
    assert "1 coordinates 0, 0 (a placeholder), 1 no coordinates, 1 outside GT423" in out
    assert Issue.objects.count() == 40
    assert sorted(UnlocatedIssue.objects.values_list("external_reference", "reason")) == [
        ("OLD-9001", "no coordinates"), ("OLD-9002", "coordinates 0, 0 (a placeholder)"), ("OLD-9003", "outside GT423")]
    issue = Issue.objects.get(external_id="OLD-0001")
    assert issue.reference == "GT423-H-OLD-0001"
    assert issue.channel in ("phone", "web", "walk_in")
    assert IssueEvent.objects.filter(issue=issue, action="created").count() == 1
    assert not issue.reporter_email and not issue.reporter_phone
    # Figures cover the history at once (the import refreshed them), ward by ward as geopandas finds them.
    assert IssueFact.objects.count() == 43
    answer = planner_client.get("/api/v1/heatmaps/figures", {"municipality": "GT423", "from": "2024-03-01",
                                                             "to": "2024-03-31"}).json()
    located = [SimpleNamespace(lon=float(r[2]), lat=float(r[3])) for r in rows[:40]]
    wards = ward_numbers_of(located, ward_frame)
    assert {a["number"]: a["logged"] for a in answer["areas"]} == {n: wards.count(n) for n in range(1, 14)}
    assert answer["no_location"]["logged"] == 2
    assert answer["outside_areas"]["logged"] == 1  # Soweto keeps its point
    assert answer["total"]["logged"] == 43
    completed = [r for r in rows[:40] if r[7] == "Completed"]
    assert answer["total"]["resolved"] == len(completed) + 1  # and the one outside Lesedi
    assert answer["total"]["median_hours_to_resolve"] == 7.75  # 08:15 to 16:00


def test_a_bad_row_is_named_and_nothing_is_imported(tmp_path, categories, ward_frame):
    rows = history_rows(ward_frame, 10)
    rows[2][1] = "Sinkholes"
    rows[4][4] = "5 March 2024"
    rows[6][6] = "2024-02-01 10:00"  # completed before it was logged
    rows[6][7] = "Completed"
    rows[8][0] = rows[1][0]  # a repeated reference
    path = write_csv(tmp_path / "bad.csv", rows)
    with pytest.raises(CommandError) as failure:
        import_history(path)
    message = str(failure.value)
    assert "bad.csv: 4 feature(s) cannot be imported; nothing was changed. 4 kind(s) of problem:" in message
    assert "row 3 (line 4): category 'Sinkholes' is not mapped" in message
    assert "row 5 (line 6): logged '5 March 2024' is not a date and time" in message
    assert "row 7 (line 8): completed 2024-02-01 10:00 is before logged" in message
    assert f"row 9 (line 10): reference '{rows[1][0]}' is already used by row 2 (line 3)" in message
    assert Issue.objects.count() == UnlocatedIssue.objects.count() == IssueFact.objects.count() == 0


@pytest.mark.parametrize("options, message", [
    ({"category": ["Potholes=sinkhole"]}, "the category mapping names sinkhole"),
    ({"status": ["Open=opened"]}, "--status 'Open=opened': 'opened' is not one of"),
    ({"channel": ["Online"]}, "--channel 'Online': write it as THEIRS=OURS"),
    ({"created_field": "reported"}, "field 'reported' not found"),
    ({"municipality": "XX999"}, "No municipality has the code 'XX999'"),
])
def test_a_bad_mapping_is_refused_naming_the_option(tmp_path, categories, ward_frame, options, message):
    path = write_csv(tmp_path / "history.csv", history_rows(ward_frame, 3))
    with pytest.raises(CommandError, match=message):
        import_history(path, **options)
    assert Issue.objects.count() == 0


def test_reimporting_updates_in_place_and_a_row_that_gains_a_location_moves(tmp_path, categories, ward_frame,
                                                                             planner_client):
    rows = history_rows(ward_frame, 5)
    rows.append(["OLD-9001", "Potholes", "", "", "2024-03-05 10:00", "", "", "Open", "Online"])
    path = write_csv(tmp_path / "history.csv", rows)
    import_history(path)
    import_history(path)
    assert Issue.objects.count() == 5 and UnlocatedIssue.objects.count() == 1
    rows[-1][2:4] = rows[0][2:4]  # the earlier system found where it was
    rows[0][7], rows[0][6] = "Completed", "2024-03-29 12:00"
    import_history(write_csv(tmp_path / "history.csv", rows))
    assert Issue.objects.count() == 6 and UnlocatedIssue.objects.count() == 0
    assert Issue.objects.get(external_id="OLD-0001").status == "resolved"
    total = planner_client.get("/api/v1/heatmaps/figures", {"municipality": "GT423", "from": "2024-03-01",
                                                            "to": "2024-03-31"}).json()
    assert total["total"]["logged"] == 6 and total["no_location"]["logged"] == 0


def test_geojson_history_with_a_feature_without_geometry(fixtures_dir, categories):
    # A-1 in Heidelberg (ward 8), A-2 with no geometry.
    path = fixtures_dir / "gis" / "issue_history_one_without_geometry.geojson"
    call_command("import_issues", str(path), municipality="GT423", reference_field="ref", category_field="type",
                 created_field="logged", verbosity=0)
    assert Issue.objects.get().status == "submitted"
    assert UnlocatedIssue.objects.get().reason == "no coordinates"


def test_durations_are_true_elapsed_time_across_a_daylight_saving_change(tmp_path, categories):
    """A municipality on a clock with daylight saving: 01:30 to 03:30 on the night the clocks go
    forward is one hour, not two."""
    from wards.models import Municipality

    Municipality.objects.filter(code="GT423").update(timezone="America/Los_Angeles")
    rows = [["DST-1", "Potholes", "28.358", "-26.504", "2024-03-10 01:30", "2024-03-10 01:45", "2024-03-10 03:30",
             "Completed", "Online"]]
    import_history(write_csv(tmp_path / "dst.csv", rows))
    issue = Issue.objects.get()
    assert issue.time_to_resolve.total_seconds() == 3600
    assert issue.time_to_acknowledge.total_seconds() == 15 * 60
    assert IssueFact.objects.get(issue_id=issue.pk).seconds_to_resolve == 3600
