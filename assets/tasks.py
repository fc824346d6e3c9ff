"""Background work of the assets app: thin Celery wrappers around its services."""

from celery import shared_task

from assets.services import facility_opening_intervals_refresh


@shared_task(name="assets.refresh_opening_hours")
def refresh_opening_hours() -> int:
    """Daily: move the facilities' open intervals on (assets.services)."""
    return facility_opening_intervals_refresh()
