"""Background entry points for notices: thin wrappers of the service functions (queue "fanout")."""

from celery import shared_task

from notices import notice_services
from notices.notice import Notice


@shared_task(name="notices.fanout_notice")
def notice_fan_out(notice_id: int) -> int:
    """Queue a published notice's messages (again: idempotent per version)."""
    notice = Notice.objects.select_related("municipality").get(pk=notice_id)
    return notice_services.notice_fan_out(notice=notice)


@shared_task(name="notices.fanout_publish_due")
def notices_publish_due() -> int:
    """Publish and fan out scheduled notices whose time has come (run every minute)."""
    return notice_services.notices_publish_due()


@shared_task(name="notices.expire_due")
def notices_expire_due() -> int:
    return notice_services.notices_expire_due()
