"""Budget forecasting: next months' issue volumes per area and category, and what they will cost.

History is whole calendar months before the current one (from MonthlySummary): the last
`history` of them when asked; otherwise the last DEFAULT_HISTORY months, or every whole month since
the start of the asked period when that reaches further back (an imported history of ten years is
all used when the period asks for it). It starts at the first whole month with data (a month in
which the records begin part-way is left out: it would look like a drop). Each series is forecast with
heatmaps.forecast; the projected cost is the forecast of the series Σ issues × unit cost over
the categories that have a unit cost (CategoryCost), so it has its own band.
"""

import datetime
from collections import defaultdict
from decimal import Decimal

from django.db import connection

from heatmaps.figures import NO_LOCATION, OUTSIDE, add_months, month_start, monthly_logged, next_month
from heatmaps.forecast import Z, forecast
from heatmaps.models import CategoryCost
from heatmaps.query import FigureQuery, filter_sql, local_today
from triage.issues.models import Category

BY = ("total", "area", "category", "area_category")
DEFAULT_HISTORY = 24
METHODS = ("auto", "seasonal_naive", "linear_trend")


def _first_day_with_data(query: FigureQuery) -> datetime.date | None:
    where, params = filter_sql(query)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT min(created_day) FROM heatmaps_issuefact WHERE {where}", params)
        return cursor.fetchone()[0]


def forecast_table(query: FigureQuery, *, months: int = 6, history: int | None = None, by: str = "total",
                   method: str = "auto", level: int = 80) -> dict:
    end_month = month_start(local_today(query.municipality))
    first_month = add_months(end_month, -(history or DEFAULT_HISTORY))
    if history is None:
        period_start = query.first_day if query.first_day.day == 1 else next_month(query.first_day)
        first_month = min(first_month, month_start(period_start))
    first_day = _first_day_with_data(query)
    if first_day is not None:
        data_start = month_start(first_day) if first_day.day == 1 else next_month(first_day)
        first_month = max(first_month, data_start)
    history_months = []
    current = first_month
    while current < end_month:
        history_months.append(current)
        current = next_month(current)
    forecast_months = [add_months(end_month, h) for h in range(months)]

    raw = monthly_logged(query, first_month, end_month, by="area" if by in ("area", "area_category") else "total")
    categories = {c.id: c for c in Category.objects.filter(municipality=query.municipality).only("id", "code", "name")}
    costs = {c.category_id: c for c in CategoryCost.objects.filter(category__municipality=query.municipality)}
    currencies = {c.currency for c in costs.values()}
    currency = currencies.pop() if len(currencies) == 1 else None

    grouped: dict = defaultdict(lambda: defaultdict(lambda: defaultdict(int)))  # key -> category -> month -> n
    for (area, category_id), by_month in raw.items():
        key = {"total": "total", "area": area, "category": category_id, "area_category": (area, category_id)}[by]
        for month, logged in by_month.items():
            grouped[key][category_id][month] += logged

    series = []
    for key, label, extra in _keys(query, by, grouped, categories):
        per_category = grouped.get(key, {})
        volume = [float(sum(per_category[c].get(m, 0) for c in per_category)) for m in history_months]
        own_category = _category_of(key, by)
        costed = sorted({c for c in [*per_category, own_category] if c in costs}) if currency else []
        volume_forecast = forecast(volume, months, method=method, level=level)
        entry = {"key": extra.pop("code"), "label": label, **extra, "method": volume_forecast.method,
                 "history": [{"month": m.isoformat(), "issues": int(v)} for m, v in zip(history_months, volume, strict=True)],
                 "forecast": [{"month": m.isoformat(), "issues": round(p, 1), "lower": round(lo, 1), "upper": round(hi, 1)}
                              for m, (p, lo, hi) in zip(forecast_months, volume_forecast.points, strict=True)]}
        if costed:
            cost_history = [float(sum(Decimal(per_category.get(c, {}).get(m, 0)) * costs[c].unit_cost for c in costed))
                            for m in history_months]
            # The cost series is forecast by the same method as the volumes it comes from.
            cost_method = volume_forecast.method if volume_forecast.method in METHODS else "auto"
            cost_forecast = forecast(cost_history, months, method=cost_method, level=level)
            for point, (p, lo, hi) in zip(entry["forecast"], cost_forecast.points, strict=True):
                point.update(cost=round(p, 2), cost_lower=round(lo, 2), cost_upper=round(hi, 2))
            entry["currency"] = currency
            entry["cost_covers_categories"] = [categories[c].code for c in costed if c in categories]
        series.append(entry)
    return {
        "query": query.describe(), "level": level, "method": method, "by": by,
        "history_months": [m.isoformat() for m in history_months],
        "forecast_months": [m.isoformat() for m in forecast_months],
        "band": f"{level}% prediction interval (z = {Z[level]})",
        "unit_costs": {categories[c].code: {"unit_cost": str(cost.unit_cost), "currency": cost.currency}
                       for c, cost in costs.items() if c in categories},
        "categories_without_unit_cost": sorted(c.code for c in categories.values() if c.id not in costs),
        "series": series,
    }


def _category_of(key, by: str):
    return key if by == "category" else (key[1] if by == "area_category" else None)


def _keys(query: FigureQuery, by: str, grouped: dict, categories: dict) -> list[tuple]:
    """(grouping key, label, extra fields incl. code) of each series to forecast."""
    areas = {area.id: area for area in query.areas}

    def area_label(area_key):
        if area_key in areas:
            return areas[area_key].name, areas[area_key].code
        return {OUTSIDE: ("Outside these areas", "outside"), NO_LOCATION: ("No location", "no-location")}[area_key]

    if by == "total":
        return [("total", "All issues", {"code": "total"})]
    if by == "area":
        keys = [(area.id, area.name, {"code": area.code}) for area in query.areas]
        return keys + [(k, *area_label(k)[:1], {"code": area_label(k)[1]}) for k in (OUTSIDE, NO_LOCATION) if k in grouped]
    if by == "category":
        chosen = [c for c in categories.values() if not query.categories or c.id in query.categories]
        return [(c.id, c.name, {"code": c.code, "category": c.code}) for c in sorted(chosen, key=lambda c: c.name)]
    keys = []
    for area_key, category_id in sorted(grouped, key=lambda k: (str(area_label(k[0])[1]), k[1])):
        label, code = area_label(area_key)
        category = categories.get(category_id)
        keys.append(((area_key, category_id), f"{label}: {category.name if category else category_id}",
                     {"code": f"{code}/{category.code if category else category_id}", "area": code,
                      "category": category.code if category else str(category_id)}))
    return keys
