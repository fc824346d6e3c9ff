"""What a planner asks for: a municipality, a period of local days, the areas, and filters.

Parsed from query parameters without a framework (the API, the page, the exports and the
scheduled reports share it); every mistake is a `BadParameter` naming the parameter.

    municipality=GT423            required
    from=2026-01-01&to=2026-03-31 local calendar days, both included (default: the last 365 days)
    level=ward|suburb             the areas of the figures (default ward)
    year=2011                     the ward demarcation (default the current one)
    ward=74203008 | 8             restrict to one ward (its code, or its number in that demarcation)
    category=pothole,water-leak   category codes       kind=fault,service_request
    department=roads              department codes     channel=web,sms
    status=open | closed | submitted,acknowledged,...
"""

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.utils import timezone

from accounts.models import Department
from toolkit.params import BadParameter
from triage.issues.models import Category, Channel, Kind
from triage.issues.workflow import CLOSED_STATUSES, OPEN_STATUSES, Status
from wards.models import BoundarySet, Municipality, Suburb, Ward

LEVELS = ("ward", "suburb")
DEFAULT_DAYS = 365
FILTER_PARAMETERS = ("category", "kind", "department", "channel", "status")


@dataclass(frozen=True)
class Area:
    id: int
    code: str
    name: str
    number: int | None = None


@dataclass(frozen=True)
class FigureQuery:
    municipality: Municipality
    first_day: datetime.date
    last_day: datetime.date
    level: str = "ward"
    boundary_set: BoundarySet | None = None
    areas: tuple[Area, ...] = ()
    restricted: bool = False  # one ward asked for: totals cover only it
    categories: tuple[int, ...] = ()
    kinds: tuple[str, ...] = ()
    departments: tuple[int, ...] = ()
    channels: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    filter_labels: dict = field(default_factory=dict, hash=False, compare=False)

    @property
    def area_ids(self) -> list[int]:
        return [area.id for area in self.areas]

    @property
    def is_unfiltered(self) -> bool:
        """No filter but the areas: the per-area summaries (a few rows a day) can answer."""
        return not (self.categories or self.kinds or self.departments or self.channels or self.statuses)

    @property
    def area_column(self) -> str:
        return "ward_id" if self.level == "ward" else "suburb_id"

    def describe(self) -> dict:
        """The query as answers echo it (codes, not ids)."""
        return {
            "municipality": self.municipality.code, "from": self.first_day.isoformat(), "to": self.last_day.isoformat(),
            "level": self.level, "year": self.boundary_set.year if self.boundary_set else None,
            "filters": {name: list(values) for name, values in self.filter_labels.items() if values},
        }


def local_today(municipality: Municipality) -> datetime.date:
    return timezone.now().astimezone(ZoneInfo(municipality.timezone)).date()


def parse_figure_query(params: Mapping, *, municipality: Municipality | None = None) -> FigureQuery:
    municipality = municipality or parse_municipality(params)
    last_day = parse_day(params, "to") or local_today(municipality)
    first_day = parse_day(params, "from") or last_day - datetime.timedelta(days=DEFAULT_DAYS - 1)
    if first_day > last_day:
        raise BadParameter("from", f"{first_day} is after to={last_day}; the period runs from 'from' to 'to'.")
    level = (params.get("level") or "ward").strip()
    if level not in LEVELS:
        raise BadParameter("level", f"'{level}' is not one of: {', '.join(LEVELS)}.")
    boundary_set, areas, restricted = None, (), False
    if level == "ward":
        boundary_set = parse_boundary_set(params, municipality)
        areas, restricted = parse_wards(params, boundary_set)
    else:
        if params.get("ward"):
            raise BadParameter("ward", "restricting to a ward needs level=ward.")
        areas = tuple(Area(s.id, s.code, s.name) for s in Suburb.objects.filter(municipality=municipality)
                      .only("id", "code", "name").order_by("name", "code"))
    categories, category_codes = _codes(params, "category", {
        c.code: c.id for c in Category.objects.filter(municipality=municipality).only("id", "code")})
    departments, department_codes = _codes(params, "department", {
        d.code: d.id for d in Department.objects.filter(municipality=municipality).only("id", "code")})
    kinds = _values(params, "kind", Kind.values)
    channels = _values(params, "channel", Channel.values)
    statuses = _statuses(params)
    return FigureQuery(
        municipality=municipality, first_day=first_day, last_day=last_day, level=level, boundary_set=boundary_set,
        areas=areas, restricted=restricted, categories=categories, kinds=kinds, departments=departments,
        channels=channels, statuses=statuses,
        filter_labels={"category": category_codes, "kind": kinds, "department": department_codes, "channel": channels,
                       "status": statuses},
    )


def parse_municipality(params: Mapping) -> Municipality:
    code = (params.get("municipality") or "").strip()
    if not code:
        raise BadParameter("municipality", "this parameter is required (a municipality code, e.g. GT423).")
    municipality = Municipality.objects.defer("boundary").filter(code=code).first()
    if municipality is None:
        raise BadParameter("municipality", f"no municipality has the code '{code}'.")
    return municipality


def parse_day(params: Mapping, name: str) -> datetime.date | None:
    raw = (params.get(name) or "").strip()
    if not raw:
        return None
    try:
        day = datetime.date.fromisoformat(raw)
    except ValueError:
        raise BadParameter(name, f"'{raw}' is not a date (use YYYY-MM-DD).") from None
    if not 1900 <= day.year <= 2999:
        raise BadParameter(name, f"{raw} is outside the years 1900 to 2999.")
    return day


def parse_boundary_set(params: Mapping, municipality: Municipality) -> BoundarySet:
    raw = (params.get("year") or "").strip()
    sets = BoundarySet.objects.filter(municipality=municipality)
    if raw:
        if not raw.isdigit():
            raise BadParameter("year", f"'{raw}' is not a year.")
        chosen = sets.filter(year=int(raw)).first()
        if chosen is None:
            years = ", ".join(str(y) for y in sets.values_list("year", flat=True)) or "none"
            raise BadParameter("year", f"{municipality.code} has no ward demarcation of {raw} (it has: {years}).")
        return chosen
    chosen = sets.filter(is_current=True).first()
    if chosen is None:
        raise BadParameter("municipality", f"{municipality.code} has no wards yet; import them first.")
    return chosen


def parse_wards(params: Mapping, boundary_set: BoundarySet) -> tuple[tuple[Area, ...], bool]:
    wards = Ward.objects.filter(boundary_set=boundary_set).only("id", "code", "number").order_by("number", "code")
    raw = (params.get("ward") or "").strip()
    if raw:
        chosen = [w for w in wards if w.code == raw or (raw.isdigit() and str(w.number) == raw.lstrip("0"))]
        if not chosen:
            raise BadParameter("ward", f"no ward '{raw}' (a ward code or number) in {boundary_set}.")
        wards = chosen[:1]
    return tuple(Area(w.id, w.code, f"Ward {w.number}", w.number) for w in wards), bool(raw)


def _split(params: Mapping, name: str) -> list[str]:
    raw = params.get(name) or ""
    return [part.strip() for part in raw.split(",") if part.strip()]


def _codes(params: Mapping, name: str, known: dict[str, int]) -> tuple[tuple[int, ...], tuple[str, ...]]:
    codes = _split(params, name)
    unknown = [code for code in codes if code not in known]
    if unknown:
        raise BadParameter(name, f"unknown {name} {', '.join(repr(c) for c in unknown)}; known: "
                                 f"{', '.join(sorted(known)) or 'none'}.")
    return tuple(known[code] for code in codes), tuple(codes)


def _values(params: Mapping, name: str, allowed: list[str]) -> tuple[str, ...]:
    values = _split(params, name)
    unknown = [value for value in values if value not in allowed]
    if unknown:
        raise BadParameter(name, f"unknown {name} {', '.join(repr(v) for v in unknown)}; use: {', '.join(allowed)}.")
    return tuple(values)


def _statuses(params: Mapping) -> tuple[str, ...]:
    statuses: list[str] = []
    for value in _split(params, "status"):
        if value == "open":
            statuses += sorted(OPEN_STATUSES)
        elif value == "closed":
            statuses += sorted(CLOSED_STATUSES)
        elif value in Status.values:
            statuses.append(value)
        else:
            raise BadParameter("status", f"unknown status '{value}'; use open, closed or: {', '.join(Status.values)}.")
    return tuple(dict.fromkeys(statuses))


def filter_sql(query: FigureQuery, alias: str = "") -> tuple[str, dict]:
    """The WHERE conditions of the filters on a fact or summary table (parameterised)."""
    prefix = f"{alias}." if alias else ""
    conditions, params = [f"{prefix}municipality_id = %(municipality)s"], {"municipality": query.municipality.id}
    for column, values in (("category_id", query.categories), ("kind", query.kinds),
                           ("department_id", query.departments), ("channel", query.channels),
                           ("status", query.statuses)):
        if values:
            conditions.append(f"{prefix}{column} = ANY(%({column}_filter)s)")
            params[f"{column}_filter"] = list(values)
    if query.restricted:
        conditions.append(f"{prefix}{query.area_column} = ANY(%(areas)s)")
    params["areas"] = query.area_ids
    return " AND ".join(conditions), params


def area_key_sql(query: FigureQuery, alias: str = "") -> str:
    """The area a row counts in: its ward or suburb among those asked for; 0 for a located issue
    outside them (another demarcation, or no ward); -1 for an imported issue without a location."""
    prefix = f"{alias}." if alias else ""
    return (f"CASE WHEN NOT {prefix}has_location THEN -1 "
            f"WHEN {prefix}{query.area_column} = ANY(%(areas)s) THEN {prefix}{query.area_column} ELSE 0 END")
