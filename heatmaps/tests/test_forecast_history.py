"""The forecast fits every imported month the asked period covers, not only the last 24."""

import csv

import pytest
from django.core.management import call_command

from heatmaps.figures import add_months, month_start
from heatmaps.query import local_today

pytestmark = [pytest.mark.django_db, pytest.mark.shared_data]


@pytest.fixture
def forty_months_imported(tmp_path, categories, lesedi):
    """Forty whole months of imported history before the current month: month n has n + 1 potholes."""
    this_month = month_start(local_today(lesedi))
    path = tmp_path / "history.csv"
    months = [add_months(this_month, -k) for k in range(40, 0, -1)]
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["ref", "type", "lon", "lat", "logged"])
        for n, month in enumerate(months):
            for i in range(n + 1):
                writer.writerow([f"H-{n}-{i}", "Pothole", "28.358", "-26.504", f"{month:%Y-%m}-01 10:00"])
    call_command("import_issues", str(path), municipality="GT423", lon_field="lon", lat_field="lat",
                 reference_field="ref", category_field="type", created_field="logged", verbosity=0)
    return months


def forecast(client, **params):
    response = client.get("/api/v1/heatmaps/forecast", {"municipality": "GT423", **params})
    assert response.status_code == 200, response.content
    return response.json()


def test_a_period_reaching_back_forty_months_fits_all_forty(planner_client, forty_months_imported):
    months = forty_months_imported
    answer = forecast(planner_client, **{"from": months[0].isoformat()})
    assert answer["history_months"] == [m.isoformat() for m in months]
    history = answer["series"][0]["history"]
    assert [point["issues"] for point in history] == list(range(1, 41))


def test_without_a_period_reaching_back_the_last_24_months_are_fitted(planner_client, forty_months_imported):
    assert len(forecast(planner_client)["history_months"]) == 24
    assert len(forecast(planner_client, **{"from": forty_months_imported[0].isoformat(), "history": 12})
               ["history_months"]) == 12  # asked for explicitly
