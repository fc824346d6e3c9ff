"""Background work for the directory (Celery): thin wrappers around the service functions."""

from celery import shared_task

from directory.services.feeds import feeds_poll_due


@shared_task(name="directory.poll_feeds")
def poll_feeds() -> dict:
    """Poll the social feeds whose time has come (schedule it every few minutes: each feed waits its own interval)."""
    return {str(feed_id): result.status for feed_id, result in feeds_poll_due().items()}
