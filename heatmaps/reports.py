"""The PDF report of a municipality or one ward: what a service-delivery review reads.

Four A4 landscape pages drawn with matplotlib: the key figures and the table per area; a
choropleth of issues logged and a 500 m hex grid (both in the municipality's metric CRS, so
shapes and distances are true); monthly trends with the open backlog; the forecast with its band
and, where categories have a unit cost, the projected cost. Only aggregates and area names: no
issue, reporter or report text is ever read here.
"""

import datetime
import io
import json
from zoneinfo import ZoneInfo

import matplotlib

matplotlib.use("Agg")  # no display: files only

import geopandas  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import shapely  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402
from django.utils.translation import pgettext, pgettext_lazy  # noqa: E402
from matplotlib import patheffects  # noqa: E402
from matplotlib.backends.backend_pdf import PdfPages  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

from heatmaps import figures as figures_module  # noqa: E402
from heatmaps.grid import hexagon_polygon, metric_srid  # noqa: E402
from heatmaps.offline_map import class_breaks, colour_of  # noqa: E402
from heatmaps.projections import forecast_table  # noqa: E402
from heatmaps.query import FigureQuery  # noqa: E402

A4_LANDSCAPE = (11.69, 8.27)
BRAND = "#1f5f8b"
# Staff text (context "staff"): translatable, and counted apart from the resident pages' strings.
TABLE_FIGURES = [("logged", pgettext_lazy("staff", "Logged")), ("resolved", pgettext_lazy("staff", "Resolved")),
                 ("backlog", pgettext_lazy("staff", "Open at end")),
                 ("median_hours_to_acknowledge", pgettext_lazy("staff", "Median h to\nacknowledge")),
                 ("median_hours_to_resolve", pgettext_lazy("staff", "Median h to\nresolve")),
                 ("p90_hours_to_resolve", pgettext_lazy("staff", "90th pct h\nto resolve")),
                 ("share_within_sla", pgettext_lazy("staff", "Within\nSLA")),
                 ("mean_rating", pgettext_lazy("staff", "Mean\nrating")),
                 ("repeat_issues", pgettext_lazy("staff", "Repeat issues\nper asset"))]


def _text(value, key: str = "") -> str:
    if value is None:
        return "–"
    if key == "share_within_sla":
        return f"{100 * value:.1f}%"
    if isinstance(value, float):
        return f"{value:,.1f}"
    return f"{value:,}"


def _title(fig, query: FigureQuery, heading: str) -> None:
    area = query.areas[0].name if query.restricted else "all wards" if query.level == "ward" else "all suburbs"
    fig.text(0.04, 0.95, f"{query.municipality.title}: {heading}", fontsize=16, weight="bold", color=BRAND)
    filters = "; ".join(f"{name} {', '.join(map(str, values))}" for name, values in query.describe()["filters"].items())
    fig.text(0.04, 0.915, f"{query.first_day:%d %B %Y} to {query.last_day:%d %B %Y} · {area}"
             + (f" · {filters}" if filters else ""), fontsize=10, color="#3b4650")


def _footer(fig, page: int, zone: str) -> None:
    """The municipality's own clock: its reports are read in its local days."""
    generated = timezone.localtime(timezone=ZoneInfo(zone))
    fig.text(0.04, 0.025, pgettext("staff", "Imbizo · generated %(when)s · figures at most 60 s behind the issues · "
                                            "local days (%(zone)s)") % {"when": f"{generated:%Y-%m-%d %H:%M}", "zone": zone},
             fontsize=7.5, color="#5b6770")
    fig.text(0.96, 0.025, pgettext("staff", "page %(number)s") % {"number": page}, fontsize=7.5, color="#5b6770",
             ha="right")


def _figures_page(pdf, query: FigureQuery, answer: dict) -> None:
    fig = plt.figure(figsize=A4_LANDSCAPE)
    _title(fig, query, pgettext("staff", "service-delivery report"))
    total = answer["total"]
    headline = [(pgettext("staff", "Issues logged"), _text(total["logged"])),
                (pgettext("staff", "Resolved"), _text(total["resolved"])),
                (pgettext("staff", "Open at the end"), _text(total["backlog"])),
                (pgettext("staff", "Median time to resolve"), f"{_text(total['median_hours_to_resolve'])} h"),
                (pgettext("staff", "Resolved within SLA"), _text(total["share_within_sla"], "share_within_sla")),
                (pgettext("staff", "Mean rating"), _text(total["mean_rating"]))]
    for index, (label, value) in enumerate(headline):
        x = 0.04 + index * 0.155
        fig.patches.append(plt.Rectangle((x, 0.78), 0.145, 0.1, transform=fig.transFigure, color="#f3f6f8"))
        fig.text(x + 0.008, 0.855, label, fontsize=8.5, color="#5b6770")
        fig.text(x + 0.008, 0.795, value, fontsize=17, weight="bold", color="#1d2327")
    rows = [[area["name"], *(_text(area[key], key) for key, _ in TABLE_FIGURES)] for area in answer["areas"]]
    if answer["outside_areas"]["logged"] or answer["outside_areas"]["backlog"]:
        rows.append([pgettext("staff", "Outside these areas"), *(_text(answer["outside_areas"][k], k) for k, _ in TABLE_FIGURES)])
    if answer["no_location"]["logged"] or answer["no_location"]["backlog"]:
        rows.append([pgettext("staff", "No location"), *(_text(answer["no_location"][k], k) for k, _ in TABLE_FIGURES)])
    rows.append([pgettext("staff", "Total"), *(_text(total[k], k) for k, _ in TABLE_FIGURES)])
    axes = fig.add_axes([0.04, 0.08, 0.92, 0.66])
    axes.axis("off")
    shown = rows[:34]
    headings = [pgettext("staff", "Area"), *(str(label) for _, label in TABLE_FIGURES)]
    table = axes.table(cellText=shown, colLabels=headings, loc="upper center",
                       cellLoc="right", colLoc="center")
    table.auto_set_font_size(False)
    table.set_fontsize(8 if len(shown) < 20 else 6.5)
    table.scale(1, 1.25 if len(shown) < 20 else 1.0)
    for (row, column), cell in table.get_celld().items():
        cell.set_edgecolor("#d0d7de")
        if row == 0:
            cell.set_facecolor("#e4e8eb")
            cell.set_text_props(weight="bold")
            cell.set_height(cell.get_height() * 1.8)
        if column == 0:
            cell.set_text_props(ha="left")
        if row == len(shown):
            cell.set_text_props(weight="bold")
    if len(rows) > len(shown):
        fig.text(0.04, 0.06, f"{len(rows) - len(shown)} more areas in the CSV or Excel export of this table.", fontsize=8)
    _footer(fig, 1, query.municipality.timezone)
    pdf.savefig(fig)
    plt.close(fig)


def _area_frame(query: FigureQuery, srid: int) -> geopandas.GeoDataFrame:
    table = "wards_ward" if query.level == "ward" else "wards_suburb"
    ids = [area.id for area in query.areas] if not query.restricted else None
    with connection.cursor() as cursor:
        if query.level == "ward":
            cursor.execute(f"SELECT id, ST_AsBinary(ST_Transform(geom, %s)) FROM {table} WHERE boundary_set_id = %s",
                           [srid, query.boundary_set.id])
        else:
            cursor.execute(f"SELECT id, ST_AsBinary(ST_Transform(geom, %s)) FROM {table} WHERE id = ANY(%s)", [srid, ids])
        rows = cursor.fetchall()
    return geopandas.GeoDataFrame({"id": [r[0] for r in rows]},
                                  geometry=[shapely.from_wkb(bytes(r[1])) for r in rows], crs=f"EPSG:{srid}")


def _maps_page(pdf, query: FigureQuery, answer: dict) -> None:
    srid = metric_srid(query.municipality.id)
    fig = plt.figure(figsize=A4_LANDSCAPE)
    _title(fig, query, pgettext("staff", "where issues are"))
    if srid is None:
        fig.text(0.04, 0.5, pgettext("staff", "This municipality has no boundary yet: no maps."))
    else:
        areas = _area_frame(query, srid)
        values = {area["id"]: area["logged"] for area in answer["areas"]}
        logged = [values.get(i) for i in areas["id"]]
        breaks = class_breaks([v for v in logged if v is not None])
        left = fig.add_axes([0.03, 0.12, 0.46, 0.74])
        areas.plot(ax=left, color=[colour_of(v, breaks) if v is not None else "#ffffff" for v in logged],
                   edgecolor="#4a5560", linewidth=0.7)
        halo = [patheffects.withStroke(linewidth=2.5, foreground="white")]
        for geometry, value in zip(areas.geometry, logged, strict=True):
            if value is not None:
                point = geometry.representative_point()
                left.annotate(f"{value:,}", (point.x, point.y), ha="center", va="center", fontsize=7.5,
                              color="#1d2327", path_effects=halo)
        left.set_title(pgettext("staff", "Issues logged per area (the number in each)"), fontsize=11, loc="left")
        _class_legend(left, breaks, [v for v in logged if v is not None])
        right = fig.add_axes([0.51, 0.12, 0.46, 0.74])
        hexes = json.loads(figures_module.hexgrid_geojson(query, 500))["features"]
        areas.plot(ax=right, color="#ffffff", edgecolor="#8a98a5", linewidth=0.6)
        if hexes:
            counts = [f["properties"]["issues"] for f in hexes]
            hex_breaks = class_breaks(counts)
            cells = geopandas.GeoSeries([hexagon_polygon(500, f["properties"]["i"], f["properties"]["j"]) for f in hexes])
            cells.plot(ax=right, color=[colour_of(c, hex_breaks) for c in counts], edgecolor="#7f2704", linewidth=0.2)
            _class_legend(right, hex_breaks, counts)
        hexagons_title = pgettext("staff", "Issues logged per 500 m hexagon (%(count)s with issues)")
        right.set_title(hexagons_title % {"count": f"{len(hexes):,}"}, fontsize=11, loc="left")
        chosen = [v is not None for v in logged]
        focus = areas[chosen] if query.restricted and any(chosen) else areas
        west, south, east, north = focus.total_bounds
        pad = 0.04 * max(east - west, north - south)
        for axes in (left, right):
            axes.set_xlim(west - pad, east + pad)
            axes.set_ylim(south - pad, north + pad)
            axes.set_aspect("equal")
            axes.set_xticks([])
            axes.set_yticks([])
            axes.set_xlabel("")
            axes.set_ylabel("")
            _scale_bar(axes, east - west)
        fig.text(0.04, 0.065, f"Metres in EPSG:{srid} (UTM zone of the municipality). Darker is more; colour classes "
                 "at the quantiles of the values" + ("; other wards in white." if query.restricted else "."),
                 fontsize=8, color="#3b4650")
    _footer(fig, 2, query.municipality.timezone)
    pdf.savefig(fig)
    plt.close(fig)


def _class_legend(axes, breaks: list[float], values: list) -> None:
    if not values:
        return
    bounds = [min(values), *breaks, max(values)]
    handles = []
    for k in range(len(breaks) + 1):
        top = bounds[k + 1] if k == len(breaks) else bounds[k + 1] - 1
        label = f"{bounds[k]:,}" if bounds[k] == top else f"{bounds[k]:,}–{top:,}"
        handles.append(Patch(facecolor=colour_of(bounds[k], breaks), edgecolor="#7d8b96", label=label))
    axes.legend(handles=handles, title=pgettext("staff", "Issues"), loc="lower right", fontsize=7.5, title_fontsize=8,
                frameon=True)


def _scale_bar(axes, width_m: float) -> None:
    length = next(step for step in (500, 1000, 2000, 5000, 10000, 20000, 50000) if step >= width_m / 6)
    x0, x1 = axes.get_xlim()
    y0, y1 = axes.get_ylim()
    x, y = x0 + 0.05 * (x1 - x0), y0 + 0.04 * (y1 - y0)
    axes.plot([x, x + length], [y, y], color="#1d2327", linewidth=2.5)
    axes.text(x + length / 2, y + 0.015 * (y1 - y0), f"{length / 1000:g} km", ha="center", fontsize=8)


def _trends_page(pdf, query: FigureQuery) -> None:
    trends = figures_module.trend_series(query, interval="month", by="total")["series"][0]["points"]
    fig = plt.figure(figsize=A4_LANDSCAPE)
    _title(fig, query, pgettext("staff", "issues per month"))
    axes = fig.add_axes([0.07, 0.14, 0.88, 0.7])
    months = [datetime.date.fromisoformat(p["period_start"]) for p in trends]
    axes.bar(months, [p["logged"] for p in trends], width=20, color="#6baed6", label=pgettext("staff", "Logged"))
    axes.plot(months, [p["resolved"] for p in trends], color="#1b7f3b", marker="o", linewidth=2,
              label=pgettext("staff", "Resolved"))
    axes.plot(months, [p["backlog"] for p in trends], color="#e6550d", linewidth=2, linestyle="--",
              label=pgettext("staff", "Open at the end of the month"))
    axes.set_ylabel(pgettext("staff", "Issues"))
    axes.grid(axis="y", color="#e4e8eb")
    axes.legend(loc="upper left", frameon=False)
    axes.spines[["top", "right"]].set_visible(False)
    fig.text(0.07, 0.07, pgettext("staff", "The first and last months may be part-months, cut by the report's dates."),
             fontsize=8)
    _footer(fig, 3, query.municipality.timezone)
    pdf.savefig(fig)
    plt.close(fig)


def _forecast_page(pdf, query: FigureQuery) -> None:
    answer = forecast_table(query, months=6, by="total")
    series = answer["series"][0]
    fig = plt.figure(figsize=A4_LANDSCAPE)
    _title(fig, query, pgettext("staff", "forecast for the next six months"))
    axes = fig.add_axes([0.07, 0.36, 0.88, 0.48])
    past = [datetime.date.fromisoformat(p["month"]) for p in series["history"]]
    ahead = [datetime.date.fromisoformat(p["month"]) for p in series["forecast"]]
    axes.plot(past, [p["issues"] for p in series["history"]], color="#1f5f8b", marker="o", linewidth=2,
              label=pgettext("staff", "Issues logged (whole months)"))
    axes.fill_between(ahead, [p["lower"] for p in series["forecast"]], [p["upper"] for p in series["forecast"]],
                      color="#b3261e", alpha=0.18, label=answer["band"])
    axes.plot(ahead, [p["issues"] for p in series["forecast"]], color="#b3261e", marker="o", linestyle="--", linewidth=2,
              label=f"Forecast ({series['method'].replace('_', ' ')})")
    axes.set_ylabel(pgettext("staff", "Issues per month"))
    axes.grid(axis="y", color="#e4e8eb")
    axes.legend(loc="upper left", frameon=False)
    axes.spines[["top", "right"]].set_visible(False)
    rows = [[p["month"][:7], f"{p['issues']:,.0f}", f"{p['lower']:,.0f} to {p['upper']:,.0f}",
             f"{series['currency']} {p['cost']:,.0f}" if "cost" in p else "–",
             f"{p['cost_lower']:,.0f} to {p['cost_upper']:,.0f}" if "cost" in p else "–"] for p in series["forecast"]]
    table_axes = fig.add_axes([0.07, 0.07, 0.52, 0.22])
    table_axes.axis("off")
    headings = [pgettext("staff", "Month"), pgettext("staff", "Issues"), pgettext("staff", "Band"),
                pgettext("staff", "Projected cost"), pgettext("staff", "Cost band")]
    table = table_axes.table(cellText=rows, colLabels=headings, loc="upper left", cellLoc="right")
    table.auto_set_font_size(False)
    table.set_fontsize(8.5)
    for (row, _), cell in table.get_celld().items():
        cell.set_edgecolor("#d0d7de")
        if row == 0:
            cell.set_facecolor("#e4e8eb")
    covered = ", ".join(series.get("cost_covers_categories", [])) or "none (no category has a unit cost)"
    fig.text(0.63, 0.29, pgettext("staff", "How this is made"), fontsize=9, weight="bold", va="top")
    fig.text(0.63, 0.265, "\n".join([
        "Seasonal naive when there are 24 or more whole months of",
        "history (next March is this March), otherwise a least-squares",
        "linear trend. The band is the prediction interval of the",
        f"method's residuals. History: {len(answer['history_months'])} whole months.",
        "Projected cost: the forecast of issues x unit cost, for the",
        f"categories with a unit cost: {covered}.",
    ]), fontsize=8, color="#3b4650", va="top", linespacing=1.5)
    _footer(fig, 4, query.municipality.timezone)
    pdf.savefig(fig)
    plt.close(fig)


def report_pdf(query: FigureQuery) -> bytes:
    answer = figures_module.figures_by_area(query)
    buffer = io.BytesIO()
    title = f"{query.municipality.title}: service-delivery report {query.first_day} to {query.last_day}"
    with PdfPages(buffer, metadata={"Title": title, "Creator": "Imbizo", "Subject": "Per-area figures for planners"}) as pdf:
        _figures_page(pdf, query, answer)
        _maps_page(pdf, query, answer)
        _trends_page(pdf, query)
        _forecast_page(pdf, query)
    return buffer.getvalue()
