"""The project's Celery app: every background task runs on it (docs/operations.md, "Background work").

Settings come from Django's settings under the CELERY_ namespace (gisplatform/settings.py); tasks are
the `tasks` modules of the installed apps plus CELERY_IMPORTS. Workers and beat start with
`celery -A gisplatform worker|beat`, which `./imbizo run` does beside the web server.
"""

import os

from celery import Celery
from celery.signals import task_failure, task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gisplatform.settings")

app = Celery("imbizo")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_prerun.connect
@task_postrun.connect
def close_old_database_connections(**kwargs):
    """What Django does around each request: close a connection older than CONN_MAX_AGE, or broken
    (a PostgreSQL restart), so the next query opens a fresh one. Celery's own fix-up would close every
    connection around every task instead (CELERY_DB_REUSE_MAX in the settings turns that off)."""
    from django.db import close_old_connections

    close_old_connections()


@task_failure.connect
def count_failure(sender=None, **kwargs):
    """Task failures per task, for /metrics (gisplatform/metrics.py)."""
    from gisplatform.queues import TASK_FAILURES, count

    count(TASK_FAILURES, sender.name if sender else "unknown")


@task_postrun.connect
def count_message_sent(sender=None, retval=None, **kwargs):
    """Messages sent per channel, for /metrics: a delivery task returns "sent:<channel>", a fan-out's
    chunk {"sent": {channel: count}} (notices.delivery)."""
    if sender is None or not sender.name.startswith("notices.deliver_message"):
        return
    from gisplatform.queues import MESSAGES_SENT, count

    if isinstance(retval, str) and retval.startswith("sent:"):
        count(MESSAGES_SENT, retval.removeprefix("sent:"))
    elif isinstance(retval, dict):
        for channel, number in retval.get("sent", {}).items():
            count(MESSAGES_SENT, channel, number)
