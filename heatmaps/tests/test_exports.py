"""Exports on request: CSV and Excel of every table, the PDF report of a municipality or a ward,
and the offline HTML map. All of them carry the same numbers as the API and nothing about the
people who reported."""

import csv
import io
import re
import zipfile
import zlib

import pytest
from django.contrib.gis.geos import Point
from openpyxl import load_workbook

from heatmaps.models import CategoryCost
from heatmaps.refresh import summary_refresh
from heatmaps.tests.conftest import file_issues
from tests.support import save_screenshot
from triage.intake import services as intake

pytestmark = [pytest.mark.django_db, pytest.mark.shared_data]
EVERYTHING = {"municipality": "GT423", "from": "2000-01-01"}
PERSONAL = ["Thandi", "Mokoena", "thandi.mokoena@example.org", "+27821234567", "0821234567", "Secret Street",
            "GT423-20"]  # names, contacts, words of a report, and no issue references either


@pytest.fixture
def filed(categories, ward_frame):
    issues = file_issues(categories, ward_frame, count=80, days=500, seed=21)
    for n in range(3):
        intake.issue_create(report=intake.Report(
            category=categories["pothole"], location=Point(28.3585 + n * 0.001, -26.5040, srid=4326),
            reporter_name="Thandi Mokoena", reporter_email="thandi.mokoena@example.org", reporter_phone="+27821234567",
            description="Outside Thandi's house at 12 Secret Street", address="12 Secret Street, Heidelberg"))
    CategoryCost.objects.create(category=categories["pothole"], unit_cost="1850.00", note="Roads tariff 2026")
    summary_refresh(full=True)
    return issues


def get(client, path, params):
    response = client.get(path, params)
    assert response.status_code == 200, response.content[:500]
    return response


def assert_no_personal_details(content: bytes, where: str) -> None:
    for detail in PERSONAL:
        assert detail.encode() not in content, f"{detail!r} found in {where}"


def pdf_text(content: bytes) -> bytes:
    """Every stream of the PDF, inflated: matplotlib writes its text inside them."""
    text = [content]
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", content, re.DOTALL):
        try:
            text.append(zlib.decompress(match.group(1)))
        except zlib.error:
            text.append(match.group(1))
    return b"\n".join(text)


def test_figures_as_csv_and_excel_carry_the_api_figures(planner_client, filed):
    answer = get(planner_client, "/api/v1/heatmaps/figures", EVERYTHING).json()
    response = get(planner_client, "/api/v1/heatmaps/exports/figures.csv", EVERYTHING)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert re.match(r'attachment; filename="GT423-figures-20000101-\d{8}\.csv"', response["Content-Disposition"])
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:4] == ["Ward code", "Ward", "Issues logged (issues)", "Issues acknowledged (issues)"]
    assert [row[0] for row in rows[1:]] == [area["code"] for area in answer["areas"]] + ["outside", "no-location", "total"]
    assert [int(row[2]) for row in rows[1:14]] == [area["logged"] for area in answer["areas"]]
    assert int(rows[-1][2]) == answer["total"]["logged"]
    assert_no_personal_details(response.content, "figures.csv")

    workbook = load_workbook(io.BytesIO(get(planner_client, "/api/v1/heatmaps/exports/figures.xlsx", EVERYTHING).content))
    sheet = workbook["Figures per area"]
    assert [cell.value for cell in sheet[1]][:2] == ["Ward code", "Ward"]
    assert [sheet.cell(row=r, column=3).value for r in range(2, 15)] == [area["logged"] for area in answer["areas"]]
    about = {row[0].value: row[1].value for row in workbook["About"].iter_rows()}
    assert about["Municipality"] == "GT423" and about["Level"] == "ward"


@pytest.mark.parametrize("table, params", [
    ("trends", {"interval": "month", "by": "area"}),
    ("trends", {"interval": "week", "by": "category"}),
    ("forecast", {"by": "area_category"}),
    ("hexgrid", {"size": 1000}),
])
@pytest.mark.parametrize("extension", ["csv", "xlsx"])
def test_every_table_exports_without_personal_details(planner_client, filed, table, params, extension):
    response = get(planner_client, f"/api/v1/heatmaps/exports/{table}.{extension}", {**EVERYTHING, **params})
    content = response.content
    if extension == "xlsx":
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            content = b"".join(archive.read(name) for name in archive.namelist())
        assert b"<sheetData>" in content or b"sheetData" in content
    else:
        assert len(content.decode("utf-8-sig").splitlines()) > 2
    assert_no_personal_details(content, f"{table}.{extension}")


def test_the_forecast_export_projects_the_cost_of_potholes(planner_client, filed):
    answer = get(planner_client, "/api/v1/heatmaps/forecast", {**EVERYTHING, "by": "category"}).json()
    potholes = next(s for s in answer["series"] if s["key"] == "pothole")
    assert potholes["currency"] == "ZAR" and potholes["cost_covers_categories"] == ["pothole"]
    for point in potholes["forecast"]:
        assert point["cost"] == pytest.approx(point["issues"] * 1850, abs=1850)
    assert "cost" not in next(s for s in answer["series"] if s["key"] == "compliment")["forecast"][0]
    assert answer["unit_costs"] == {"pothole": {"unit_cost": "1850.00", "currency": "ZAR"}}


@pytest.mark.parametrize("params", [{}, {"ward": "8"}, {"category": "pothole", "from": "2025-06-01"}])
def test_the_pdf_report_of_the_municipality_or_a_ward(planner_client, filed, params):
    response = get(planner_client, "/api/v1/heatmaps/report.pdf", {**EVERYTHING, **params})
    assert response["Content-Type"] == "application/pdf"
    content = response.content
    assert content.startswith(b"%PDF-")
    assert len(re.findall(rb"/Type /Page\b", content)) == 4
    text = pdf_text(content)
    assert b"Lesedi" in text  # the text really is readable here, so the next check means something
    assert_no_personal_details(text, "report.pdf")


def test_the_offline_map_has_every_script_and_style_inside(planner_client, filed):
    response = get(planner_client, "/api/v1/heatmaps/map.html", {**EVERYTHING, "figure": "backlog"})
    page = response.content.decode()
    assert response["Content-Disposition"].endswith('.html"')
    assert not re.search(r"<script[^>]+src=", page)
    assert not re.search(r"<link[^>]+href=[\"']https?:", page)
    assert not re.search(r"""(src|href)=["']https?://""", page.replace('href="https://leafletjs.com"', ""))
    assert "L.heatLayer" in page and "Ward 8" in page
    assert_no_personal_details(response.content, "map.html")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_offline_map_opens_with_the_network_cut_off(browser, planner, client, categories, ward_frame, tmp_path):
    file_issues(categories, ward_frame, count=60, days=200, seed=4)
    summary_refresh(full=True)
    client.force_login(planner)
    html_file = tmp_path / "map.html"
    html_file.write_bytes(client.get("/api/v1/heatmaps/map.html", EVERYTHING).content)
    context = browser.new_context(viewport={"width": 1100, "height": 750})
    requests = []
    context.route("**/*", lambda route: (requests.append(route.request.url), route.abort())
                  if not route.request.url.startswith(("file:", "data:")) else route.continue_())
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(html_file.as_uri())
    page.wait_for_selector(".leaflet-overlay-pane path")
    assert page.locator(".leaflet-overlay-pane path").count() == 13
    assert page.locator(".leaflet-control-layers-overlays label").count() == 3
    save_screenshot(page, "planning-offline-map")
    assert requests == [] and errors == []
    context.close()


def test_the_pdf_report_names_the_municipalitys_own_clock(planner_client, filed):
    from wards.models import Municipality

    Municipality.objects.filter(code="GT423").update(timezone="America/Los_Angeles")
    text = pdf_text(get(planner_client, "/api/v1/heatmaps/report.pdf", EVERYTHING).content)
    text = re.sub(rb"\)\s*-?[\d.]+\s*\(", b"", text)  # a line's pieces, between kerning adjustments, joined
    assert b"local days \\(America/Los_Angeles\\)" in text and b"Africa/Johannesburg" not in text
