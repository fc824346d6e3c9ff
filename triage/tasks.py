"""Triage's background work: thin Celery wrappers over its services (routed by name, CELERY_TASK_ROUTES)."""

from celery import shared_task


@shared_task(name="triage.fanout_area_alerts")
def fanout_area_alerts(issue_id: int) -> int:
    """Tell the residents whose area alerts cover a new issue. Safe to run twice: an issue whose
    alerts were already queued (their topic exists in the outbox) is left alone."""
    from notices.models import OutboundMessage
    from triage.issues.models import Issue
    from triage.residents.alerts import tell_area_subscribers

    issue = Issue.objects.select_related("category", "municipality", "ward", "suburb").filter(pk=issue_id).first()
    if issue is None or OutboundMessage.objects.filter(topic=f"alert:{issue.reference}").exists():
        return 0
    return tell_area_subscribers(issue)
