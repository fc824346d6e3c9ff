"""What planners read: figures per area, maps, trends, forecasts and scheduled reports.

Issues stay where triage keeps them. This app adds three kinds of table:

- Source data it owns: past issues imported without a usable location (`UnlocatedIssue`), what
  one issue of a category costs (`CategoryCost`), planners' report subscriptions and their runs.
- Derived tables, rebuilt from the sources by `heatmaps.refresh` (never edited by hand):
  `IssueFact`, one narrow row per issue with its local days, durations and metric position, read
  by exact medians, hex grids and repeat counts through covering indexes; and `DailySummary` /
  `MonthlySummary`, counts and sums per local day / month and per combination of ward, suburb,
  category, kind, department, channel and status, so a count over any period reads whole months
  plus the days at either end instead of every issue.
- `SummaryState`: how fresh the derived tables are.

The derived tables point at other apps' rows without database constraints (db_constraint=False):
they are rebuilt, not maintained by cascades, and a million inserts need no foreign-key checks.
"""

from django.conf import settings
from django.contrib.gis.db import models
from django.core.validators import MinValueValidator
from django.db.models import Q

from toolkit.conf import STORAGE_SRID
from triage.issues.models import Channel, Kind
from triage.issues.workflow import Status


def _derived_fk(to: str, *, null: bool = False):
    return models.ForeignKey(to, null=null, blank=null, on_delete=models.DO_NOTHING, db_constraint=False,
                             related_name="+")


class UnlocatedIssue(models.Model):
    """A past issue from an earlier system that triage cannot hold: its row had no usable location
    (no coordinates, a 0, 0 placeholder), or a point outside the municipality, whose coordinates are
    kept in `location`. Figures count the first under "no location", the second under "outside the
    areas"; the issue maps show neither."""

    municipality = models.ForeignKey("wards.Municipality", on_delete=models.CASCADE, related_name="+")
    external_reference = models.CharField(max_length=64, help_text="Its reference in the earlier system.")
    category = models.ForeignKey("triage.Category", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    department = models.ForeignKey("accounts.Department", null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    channel = models.CharField(max_length=8, choices=Channel.choices, default=Channel.IMPORT)
    status = models.CharField(max_length=16, choices=Status.choices)
    created_at = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    expected_at = models.DateTimeField(null=True, blank=True, help_text="created_at + the category's SLA.")
    reason = models.CharField(max_length=200, help_text="Why triage does not hold it, e.g. 'no coordinates'.")
    location = models.PointField(srid=STORAGE_SRID, null=True, blank=True,
                                 help_text="Where it was, when that is outside the municipality.")
    source = models.CharField(max_length=255, blank=True, help_text="The file it came from.")
    imported_at = models.DateTimeField()

    class Meta:
        ordering = ["municipality", "created_at"]
        constraints = [
            models.UniqueConstraint(fields=["municipality", "external_reference"], name="unlocated_issue_once"),
            models.CheckConstraint(condition=Q(status__in=[s.value for s in Status]), name="unlocated_status_known"),
        ]

    def __str__(self):
        return f"{self.municipality_id}/{self.external_reference} ({self.reason})"


class CategoryCost(models.Model):
    """What resolving one issue of a category costs on average (call-out, labour, materials), for
    the budget projection of the forecast: forecast volume x unit cost."""

    category = models.OneToOneField("triage.Category", on_delete=models.CASCADE, related_name="unit_cost")
    unit_cost = models.DecimalField(max_digits=12, decimal_places=2, validators=[MinValueValidator(0)])
    currency = models.CharField(max_length=3, default="ZAR")
    note = models.CharField(max_length=255, blank=True, help_text="Where the figure comes from.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(unit_cost__gte=0), name="unit_cost_not_negative")]

    def __str__(self):
        return f"{self.category}: {self.currency} {self.unit_cost}"


class IssueFact(models.Model):
    """One issue as the figures see it (derived; heatmaps.refresh writes it).

    Days are local calendar days in the municipality's time zone. `ended_day` is when the issue
    last left the open statuses (resolved, closed, rejected or merged); empty while it is open.
    `x`, `y` are metres in the municipality's UTM zone (heatmaps.grid.metric_srid).
    """

    # DO_NOTHING: a source row deleted leaves its fact until the next full refresh, so the fact
    # and the summary rows counting it stay consistent with each other.
    issue = models.OneToOneField("triage.Issue", null=True, blank=True, on_delete=models.DO_NOTHING,
                                 db_constraint=False, related_name="+")
    unlocated = models.OneToOneField(UnlocatedIssue, null=True, blank=True, on_delete=models.DO_NOTHING,
                                     db_constraint=False, related_name="+")
    municipality = _derived_fk("wards.Municipality")
    ward = _derived_fk("wards.Ward", null=True)
    suburb = _derived_fk("wards.Suburb", null=True)
    has_location = models.BooleanField()
    category = _derived_fk("triage.Category")
    kind = models.CharField(max_length=20)
    department = _derived_fk("accounts.Department", null=True)
    channel = models.CharField(max_length=8)
    status = models.CharField(max_length=16)
    asset = _derived_fk("assets.Asset", null=True)
    created_day = models.DateField()
    acknowledged_day = models.DateField(null=True)
    resolved_day = models.DateField(null=True)
    ended_day = models.DateField(null=True)
    seconds_to_acknowledge = models.FloatField(null=True)
    seconds_to_resolve = models.FloatField(null=True)
    within_target = models.BooleanField(null=True, help_text="Resolved by the SLA target; empty without either.")
    rating_count = models.PositiveSmallIntegerField(default=0)
    rating_sum = models.PositiveIntegerField(default=0)
    x = models.FloatField(null=True)
    y = models.FloatField(null=True)

    DIMENSIONS = ["ward", "suburb", "has_location", "category", "kind", "department", "channel", "status"]

    class Meta:
        permissions = [("view_figures", "Can read per-area figures, maps, trends, forecasts and reports")]
        constraints = [
            models.CheckConstraint(condition=Q(issue__isnull=False) ^ Q(unlocated__isnull=False),
                                   name="fact_of_one_source"),
        ]
        # Covering indexes: each figure reads one day column and the dimensions it filters and
        # groups on, from the index alone (index-only scans).
        indexes = [
            models.Index(fields=["municipality", "created_day"], name="fact_created",
                         include=["ward", "suburb", "has_location", "category", "kind", "department", "channel",
                                  "status", "asset", "x", "y"]),
            models.Index(fields=["municipality", "acknowledged_day"], name="fact_acknowledged",
                         include=["ward", "suburb", "has_location", "category", "kind", "department", "channel",
                                  "status", "seconds_to_acknowledge"]),
            models.Index(fields=["municipality", "resolved_day"], name="fact_resolved",
                         include=["ward", "suburb", "has_location", "category", "kind", "department", "channel",
                                  "status", "seconds_to_resolve"]),
            models.Index(fields=["municipality", "ended_day"], name="fact_ended"),
        ]


class SummaryValues(models.Model):
    """Counts and sums of the issues sharing one combination of areas (and dimensions), each counted
    on its own day: `logged` on the day reported, `acknowledged` (and its seconds) on the day
    acknowledged, `resolved`, the SLA counts and ratings on the day resolved, `ended` on the day
    it left the open statuses. The open backlog at the end of a day is the sum of logged - ended
    up to that day. Seconds are added up in whole seconds (each duration rounded), so the sums
    stay exact under the refresh's additions and subtractions; means are right to the second."""

    logged = models.IntegerField(default=0)
    acknowledged = models.IntegerField(default=0)
    acknowledge_seconds = models.FloatField(default=0)
    resolved = models.IntegerField(default=0)
    resolve_seconds = models.FloatField(default=0)
    resolved_with_target = models.IntegerField(default=0)
    resolved_within_target = models.IntegerField(default=0)
    rating_count = models.IntegerField(default=0)
    rating_sum = models.IntegerField(default=0)
    ended = models.IntegerField(default=0)

    class Meta:
        abstract = True


AREA_KEY = ["municipality", "period_start", "ward", "suburb", "has_location"]
FULL_KEY = [*AREA_KEY, "category", "kind", "department", "channel", "status"]


class AreaSummaryRow(SummaryValues):
    """Per area only: what an unfiltered figure, map or trend reads (a few rows per day)."""

    municipality = _derived_fk("wards.Municipality")
    period_start = models.DateField()
    ward = _derived_fk("wards.Ward", null=True)
    suburb = _derived_fk("wards.Suburb", null=True)
    has_location = models.BooleanField()

    class Meta:
        abstract = True


class SummaryRow(AreaSummaryRow):
    """Per area and every filter dimension: what a filtered figure reads."""

    category = _derived_fk("triage.Category")
    kind = models.CharField(max_length=20)
    department = _derived_fk("accounts.Department", null=True)
    channel = models.CharField(max_length=8)
    status = models.CharField(max_length=16)

    class Meta:
        abstract = True


class DailySummary(SummaryRow):
    """One local day (period_start is the day)."""

    class Meta:
        # The key's unique index (leading municipality, period_start) also serves every period query.
        constraints = [models.UniqueConstraint(fields=FULL_KEY, nulls_distinct=False, name="daily_summary_key")]
        verbose_name_plural = "daily summaries"


class MonthlySummary(SummaryRow):
    """One local calendar month (period_start is its first day); the sum of its days."""

    class Meta:
        constraints = [models.UniqueConstraint(fields=FULL_KEY, nulls_distinct=False, name="monthly_summary_key")]
        verbose_name_plural = "monthly summaries"


class DailyAreaSummary(AreaSummaryRow):
    """DailySummary added up over the filter dimensions."""

    class Meta:
        constraints = [models.UniqueConstraint(fields=AREA_KEY, nulls_distinct=False, name="daily_area_summary_key")]
        verbose_name_plural = "daily area summaries"


class MonthlyAreaSummary(AreaSummaryRow):
    """MonthlySummary added up over the filter dimensions."""

    class Meta:
        constraints = [models.UniqueConstraint(fields=AREA_KEY, nulls_distinct=False, name="monthly_area_summary_key")]
        verbose_name_plural = "monthly area summaries"


class MonthlyHexSummary(models.Model):
    """Issues logged per local month in each hexagon of the standard sizes (heatmaps.grid.HEX_SIZES),
    without filters: what the city-wide hex grid reads for whole months."""

    municipality = _derived_fk("wards.Municipality")
    period_start = models.DateField()
    size = models.PositiveSmallIntegerField(help_text="Hexagon edge length in metres.")
    i = models.IntegerField()
    j = models.IntegerField()
    logged = models.IntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["municipality", "size", "period_start", "i", "j"],
                                               name="monthly_hex_summary_key")]


class SummaryState(models.Model):
    """The one row that says how fresh the derived tables are. Issues whose updated_at is at most
    `watermark` are in them; `refreshed_at` is when the last refresh finished."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    watermark = models.DateTimeField(null=True)
    refreshed_at = models.DateTimeField(null=True)
    last_full_at = models.DateTimeField(null=True)
    last_changed = models.PositiveIntegerField(default=0, help_text="Issues re-read by the last refresh.")
    last_duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(id=1), name="one_summary_state")]


class ReportSubscription(models.Model):
    """A planner's standing order: this report, for these areas and filters, every week or month."""

    class Frequency(models.TextChoices):
        WEEKLY = "weekly", "Weekly (Monday to Sunday)"
        MONTHLY = "monthly", "Monthly (calendar month)"

    class FileFormat(models.TextChoices):
        PDF = "pdf", "PDF report"
        XLSX = "xlsx", "Excel workbook"
        CSV = "csv", "CSV table"

    planner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="report_subscriptions")
    municipality = models.ForeignKey("wards.Municipality", on_delete=models.CASCADE, related_name="+")
    wards = models.ManyToManyField("wards.Ward", blank=True, related_name="+",
                                   help_text="One report per ward; none: one for the whole municipality.")
    filters = models.JSONField(default=dict, blank=True,
                               help_text='Query parameters of the figures, e.g. {"category": "pothole,water-leak"}.')
    file_format = models.CharField(max_length=4, choices=FileFormat.choices, default=FileFormat.PDF)
    frequency = models.CharField(max_length=8, choices=Frequency.choices, default=Frequency.MONTHLY)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["municipality", "planner", "id"]

    def __str__(self):
        return f"{self.get_frequency_display()} {self.file_format} report of {self.municipality_id} for {self.planner}"


class ReportRun(models.Model):
    """One period of one subscription: made once, retried until sent or given up, never skipped.
    The unique (subscription, period_start) makes a second scheduler run a no-op."""

    class State(models.TextChoices):
        PENDING = "pending", "Waiting to be made"
        SENT = "sent", "Made and handed to the outbound queue"
        FAILED = "failed", "Failed (will be retried)"
        GAVE_UP = "gave_up", "Gave up after repeated failures"

    subscription = models.ForeignKey(ReportSubscription, on_delete=models.CASCADE, related_name="runs")
    period_start = models.DateField()
    period_end = models.DateField(help_text="Last day of the period, inclusive.")
    state = models.CharField(max_length=8, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    message = models.ForeignKey("notices.OutboundMessage", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+")

    class Meta:
        ordering = ["subscription", "period_start"]
        constraints = [models.UniqueConstraint(fields=["subscription", "period_start"], name="report_run_once")]
        indexes = [models.Index(fields=["state"], name="report_run_state")]

    def __str__(self):
        return f"{self.subscription_id}: {self.period_start}..{self.period_end} {self.state}"
