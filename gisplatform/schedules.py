"""The default schedules of the periodic tasks, created in django-celery-beat's tables by every
`migrate` (gisplatform.apps) when missing: an operator's changes in the admin (Periodic tasks) stay."""

import json

DEFAULT_SCHEDULES = [
    # name, task, every (seconds) or crontab (minute, hour), queue, kwargs, expires (seconds)
    ("Refresh the planners' figures", "imbizo.refresh_heatmap_summary", 60, "maintenance", {}, 55),
    ("Outbox sweep: queue overdue messages again", "notices.sweep_outbox", 300, "messages", {}, 290),
    ("Send the scheduled reports", "imbizo.send_scheduled_reports", ("5", "*"), "reports", {}, 3000),
    ("Close issues resolved 14 days ago", "imbizo.close_resolved_issues", ("15", "2"), "maintenance",
     {"after_days": 14}, 6 * 3600),
    ("Forget log-in records older than 30 days", "imbizo.forget_old_log_ins", ("45", "2"), "maintenance",
     {"age_days": 30}, 6 * 3600),
    ("Answer SMS, WhatsApp and USSD messages whose handling was lost", "channels.handle_waiting", 60, "messages",
     {}, 55),
    ("Send the daily digests of area alerts", "imbizo.send_alert_digests", ("0", "18"), "messages", {}, 6 * 3600),
    ("Move the facilities' open intervals on (open now)", "assets.refresh_opening_hours", ("40", "2"), "maintenance",
     {}, 6 * 3600),
    ("Publish scheduled notices and fan out any not yet sent", "notices.fanout_publish_due", 60, "fanout", {}, 55),
    ("Expire notices past their end", "notices.expire_due", 300, "maintenance", {}, 290),
    ("Poll the social feeds that are due", "directory.poll_feeds", 300, "maintenance", {}, 290),
]


def ensure_schedules(using: str = "default") -> int:
    """Create the default periodic tasks that do not exist yet (by name). Returns how many were made."""
    from django.conf import settings
    from django.db import connections
    from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

    if PeriodicTask._meta.db_table not in connections[using].introspection.table_names():
        return 0  # a migrate that stopped short of django-celery-beat's tables
    made = 0
    for name, task, when, queue, kwargs, expires in DEFAULT_SCHEDULES:
        if PeriodicTask.objects.using(using).filter(name=name).exists():
            continue
        if isinstance(when, int):
            interval, _ = IntervalSchedule.objects.using(using).get_or_create(every=when, period=IntervalSchedule.SECONDS)
            schedule = {"interval": interval}
        else:
            minute, hour = when
            crontab, _ = CrontabSchedule.objects.using(using).get_or_create(
                minute=minute, hour=hour, day_of_week="*", day_of_month="*", month_of_year="*", timezone=settings.TIME_ZONE)
            schedule = {"crontab": crontab}
        # Expiring: a task beat queued while no worker ran is dropped rather than run late many times over.
        PeriodicTask.objects.using(using).create(name=name, task=task, queue=queue, kwargs=json.dumps(kwargs),
                                                 expire_seconds=expires, **schedule)
        made += 1
    return made
