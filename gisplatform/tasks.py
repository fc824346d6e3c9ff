"""The periodic work beat runs (gisplatform/schedules.py), as thin Celery tasks over the apps' services;
their queues are in CELERY_TASK_ROUTES.

Each is idempotent (safe to run twice, or late) and the same as its management command, which stays
for a one-off run: refresh_heatmap_summary, send_scheduled_reports, close_resolved_issues, axes_reset_logs.
"""

from celery import shared_task


@shared_task(name="imbizo.refresh_heatmap_summary")
def refresh_heatmap_summary() -> int:
    """Bring the planners' figures up to date (every minute). A run still going makes this one a no-op."""
    from heatmaps.refresh import summary_refresh

    result = summary_refresh(wait=False)
    return result.changed if result else 0


@shared_task(name="imbizo.send_scheduled_reports", soft_time_limit=1800, time_limit=1900)
def send_scheduled_reports() -> dict:
    """Make and send the planners' reports whose week or month has ended (hourly); failures are retried next run."""
    from heatmaps.scheduled import reports_send_due

    outcome = reports_send_due()
    return {"scheduled": outcome["scheduled"], "sent": outcome["sent"], "failed": len(outcome["failed"]),
            "gave_up": len(outcome["gave_up"])}


@shared_task(name="imbizo.close_resolved_issues", soft_time_limit=1800, time_limit=1900)
def close_resolved_issues(after_days: int = 14) -> int:
    """Close issues resolved more than `after_days` ago that nobody reopened (daily)."""
    from triage.issues.housekeeping import issues_close_resolved

    return issues_close_resolved(after_days=after_days)


@shared_task(name="imbizo.forget_old_log_ins")
def forget_old_log_ins(age_days: int = 30) -> int:
    """Forget log-in failures and log-ins older than `age_days` (daily; the lockout reads the last day's)."""
    from axes.handlers.proxy import AxesProxyHandler

    return AxesProxyHandler.reset_failure_logs(age_days=age_days) + AxesProxyHandler.reset_logs(age_days=age_days)


# Below the broker's visibility timeout (2 h), so Redis never hands a running purge to a second worker.
@shared_task(name="imbizo.purge", soft_time_limit=100 * 60, time_limit=105 * 60)
def purge(kind: str, code: str, imported_only: bool = False) -> dict:
    """Delete a municipality (kind "municipality") or its issues (kind "issues") in batches (gisplatform/purge.py).
    Safe to run again after an interruption: it goes on from what is left."""
    from gisplatform.purge import purge_with_progress

    return purge_with_progress(kind, code, imported_only=imported_only)


@shared_task(name="imbizo.send_alert_digests")
def send_alert_digests() -> int:
    """Send each daily-digest area alert the public issues filed in its area in the last 24 hours (daily)."""
    from triage.residents.alerts import send_daily_digests

    return send_daily_digests()
