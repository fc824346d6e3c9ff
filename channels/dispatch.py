"""When a stored message is handled.

With Celery (IMBIZO DELIVERY "celery") the handling is a task on the "messages" queue, sent when
the webhook's transaction commits, so the webhook answers before the conversation runs. Without
a queue it runs in the webhook's own transaction, right after the message is stored: one commit
instead of two, and a failure rolls the message back so the provider's retry brings it again.
A message whose task was lost is handled by `handle_waiting_inbound` (the scheduler's safety net).
"""

import logging

from django.db import transaction

from toolkit.conf import imbizo_setting

logger = logging.getLogger(__name__)


def handle_stored(stored: list) -> None:
    """Called in the transaction that stored the messages (`inbound_store_row`'s rows)."""
    if not stored:
        return
    if imbizo_setting("DELIVERY") == "celery":
        inbound_ids = [message.pk for message in stored]
        transaction.on_commit(lambda: _queue(inbound_ids))
        return
    from channels.services import inbound_handle

    for message in stored:
        inbound_handle(message.pk, just_stored=message)


def _queue(inbound_ids: list[int]) -> None:
    from channels.tasks import handle_inbound

    try:
        for inbound_id in inbound_ids:
            handle_inbound.delay(inbound_id)
    except Exception:  # noqa: BLE001 - the queue is away: handle here rather than leave the resident waiting
        logger.warning("could not queue inbound messages %s; handling them in the request", inbound_ids)
        _handle_here(inbound_ids)


def _handle_here(inbound_ids: list[int]) -> None:
    from channels.services import inbound_handle

    for inbound_id in inbound_ids:
        inbound_handle(inbound_id)
