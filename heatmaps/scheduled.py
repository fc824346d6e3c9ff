"""Scheduled reports: a planner subscribes once; every week or month the report arrives by email.

`send_scheduled_reports` (cron, hourly) first creates a ReportRun for every period of every active
subscription that has ended and has none yet (back to the period in which the subscription was
made: a scheduler that was down for three weeks sends three weekly reports, none is skipped),
then makes each waiting or failed run and hands it to notices.outbound.notify with the files attached.
A run that fails is recorded with its error, logged, and retried by the next invocation, up to
MAX_ATTEMPTS; then it is given up, logged at ERROR, and the planner is told. The command exits
non-zero whenever a run failed, so cron's mail reaches an operator too.

Weeks run Monday to Sunday and months are calendar months, both in the municipality's time zone;
a period is due once its last day is over.
"""

import datetime
import logging
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.utils import timezone

from heatmaps import exports
from heatmaps.figures import next_month
from heatmaps.models import ReportRun, ReportSubscription
from heatmaps.query import FILTER_PARAMETERS, parse_figure_query
from notices.outbound import Recipient, notify
from toolkit.params import BadParameter
from wards.models import Municipality, Ward

logger = logging.getLogger(__name__)
MAX_ATTEMPTS = 5


class ReportRefused(Exception):
    def __init__(self, message: str, field: str = "non_field_errors"):
        super().__init__(message)
        self.field = field


def may_plan(user, municipality) -> bool:
    return bool(user.is_active and user.is_staff and user.has_perm("heatmaps.view_figures")
                and (user.is_superuser or user.municipality_id == municipality.id))


@transaction.atomic
def subscription_create(*, planner, municipality: str, wards: list[str], filters: dict, file_format: str,
                        frequency: str) -> ReportSubscription:
    """Subscribe a planner to a report. Raises ReportRefused naming the field at fault."""
    found = Municipality.objects.defer("boundary").filter(code=municipality).first()
    if found is None:
        raise ReportRefused(f"No municipality has the code '{municipality}'.", "municipality")
    if not may_plan(planner, found):
        raise ReportRefused(f"Reports of {found.code} are for its planners.", "municipality")
    if not planner.email:
        raise ReportRefused("Reports are sent by email: add an email address to your account first.", "planner")
    unknown = sorted(set(filters) - set(FILTER_PARAMETERS))
    if unknown:
        raise ReportRefused(f"Unknown filter {', '.join(unknown)}; use: {', '.join(FILTER_PARAMETERS)}.", "filters")
    try:
        parse_figure_query({**filters, "municipality": found.code}, municipality=found)
    except BadParameter as exc:
        raise ReportRefused(exc.sentence, f"filters.{exc.name}") from None
    chosen = list(Ward.objects.current().filter(municipality=found, code__in=wards))
    missing = sorted(set(wards) - {ward.code for ward in chosen})
    if missing:
        raise ReportRefused(f"{found.code} has no current ward {', '.join(missing)}.", "wards")
    subscription = ReportSubscription.objects.create(planner=planner, municipality=found, filters=filters,
                                                     file_format=file_format, frequency=frequency,
                                                     created_at=timezone.now())
    subscription.wards.set(chosen)
    return subscription


def period_of(day: datetime.date, frequency: str) -> tuple[datetime.date, datetime.date]:
    if frequency == ReportSubscription.Frequency.WEEKLY:
        start = day - datetime.timedelta(days=day.weekday())
        return start, start + datetime.timedelta(days=6)
    start = day.replace(day=1)
    return start, next_month(start) - datetime.timedelta(days=1)


def periods_due(subscription: ReportSubscription, now: datetime.datetime) -> list[tuple[datetime.date, datetime.date]]:
    """Every period from the one the subscription was made in to the last one that has ended."""
    zone = ZoneInfo(subscription.municipality.timezone)
    today = now.astimezone(zone).date()
    start, end = period_of(subscription.created_at.astimezone(zone).date(), subscription.frequency)
    due = []
    while end < today:
        due.append((start, end))
        start, end = period_of(end + datetime.timedelta(days=1), subscription.frequency)
    return due


def report_runs_schedule(*, now: datetime.datetime) -> int:
    """Create the missing runs of every active subscription; returns how many were created."""
    created = 0
    for subscription in ReportSubscription.objects.filter(is_active=True).select_related("municipality"):
        have = set(subscription.runs.values_list("period_start", flat=True))
        missing = [ReportRun(subscription=subscription, period_start=start, period_end=end, created_at=now)
                   for start, end in periods_due(subscription, now) if start not in have]
        if missing:
            ReportRun.objects.bulk_create(missing, ignore_conflicts=True)  # a concurrent scheduler made them: fine
            created += len(missing)
    return created


@dataclass
class ReportFile:
    filename: str
    content: bytes
    content_type: str


def report_files(run: ReportRun) -> list[ReportFile]:
    """The report of one run: one file for the municipality, or one per ward subscribed to."""
    subscription = run.subscription
    params = {**subscription.filters, "municipality": subscription.municipality.code,
              "from": run.period_start.isoformat(), "to": run.period_end.isoformat()}
    wards = [ward.code for ward in subscription.wards.order_by("number")] or [None]
    files = []
    for ward in wards:
        query = parse_figure_query({**params, "ward": ward} if ward else params)
        name = exports.export_filename(query, "report" if subscription.file_format == "pdf" else "figures",
                                       subscription.file_format)
        if subscription.file_format == ReportSubscription.FileFormat.PDF:
            from heatmaps.reports import report_pdf

            files.append(ReportFile(name, report_pdf(query), "application/pdf"))
        else:
            output = exports.FORMATS[subscription.file_format]
            files.append(ReportFile(name, output.render(exports.figures_table(query, {})), output.content_type))
    return files


def report_run_send(*, run: ReportRun, now: datetime.datetime) -> str | None:
    """Make the run's report and queue it to the planner. Returns the run's new state (sent, failed
    or gave_up; failures recorded with the error and logged), or None when another worker holds it
    or has finished it."""
    try:
        with transaction.atomic():
            run = (ReportRun.objects.select_for_update(skip_locked=True).select_related("subscription__planner",
                                                                                         "subscription__municipality")
                   .filter(pk=run.pk, state__in=[ReportRun.State.PENDING, ReportRun.State.FAILED]).first())
            if run is None:
                return None  # another worker has it, or it is done
            subscription = run.subscription
            if not may_plan(subscription.planner, subscription.municipality):
                raise PermissionError(f"{subscription.planner} may no longer read {subscription.municipality.code}'s "
                                      "figures (planner role, staff status or municipality changed)")
            files = report_files(run)
            period = f"{run.period_start:%d %b %Y} to {run.period_end:%d %b %Y}"
            messages = notify(
                [Recipient.of_user(subscription.planner)],
                f"{subscription.municipality.title}: {subscription.get_frequency_display().split(' (')[0].lower()} "
                f"report, {period}",
                f"Your scheduled report of {subscription.municipality.title} for {period} is attached "
                f"({', '.join(f.filename for f in files)}).\n\nFigures are per local day in "
                f"{subscription.municipality.timezone}. Stop it on the planning dashboard or in the API "
                f"(/api/v1/heatmaps/subscriptions/{subscription.pk}).",
                topic=f"report:{subscription.pk}:{run.period_start}",
                attachments=[(f.filename, f.content, f.content_type) for f in files],
                municipality=subscription.municipality,
            )
            if not messages:
                raise ValueError(f"{subscription.planner} has no email address to send the report to")
            run.state, run.message, run.finished_at, run.last_error = ReportRun.State.SENT, messages[0], now, ""
            run.attempts += 1
            run.save(update_fields=["state", "message", "finished_at", "last_error", "attempts"])
        return run.state
    except Exception as exc:  # noqa: BLE001 - any failure is recorded, logged and retried, never lost
        return _record_failure(run.pk, exc, now)


def _record_failure(run_id: int, exc: Exception, now) -> str:
    with transaction.atomic():
        run = ReportRun.objects.select_for_update().select_related("subscription__planner",
                                                                   "subscription__municipality").get(pk=run_id)
        run.attempts += 1
        run.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        permanent = isinstance(exc, PermissionError)
        run.state = ReportRun.State.GAVE_UP if permanent or run.attempts >= MAX_ATTEMPTS else ReportRun.State.FAILED
        if run.state == ReportRun.State.GAVE_UP:
            run.finished_at = now
        run.save(update_fields=["attempts", "last_error", "state", "finished_at"])
        if run.state == ReportRun.State.GAVE_UP:
            logger.error("Scheduled report run %s (subscription %s, %s to %s) given up after %s attempts: %s",
                         run.pk, run.subscription_id, run.period_start, run.period_end, run.attempts, run.last_error,
                         exc_info=exc)
            try:
                with transaction.atomic():
                    notify([Recipient.of_user(run.subscription.planner)],
                           f"Your report for {run.period_start:%d %b %Y} to {run.period_end:%d %b %Y} could not be made",
                           f"The scheduled report of {run.subscription.municipality.title} failed {run.attempts} times "
                           f"and was given up: {run.last_error}\nDownload it from the planning dashboard instead; "
                           "the team has been told.", topic=f"report:{run.subscription_id}:{run.period_start}",
                           municipality=run.subscription.municipality)
            except (IntegrityError, ValueError):
                logger.exception("Could not tell the planner of report run %s", run.pk)
        else:
            logger.error("Scheduled report run %s (subscription %s, %s to %s) failed, attempt %s of %s: %s",
                         run.pk, run.subscription_id, run.period_start, run.period_end, run.attempts, MAX_ATTEMPTS,
                         run.last_error, exc_info=exc)
    return run.state


def reports_send_due(*, now: datetime.datetime | None = None) -> dict:
    """Schedule the due runs and try every waiting or failed one. Returns counts and the failures."""
    now = now or timezone.now()
    scheduled = report_runs_schedule(now=now)
    outcome = {"scheduled": scheduled, "sent": 0, "failed": [], "gave_up": []}
    waiting = ReportRun.objects.filter(state__in=[ReportRun.State.PENDING, ReportRun.State.FAILED]).order_by(
        "period_start", "id")
    for run in list(waiting):
        state = report_run_send(run=run, now=now)
        if state == ReportRun.State.SENT:
            outcome["sent"] += 1
        elif state is not None:
            run.refresh_from_db()
            outcome[state].append(f"run {run.pk} ({run.period_start} to {run.period_end}, subscription "
                                  f"{run.subscription_id}, attempt {run.attempts}): {run.last_error}")
    return outcome
