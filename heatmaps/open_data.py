"""Open data: figures per ward of the public issues, for anyone, as JSON or CSV.

Computed from exactly the issues and fields of the public issues download (`/layers/issues/download`,
layers/published/issues.py): no issue of a private category, no duplicates, and only reference,
status, category, ward number, created_at, resolved_at and expected_at are read. So anyone can
recompute every number from that download (a test does), and nothing personal can enter them.

Definitions (the municipality's local calendar days, `from` and `to` included; times are true
elapsed time between the two instants):

- logged: public issues reported in the period; open_now: those of them still open now;
- resolved: those of them resolved (now); median_hours_to_resolve: the median of their
  resolved_at - created_at in hours (interpolated, as PostgreSQL's percentile_cont);
- resolved_with_target / share_resolved_within_target: of the resolved ones with a target
  (expected_at: the category's SLA when reported), how many, and the share resolved by it.

An area is the ward the issue was filed in (its number in the demarcation in force then); issues
without a ward are under `ward: null`.
"""

import datetime
from zoneinfo import ZoneInfo

from django.db.models import Aggregate, Count, F, FloatField, Q

from triage.issues.models import Category, Issue
from triage.issues.workflow import OPEN_STATUSES

COLUMNS = ["ward", "logged", "open_now", "resolved", "median_hours_to_resolve", "resolved_with_target",
           "share_resolved_within_target"]


class MedianSeconds(Aggregate):
    """The median of an interval, in seconds (percentile_cont interpolates, like Python's median)."""

    function = "percentile_cont"
    template = "percentile_cont(0.5) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM %(expressions)s))"
    output_field = FloatField()


def public_issues():
    """The issues of the public download: the same rule as layers/published/issues.public_issues."""
    return Issue.objects.public().exclude(category__in=Category.objects.filter(is_private=True))


def area_figures(*, municipality, first_day: datetime.date, last_day: datetime.date) -> dict:
    zone = ZoneInfo(municipality.timezone)
    start = datetime.datetime.combine(first_day, datetime.time(), zone)
    end = datetime.datetime.combine(last_day + datetime.timedelta(days=1), datetime.time(), zone)
    issues = public_issues().filter(municipality=municipality, created_at__gte=start, created_at__lt=end)
    resolved = Q(resolved_at__isnull=False)
    with_target = resolved & Q(expected_at__isnull=False)
    figures = {
        "logged": Count("id"),
        "open_now": Count("id", filter=Q(status__in=list(OPEN_STATUSES))),
        "resolved": Count("id", filter=resolved),
        "median_hours_to_resolve": MedianSeconds(F("resolved_at") - F("created_at"), filter=resolved),
        "resolved_with_target": Count("id", filter=with_target),
        "resolved_within_target": Count("id", filter=with_target & Q(resolved_at__lte=F("expected_at"))),
    }
    rows = issues.values("ward__number").annotate(**figures).order_by(F("ward__number").asc(nulls_last=True))
    total = issues.aggregate(**figures)
    return {
        "municipality": municipality.code, "from": first_day.isoformat(), "to": last_day.isoformat(),
        "timezone": municipality.timezone, "source": "/layers/issues/download",
        "areas": [_finish({"ward": row["ward__number"], **row}) for row in rows],
        "total": _finish({"ward": "total", **total}),
    }


def _finish(row: dict) -> dict:
    within = row.pop("resolved_within_target")
    row.pop("ward__number", None)
    median = row["median_hours_to_resolve"]
    return {**row, "median_hours_to_resolve": round(median / 3600, 3) if median is not None else None,
            "share_resolved_within_target": round(within / row["resolved_with_target"], 4)
            if row["resolved_with_target"] else None}


def area_figures_rows(answer: dict) -> list[list]:
    return [[area.get(column) for column in COLUMNS] for area in [*answer["areas"], answer["total"]]]
