"""When a stored message is handled: after the webhook has answered.

With Celery (IMBIZO DELIVERY "celery") the handling is a task on the "messages" queue, sent when
the webhook's transaction commits; otherwise it runs in the request right after the commit. A
message whose task was lost is handled by `handle_waiting_inbound` (the scheduler's safety net).
"""

import logging

from django.db import transaction

from toolkit.conf import imbizo_setting

logger = logging.getLogger(__name__)


def handle_after_commit(inbound_ids: list[int]) -> None:
    if not inbound_ids:
        return
    transaction.on_commit(lambda: _handle(inbound_ids))


def _handle(inbound_ids: list[int]) -> None:
    from channels.services import inbound_handle

    if imbizo_setting("DELIVERY") == "celery":
        from channels.tasks import handle_inbound

        try:
            for inbound_id in inbound_ids:
                handle_inbound.delay(inbound_id)
            return
        except Exception:  # noqa: BLE001 - the queue is away: handle here rather than leave the resident waiting
            logger.warning("could not queue inbound messages %s; handling them in the request", inbound_ids)
    for inbound_id in inbound_ids:
        inbound_handle(inbound_id)
