"""Tables planners download: every table the API answers, as CSV or an Excel workbook.

Two registries, no if-chains: TABLES turn a query into (title, columns, rows); FORMATS turn those
into bytes. Only aggregates and area or category names go in: no issue, reporter or text of a
report, so every export is free of personal information by construction (and tested for it).
"""

import csv
import io
import json
from collections.abc import Callable
from dataclasses import dataclass

from django.utils import timezone

from heatmaps import figures as figures_module
from heatmaps.hotspots import asset_hotspots
from heatmaps.projections import forecast_table
from heatmaps.query import FigureQuery


@dataclass(frozen=True)
class Table:
    title: str
    columns: list[str]
    rows: list[list]
    about: dict


def figures_table(query: FigureQuery, options: dict) -> Table:
    answer = figures_module.figures_by_area(query)
    keys = [f["key"] for f in answer["figures"]]
    level_name = "Ward" if query.level == "ward" else "Suburb"
    rows = [[area["code"], area["name"], *(area[k] for k in keys)] for area in answer["areas"]]
    rows.append(["outside", f"Located outside these {level_name.lower()}s", *(answer["outside_areas"][k] for k in keys)])
    rows.append(["no-location", "No location (imported history)", *(answer["no_location"][k] for k in keys)])
    rows.append(["total", query.municipality.title, *(answer["total"][k] for k in keys)])
    columns = [f"{level_name} code", level_name, *(f"{f['label']} ({f['unit']})" for f in answer["figures"])]
    return Table("Figures per area", columns, rows, query.describe())


def trends_table(query: FigureQuery, options: dict) -> Table:
    answer = figures_module.trend_series(query, interval=options.get("interval", "month"), by=options.get("by", "total"))
    rows = [[series["key"], series["label"], point["period_start"], point["logged"], point["resolved"], point["backlog"],
             "yes" if point["partial"] else "no"]
            for series in answer["series"] for point in series["points"]]
    columns = ["Series code", "Series", f"{answer['interval'].capitalize()} starting", "Logged", "Resolved",
               "Open backlog at the end", "Partial period"]
    return Table(f"Trends per {answer['interval']}", columns, rows, {**query.describe(), "by": answer["by"]})


def forecast_rows(answer: dict) -> list[list]:
    rows = []
    for series in answer["series"]:
        for point in series["history"]:
            rows.append([series["key"], series["label"], point["month"], "actual", point["issues"], None, None,
                         None, None, None, series.get("currency")])
        for point in series["forecast"]:
            rows.append([series["key"], series["label"], point["month"], series["method"], point["issues"],
                         point["lower"], point["upper"], point.get("cost"), point.get("cost_lower"),
                         point.get("cost_upper"), series.get("currency")])
    return rows


def forecast_table_export(query: FigureQuery, options: dict) -> Table:
    answer = forecast_table(query, **options)
    columns = ["Series code", "Series", "Month", "Actual or method", "Issues", "Lower", "Upper", "Projected cost",
               "Cost lower", "Cost upper", "Currency"]
    return Table("Forecast", columns, forecast_rows(answer),
                 {**query.describe(), "band": answer["band"], "by": answer["by"]})


def hexgrid_table(query: FigureQuery, options: dict) -> Table:
    size = options.get("size", 500)
    collection = json.loads(figures_module.hexgrid_geojson(query, size, include_empty=options.get("include_empty", False)))
    rows = []
    for feature in collection["features"]:
        ring = feature["geometry"]["coordinates"][0][:-1]
        lon = sum(point[0] for point in ring) / len(ring)
        lat = sum(point[1] for point in ring) / len(ring)
        props = feature["properties"]
        rows.append([props["i"], props["j"], round(lon, 6), round(lat, 6), props["issues"]])
    return Table(f"Issues per {size} m hexagon", ["Column (i)", "Row (j)", "Centre longitude", "Centre latitude", "Issues"],
                 rows, {**query.describe(), "hexagon_size_m": size, "metric_srid": collection.get("metric_srid")})


def asset_hotspots_table(query: FigureQuery, options: dict) -> Table:
    spots = asset_hotspots(query, **options)
    rows = [[s["external_id"], s["asset_type_name"], s["asset_status"], s["issues"],
             s["last_reported"].isoformat(timespec="seconds"), s["mean_distance_m"], s["max_distance_m"], s["lon"],
             s["lat"]] for s in spots]
    columns = ["Asset", "Asset type", "Asset status", "Issues", "Last issue reported", "Mean distance issue to asset (m)",
               "Largest distance issue to asset (m)", "Longitude", "Latitude"]
    return Table("Asset hotspots", columns, rows, {**query.describe(), **options})


TABLES: dict[str, Callable[[FigureQuery, dict], Table]] = {
    "figures": figures_table,
    "trends": trends_table,
    "forecast": forecast_table_export,
    "hexgrid": hexgrid_table,
    "asset-hotspots": asset_hotspots_table,
}


def _about_lines(table: Table) -> list[tuple[str, str]]:
    lines = [("Table", table.title), ("Generated", timezone.now().isoformat(timespec="seconds"))]
    for key, value in table.about.items():
        if key == "filters":
            for name, values in value.items():
                lines.append((f"Filter: {name}", ", ".join(str(v) for v in values)))
        elif value is not None:
            lines.append((key.replace("_", " ").capitalize(), str(value)))
    return lines


class CsvFormat:
    extension, content_type = "csv", "text/csv; charset=utf-8"

    def render(self, table: Table) -> bytes:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(table.columns)
        writer.writerows([["" if value is None else value for value in row] for row in table.rows])
        return buffer.getvalue().encode("utf-8-sig")  # the BOM makes Excel read UTF-8


class XlsxFormat:
    extension = "xlsx"
    content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

    def render(self, table: Table) -> bytes:
        from openpyxl import Workbook
        from openpyxl.styles import Font
        from openpyxl.utils import get_column_letter

        workbook = Workbook()
        sheet = workbook.active
        sheet.title = table.title[:31]
        sheet.append(table.columns)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in table.rows:
            sheet.append(row)
        sheet.freeze_panes = "A2"
        for index, column in enumerate(table.columns, start=1):
            width = max([len(str(column)), *(len(str(row[index - 1])) for row in table.rows[:200] if row[index - 1] is not None)])
            sheet.column_dimensions[get_column_letter(index)].width = min(max(width + 2, 8), 48)
        about = workbook.create_sheet("About")
        for line in _about_lines(table):
            about.append(list(line))
        about.column_dimensions["A"].width, about.column_dimensions["B"].width = 22, 60
        buffer = io.BytesIO()
        workbook.save(buffer)
        return buffer.getvalue()


FORMATS = {"csv": CsvFormat(), "xlsx": XlsxFormat()}


def export_filename(query: FigureQuery, name: str, extension: str) -> str:
    stamp = f"{query.first_day:%Y%m%d}-{query.last_day:%Y%m%d}"
    area = f"-{query.areas[0].code}" if query.restricted and query.areas else ""
    return f"{query.municipality.code}{area}-{name}-{stamp}.{extension}"
