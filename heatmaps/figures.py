"""The figures planners read, per ward or suburb, for any period and filter.

Where each number comes from:

- Counts and sums (logged, acknowledged, resolved, open backlog, means, share within SLA, mean
  rating) from the summary tables: whole months from MonthlySummary, the days at either end
  from DailySummary. Milliseconds for any period.
- Medians and 90th percentiles of the times to acknowledge and to resolve, and repeat issues per
  asset, exactly, from IssueFact through its covering indexes (a percentile cannot be added up
  from buckets). They cost time in proportion to the issues in the period.

Definitions (local calendar days of the municipality, `from` and `to` included):

- logged: issues reported in the period. acknowledged / resolved: acknowledged / resolved in it.
- backlog: issues still open at the end of `to` (reported by then and not yet ended then).
- times to acknowledge: of the issues acknowledged in the period; to resolve: of those resolved in
  it. Medians and percentiles interpolate linearly (PostgreSQL percentile_cont, numpy's default).
- share within SLA: of the issues resolved in the period that had a target (the category's SLA
  when reported), the share resolved by it.
- mean rating: the stars given to the issues resolved in the period.
- assets with repeats / repeat issues: assets with more than one issue reported in the period,
  and the issues beyond each asset's first.

An area without issues reports 0 for counts and no value (null) for medians, shares and means.
Issues with a location outside the areas listed (a ward of another demarcation, or none) are in
`outside_areas`; imported issues without any location are in `no_location`; `total` has all.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.db import connection, connections

from heatmaps.grid import HEX_SIZES, hex_cell_sql, hex_params, metric_srid
from heatmaps.query import FigureQuery, area_key_sql, filter_sql
from toolkit.replica import read_alias

HISTORY_START = datetime.date(1900, 1, 1)


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    unit: str
    source: str  # the query that computes it: counts, backlog, acknowledge_times, resolve_times, repeats
    is_count: bool = False


FIGURES = [
    Figure("logged", "Issues logged", "issues", "counts", True),
    Figure("acknowledged", "Issues acknowledged", "issues", "counts", True),
    Figure("resolved", "Issues resolved", "issues", "counts", True),
    Figure("backlog", "Open backlog at the end of the period", "issues", "backlog", True),
    Figure("median_hours_to_acknowledge", "Median time to acknowledge", "hours", "acknowledge_times"),
    Figure("p90_hours_to_acknowledge", "90th percentile time to acknowledge", "hours", "acknowledge_times"),
    Figure("mean_hours_to_acknowledge", "Mean time to acknowledge", "hours", "counts"),
    Figure("median_hours_to_resolve", "Median time to resolve", "hours", "resolve_times"),
    Figure("p90_hours_to_resolve", "90th percentile time to resolve", "hours", "resolve_times"),
    Figure("mean_hours_to_resolve", "Mean time to resolve", "hours", "counts"),
    Figure("share_within_sla", "Share resolved within the SLA", "share", "counts"),
    Figure("mean_rating", "Mean rating (1-5 stars)", "stars", "counts"),
    Figure("assets_with_repeats", "Assets with repeat issues", "assets", "repeats", True),
    Figure("repeat_issues", "Repeat issues on the same asset", "issues", "repeats", True),
]
FIGURES_BY_KEY = {figure.key: figure for figure in FIGURES}
TOTAL, OUTSIDE, NO_LOCATION = "total", 0, -1


# --- periods -----------------------------------------------------------------------------------

def month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def next_month(day: datetime.date) -> datetime.date:
    return (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)


def add_months(day: datetime.date, months: int) -> datetime.date:
    index = day.year * 12 + day.month - 1 + months
    return datetime.date(index // 12, index % 12 + 1, 1)


def spans(first: datetime.date, last: datetime.date):
    """Split [first, last] into whole months [from, to) and the leftover day ranges at the ends."""
    full_from = first if first.day == 1 else next_month(first)
    end = next_month(last) if next_month(last) - datetime.timedelta(days=1) == last else month_start(last)
    if full_from >= end:
        return None, [(first, last)]
    days = []
    if first < full_from:
        days.append((first, full_from - datetime.timedelta(days=1)))
    if end <= last:
        days.append((end, last))
    return (full_from, end), days


def summary_rows_sql(columns: str, where: str, first: datetime.date, last: datetime.date, name: str, *,
                     areas_only: bool = False) -> tuple[str, dict]:
    """SELECT `columns` from the summary rows covering [first, last]: month rows for whole months,
    day rows for the rest. `areas_only`: from the per-area summaries (no filter dimensions, a few
    rows a day). Parameter names are prefixed with `name`."""
    daily, monthly = (("heatmaps_dailyareasummary", "heatmaps_monthlyareasummary") if areas_only
                      else ("heatmaps_dailysummary", "heatmaps_monthlysummary"))
    months, days = spans(first, last)
    parts, params = [], {}
    if months:
        parts.append(f"SELECT {columns} FROM {monthly} WHERE {where} "
                     f"AND period_start >= %({name}_months_from)s AND period_start < %({name}_months_to)s")
        params[f"{name}_months_from"], params[f"{name}_months_to"] = months
    if days:
        ranges = []
        for n, (day_from, day_to) in enumerate(days):
            ranges.append(f"period_start BETWEEN %({name}_days{n}_from)s AND %({name}_days{n}_to)s")
            params[f"{name}_days{n}_from"], params[f"{name}_days{n}_to"] = day_from, day_to
        parts.append(f"SELECT {columns} FROM {daily} WHERE {where} AND ({' OR '.join(ranges)})")
    return " UNION ALL ".join(parts), params


# --- figures per area --------------------------------------------------------------------------

def _fetch(sql: str, params: dict) -> list[tuple]:
    with connections[read_alias()].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _by_area(rows, *, total_index: int = 1) -> dict:
    """Rows of (area, grouping flag, values...) → {area or TOTAL: values}."""
    return {TOTAL if row[total_index] else row[0]: row[total_index + 1:] for row in rows}


def _hours(seconds):
    return None if seconds is None else round(seconds / 3600, 2)


def _ratio(numerator, denominator, digits: int = 4):
    return round(numerator / denominator, digits) if denominator else None


def _counts(query: FigureQuery) -> dict:
    where, params = filter_sql(query)
    columns = (f"{area_key_sql(query)} AS area, logged, acknowledged, acknowledge_seconds, resolved, resolve_seconds, "
               "resolved_with_target, resolved_within_target, rating_count, rating_sum")
    rows_sql, span_params = summary_rows_sql(columns, where, query.first_day, query.last_day, "period",
                                             areas_only=query.is_unfiltered)
    sums = ", ".join(f"coalesce(sum({column}), 0)" for column in (
        "logged", "acknowledged", "acknowledge_seconds", "resolved", "resolve_seconds", "resolved_with_target",
        "resolved_within_target", "rating_count", "rating_sum"))
    sql = f"SELECT area, GROUPING(area), {sums} FROM ({rows_sql}) s GROUP BY GROUPING SETS ((area), ())"
    result = {}
    for area, values in _by_area(_fetch(sql, {**params, **span_params})).items():
        logged, acknowledged, ack_seconds, resolved, resolve_seconds, with_target, within, rating_count, rating_sum = values
        result[area] = {
            "logged": int(logged), "acknowledged": int(acknowledged), "resolved": int(resolved),
            "mean_hours_to_acknowledge": _hours(ack_seconds / acknowledged) if acknowledged else None,
            "mean_hours_to_resolve": _hours(resolve_seconds / resolved) if resolved else None,
            "share_within_sla": _ratio(within, with_target),
            "mean_rating": _ratio(rating_sum, rating_count, 2),
        }
    return result


def _backlog(query: FigureQuery) -> dict:
    where, params = filter_sql(query)
    rows_sql, span_params = summary_rows_sql(f"{area_key_sql(query)} AS area, logged, ended", where, HISTORY_START,
                                             query.last_day, "backlog", areas_only=query.is_unfiltered)
    sql = (f"SELECT area, GROUPING(area), coalesce(sum(logged) - sum(ended), 0) FROM ({rows_sql}) s "
           "GROUP BY GROUPING SETS ((area), ())")
    return {area: {"backlog": int(values[0])} for area, values in _by_area(_fetch(sql, {**params, **span_params})).items()}


def _times(query: FigureQuery, step: str) -> dict:
    """Exact median and 90th percentile of the time to `step` (acknowledge|resolve), in hours."""
    day, seconds = {"acknowledge": ("acknowledged_day", "seconds_to_acknowledge"),
                    "resolve": ("resolved_day", "seconds_to_resolve")}[step]
    where, params = filter_sql(query, "f")
    sql = (f"SELECT area, GROUPING(area), percentile_cont(0.5) WITHIN GROUP (ORDER BY s), "
           f"percentile_cont(0.9) WITHIN GROUP (ORDER BY s) FROM ("
           f"  SELECT {area_key_sql(query, 'f')} AS area, f.{seconds} AS s FROM heatmaps_issuefact f"
           f"   WHERE {where} AND f.{day} BETWEEN %(first)s AND %(last)s AND f.{seconds} IS NOT NULL"
           f") t GROUP BY GROUPING SETS ((area), ())")
    rows = _fetch(sql, {**params, "first": query.first_day, "last": query.last_day})
    return {area: {f"median_hours_to_{step}": _hours(median), f"p90_hours_to_{step}": _hours(p90)}
            for area, (median, p90) in _by_area(rows).items()}


def _repeats(query: FigureQuery) -> dict:
    where, params = filter_sql(query, "f")
    sql = (f"SELECT CASE WHEN g = 1 THEN NULL ELSE area END, g, count(*) FILTER (WHERE n > 1), "
           f"coalesce(sum(n - 1) FILTER (WHERE n > 1), 0) FROM ("
           f"  SELECT area, asset_id, GROUPING(area) AS g, count(*) AS n FROM ("
           f"    SELECT {area_key_sql(query, 'f')} AS area, f.asset_id FROM heatmaps_issuefact f"
           f"     WHERE {where} AND f.created_day BETWEEN %(first)s AND %(last)s AND f.asset_id IS NOT NULL"
           f"  ) t GROUP BY GROUPING SETS ((area, asset_id), (asset_id))"
           f") per_asset GROUP BY g, CASE WHEN g = 1 THEN NULL ELSE area END")
    rows = _fetch(sql, {**params, "first": query.first_day, "last": query.last_day})
    return {area: {"assets_with_repeats": int(assets), "repeat_issues": int(issues)}
            for area, (assets, issues) in _by_area(rows).items()}


SOURCES = {
    "counts": _counts,
    "backlog": _backlog,
    "acknowledge_times": lambda query: _times(query, "acknowledge"),
    "resolve_times": lambda query: _times(query, "resolve"),
    "repeats": _repeats,
}


def _empty(figures: list[Figure]) -> dict:
    return {figure.key: 0 if figure.is_count else None for figure in figures}


def figure_values(query: FigureQuery, figures: list[Figure]) -> dict:
    """{area id | OUTSIDE | NO_LOCATION | TOTAL: {figure key: value}} for every area, with zeros."""
    values: dict = {key: _empty(figures) for key in [*query.area_ids, OUTSIDE, NO_LOCATION, TOTAL]}
    for source in dict.fromkeys(figure.source for figure in figures):
        for area, found in SOURCES[source](query).items():
            if area in values:
                values[area].update({key: value for key, value in found.items() if key in values[area]})
    return values


def figures_by_area(query: FigureQuery, figures: list[Figure] | None = None) -> dict:
    figures = figures or FIGURES
    values = figure_values(query, figures)
    return {
        "query": query.describe(),
        "figures": [{"key": f.key, "label": f.label, "unit": f.unit} for f in figures],
        "areas": [{"id": area.id, "code": area.code, "name": area.name, "number": area.number, **values[area.id]}
                  for area in query.areas],
        "outside_areas": values[OUTSIDE],
        "no_location": values[NO_LOCATION],
        "total": values[TOTAL],
    }


# --- maps --------------------------------------------------------------------------------------

def choropleth_geojson(query: FigureQuery, figure: Figure, *, precision: int = 6) -> str:
    """The areas as a GeoJSON FeatureCollection (built in SQL) with the figure as `value`."""
    values = figure_values(query, [figure])
    ids = query.area_ids
    table = "wards_ward" if query.level == "ward" else "wards_suburb"
    label = "'Ward ' || a.number" if query.level == "ward" else "a.name"
    number = "a.number" if query.level == "ward" else "NULL::int"
    sql = f"""
        SELECT json_build_object(
            'type', 'FeatureCollection', 'figure', %(figure)s::text, 'unit', %(unit)s::text,
            'features', coalesce(json_agg(json_build_object(
                'type', 'Feature', 'id', a.id,
                'geometry', ST_AsGeoJSON(a.geom, %(precision)s)::json,
                'properties', json_build_object('code', a.code, 'name', {label}, 'number', {number}, 'value', v.value)
            ) ORDER BY v.n), '[]'::json))::text
          FROM unnest(%(ids)s::bigint[], %(values)s::float8[]) WITH ORDINALITY AS v(id, value, n)
          JOIN {table} a ON a.id = v.id
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, {"figure": figure.key, "unit": figure.unit, "precision": precision, "ids": ids,
                             "values": [values[area_id][figure.key] for area_id in ids]})
        return cursor.fetchone()[0]


def hexgrid_geojson(query: FigureQuery, size: float, *, include_empty: bool = False) -> str:
    """Issues logged in the period per hexagon of `size` metres (edge length), as GeoJSON.

    Each hexagon's count is of the points nearest its centre (grid.py), computed on the stored
    metric coordinates; only the occupied cells become polygons, unless `include_empty`, which
    adds every cell of ST_HexagonGrid touching the municipality with 0."""
    srid = metric_srid(query.municipality.id)
    if srid is None:
        return '{"type": "FeatureCollection", "features": []}'
    where, params = filter_sql(query, "f")
    params.update(hex_params(size), first=query.first_day, last=query.last_day, srid=srid)
    cells = f"""
        SELECT hex_i AS i, hex_j AS j, count(*) AS issues FROM heatmaps_issuefact f {hex_cell_sql("f.x", "f.y")}
         WHERE {where} AND f.created_day BETWEEN %(first)s AND %(last)s AND f.x IS NOT NULL
         GROUP BY hex_i, hex_j
    """
    if query.is_unfiltered and not query.restricted and size in HEX_SIZES:
        # Whole months from MonthlyHexSummary; only the days at either end are counted from the facts.
        months, days = spans(query.first_day, query.last_day)
        parts = []
        if months:
            parts.append("SELECT i, j, logged AS issues FROM heatmaps_monthlyhexsummary WHERE municipality_id = "
                         "%(municipality)s AND size = %(size_m)s AND period_start >= %(months_from)s "
                         "AND period_start < %(months_to)s")
            params.update(size_m=int(size), months_from=months[0], months_to=months[1])
        for n, (day_from, day_to) in enumerate(days):
            parts.append(f"""
                SELECT hex_i, hex_j, 1 FROM heatmaps_issuefact f {hex_cell_sql("f.x", "f.y")}
                 WHERE {where} AND f.created_day BETWEEN %(days{n}_from)s AND %(days{n}_to)s AND f.x IS NOT NULL""")
            params[f"days{n}_from"], params[f"days{n}_to"] = day_from, day_to
        cells = f"SELECT i, j, sum(issues)::int AS issues FROM ({' UNION ALL '.join(parts)}) u(i, j, issues) GROUP BY i, j"
    if include_empty:
        cells = f"""
            WITH counted AS ({cells}),
                 grid AS (
                    SELECT g.i, g.j FROM wards_municipality m
                     CROSS JOIN LATERAL ST_Transform(m.boundary, %(srid)s) b
                     CROSS JOIN LATERAL ST_HexagonGrid(%(hex_size)s, b) g
                     WHERE m.id = %(municipality)s AND ST_Intersects(g.geom, b))
            SELECT coalesce(grid.i, counted.i) AS i, coalesce(grid.j, counted.j) AS j,
                   coalesce(counted.issues, 0) AS issues
              FROM grid FULL JOIN counted ON counted.i = grid.i AND counted.j = grid.j
        """
    sql = f"""
        SELECT json_build_object(
            'type', 'FeatureCollection', 'size_m', %(hex_size)s, 'metric_srid', %(srid)s,
            'features', coalesce(json_agg(json_build_object(
                'type', 'Feature', 'id', c.i || ',' || c.j,
                'geometry', ST_AsGeoJSON(ST_Transform(ST_SetSRID(ST_Hexagon(%(hex_size)s, c.i, c.j), %(srid)s), 4326), 6)::json,
                'properties', json_build_object('i', c.i, 'j', c.j, 'issues', c.issues)
            ) ORDER BY c.i, c.j), '[]'::json))::text
          FROM ({cells}) c
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def density_points(query: FigureQuery, cell: float) -> dict:
    """Issues logged in the period per `cell`-metre square, as weighted points (the squares'
    centres in WGS 84) for a heat layer: [[lat, lon, issues], ...]."""
    srid = metric_srid(query.municipality.id)
    if srid is None:
        return {"cell_m": cell, "max": 0, "points": []}
    where, params = filter_sql(query, "f")
    sql = f"""
        SELECT ST_Y(p), ST_X(p), c.issues FROM (
            SELECT floor(f.x / %(cell)s) AS gx, floor(f.y / %(cell)s) AS gy, count(*) AS issues
              FROM heatmaps_issuefact f
             WHERE {where} AND f.created_day BETWEEN %(first)s AND %(last)s AND f.x IS NOT NULL
             GROUP BY 1, 2
        ) c CROSS JOIN LATERAL ST_Transform(ST_SetSRID(ST_MakePoint((c.gx + 0.5) * %(cell)s, (c.gy + 0.5) * %(cell)s),
                                                       %(srid)s), 4326) p
         ORDER BY c.gx, c.gy
    """
    rows = _fetch(sql, {**params, "cell": float(cell), "first": query.first_day, "last": query.last_day, "srid": srid})
    points = [[round(lat, 6), round(lon, 6), issues] for lat, lon, issues in rows]
    return {"cell_m": cell, "max": max((p[2] for p in points), default=0), "points": points}


# --- trends ------------------------------------------------------------------------------------

def period_starts(first: datetime.date, last: datetime.date, interval: str) -> list[datetime.date]:
    if interval == "month":
        starts, current = [], month_start(first)
        while current <= last:
            starts.append(current)
            current = next_month(current)
        return starts
    current = first - datetime.timedelta(days=first.weekday())  # ISO weeks start on Monday
    starts = []
    while current <= last:
        starts.append(current)
        current += datetime.timedelta(days=7)
    return starts


def _series_key_sql(query: FigureQuery, by: str) -> str:
    return {"total": "0", "area": area_key_sql(query), "category": "category_id"}[by]


def trend_series(query: FigureQuery, *, interval: str, by: str) -> dict:
    """Issues logged, resolved, and the open backlog at each period's end, per week (Monday to
    Sunday) or calendar month, per area, category or in total. The first and last periods may be
    cut by the query's dates (`partial`)."""
    where, params = filter_sql(query)
    key = _series_key_sql(query, by)
    areas_only = query.is_unfiltered and by != "category"
    columns = f"period_start, {key} AS key, logged, resolved, ended"
    if interval == "month":
        rows_sql, span_params = summary_rows_sql(columns, where, query.first_day, query.last_day, "trend",
                                                 areas_only=areas_only)
    else:
        daily = "heatmaps_dailyareasummary" if areas_only else "heatmaps_dailysummary"
        rows_sql = (f"SELECT {columns} FROM {daily} WHERE {where} "
                    "AND period_start BETWEEN %(trend_first)s AND %(trend_last)s")
        span_params = {"trend_first": query.first_day, "trend_last": query.last_day}
    sql = (f"SELECT date_trunc(%(interval)s, period_start)::date, key, sum(logged), sum(resolved), sum(ended) "
           f"FROM ({rows_sql}) s GROUP BY 1, 2")
    rows = _fetch(sql, {**params, **span_params, "interval": interval})
    base_sql, base_params = summary_rows_sql(f"{key} AS key, logged, ended", where, HISTORY_START,
                                             query.first_day - datetime.timedelta(days=1), "base", areas_only=areas_only)
    base = dict(_fetch(f"SELECT key, sum(logged) - sum(ended) FROM ({base_sql}) s GROUP BY key",
                       {**params, **base_params}))
    starts = period_starts(query.first_day, query.last_day, interval)
    by_key: dict = defaultdict(dict)
    for start, series_key, logged, resolved, ended in rows:
        by_key[series_key][start] = (int(logged), int(resolved), int(ended))
    keys = _series_keys(query, by, set(by_key) | set(base))
    series = []
    for series_key, label, code in keys:
        backlog = int(base.get(series_key, 0) or 0)
        points = []
        for start in starts:
            logged, resolved, ended = by_key.get(series_key, {}).get(start, (0, 0, 0))
            backlog += logged - ended
            end = (next_month(start) if interval == "month" else start + datetime.timedelta(days=7)) - datetime.timedelta(days=1)
            points.append({"period_start": start.isoformat(), "logged": logged, "resolved": resolved,
                           "backlog": backlog, "partial": start < query.first_day or end > query.last_day})
        series.append({"key": code, "label": label, "points": points})
    return {"query": query.describe(), "interval": interval, "by": by, "series": series}


def _series_keys(query: FigureQuery, by: str, present: set) -> list[tuple]:
    """(key in SQL, label, code) of each series: every area or category, present or not."""
    if by == "total":
        return [(0, "All issues", "total")]
    if by == "category":
        from triage.issues.models import Category

        categories = Category.objects.filter(municipality=query.municipality)
        if query.categories:
            categories = categories.filter(id__in=query.categories)
        known = [(c.id, c.name, c.code) for c in categories.order_by("name")]
        return known + [(k, f"Category {k}", str(k)) for k in sorted(present - {c[0] for c in known})]
    keys = [(area.id, area.name, area.code) for area in query.areas]
    if OUTSIDE in present:
        keys.append((OUTSIDE, "Outside these areas", "outside"))
    if NO_LOCATION in present:
        keys.append((NO_LOCATION, "No location", "no-location"))
    return keys


def monthly_logged(query: FigureQuery, first_month: datetime.date, end_month: datetime.date, by: str) -> dict:
    """{(series key, category id): {month: issues logged}} over whole months [first, end)."""
    where, params = filter_sql(query)
    sql = (f"SELECT {_series_key_sql(query, 'total' if by == 'category' else by)} AS key, category_id, period_start, "
           f"sum(logged) FROM heatmaps_monthlysummary WHERE {where} AND period_start >= %(first_month)s "
           f"AND period_start < %(end_month)s GROUP BY 1, 2, 3")
    result: dict = defaultdict(dict)
    for key, category_id, month, logged in _fetch(sql, {**params, "first_month": first_month, "end_month": end_month}):
        result[(key, category_id)][month] = int(logged)
    return result
