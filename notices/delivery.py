"""Delivery on Celery (the IMBIZO setting DELIVERY "celery"): one task per message on the "messages"
queue, sent after the commit that wrote the message (notices.outbound.notify), and the outbox sweep.

A notification of one or a few people queues a task per message; a fan-out (more than CHUNK
messages on one channel) queues a task per CHUNK messages, claimed and marked together: a task's
own cost (the broker's round trips, the worker's bookkeeping) is then shared by CHUNK messages.

At least once, never twice: a task claims its messages under row locks and marks it in the same
transaction (notices.outbound.deliver_one), so a task run twice (a redelivery after a worker died, a
sweep's second task) finds it sent and does nothing. Only a worker killed between the provider's
acceptance and the commit can send a message again. A failed delivery is retried by the task itself
with exponential back-off, up to notices.outbound.MAX_ATTEMPTS attempts in all.

Nothing is lost if Redis loses a task, or was away when the request committed: `sweep_outbox` (every
5 minutes, from beat) queues a task again for each message still waiting OUTBOX_DEADLINE seconds
after its last task was queued.
"""

import logging
import random
from collections.abc import Iterable
from datetime import timedelta

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from notices.models import OutboundMessage
from notices.outbound import WAITING, deliver_one, deliver_some
from toolkit.conf import imbizo_setting

logger = logging.getLogger(__name__)

CHUNK = 50  # messages per delivery task of a fan-out (as many as the LISTEN/NOTIFY worker claims at once)
RETRY_FIRST_S = 30
RETRY_MAX_S = 600


def retry_countdown(attempts: int) -> float:
    """Seconds before the next attempt: 30 s, 60 s, 120 s ... at most 10 minutes, with jitter so the
    failures of one outage do not all come back at once."""
    return min(RETRY_MAX_S, RETRY_FIRST_S * 2 ** max(0, attempts - 1)) * random.uniform(0.8, 1.2)


def _retry_later(message: OutboundMessage) -> float:
    """Schedule a failed message's next attempt (the sweep leaves it to that retry until it is overdue)."""
    countdown = retry_countdown(message.attempts)
    OutboundMessage.objects.filter(pk=message.pk, state=OutboundMessage.State.FAILED).update(
        dispatched_at=timezone.now() + timedelta(seconds=countdown))
    return countdown


def _deliver(task, message_id: int) -> str:
    """Returns "<state>:<channel>" ("sent:email"), which the workers count for /metrics."""
    message = deliver_one(message_id)
    if message is None:
        return "not waiting"
    if message.state == OutboundMessage.State.FAILED:
        raise task.retry(countdown=_retry_later(message))
    return f"{message.state}:{message.channel}"


@shared_task(name="notices.deliver_message", bind=True, max_retries=None)
def deliver_message(self, message_id: int) -> str:
    """Send one outbound message (any channel without a rate limit of its own)."""
    return _deliver(self, message_id)


@shared_task(name="notices.deliver_messages")
def deliver_messages(message_ids: list[int]) -> dict[str, dict[str, int]]:
    """Send a chunk of a fan-out. A message that failed is retried on its own task, with back-off.
    Returns {"sent": {channel: count}} (the workers count it for /metrics)."""
    sent: dict[str, int] = {}
    for message in deliver_some(message_ids):
        if message.state == OutboundMessage.State.SENT:
            sent[message.channel] = sent.get(message.channel, 0) + 1
        elif message.state == OutboundMessage.State.FAILED:
            CHANNEL_TASKS.get(message.channel, deliver_message).apply_async((message.pk,), countdown=_retry_later(message))
    return {"sent": sent}


def _rate_limited_task(channel: str, rate: str):
    @shared_task(name=f"notices.deliver_message.{channel}", bind=True, max_retries=None, rate_limit=rate)
    def deliver_on_channel(self, message_id: int) -> str:
        return _deliver(self, message_id)

    return deliver_on_channel


# A channel whose provider limits its rate gets its own task, with that limit (per worker process pool).
CHANNEL_TASKS = {channel: _rate_limited_task(channel, rate)
                 for channel, rate in imbizo_setting("CHANNEL_RATE_LIMITS").items() if rate}


def queue_deliveries(messages: Iterable[tuple[int, str]], *, quiet: bool = True) -> int:
    """Queue a delivery task for each (message id, channel), read as they come (a fan-out streams
    its rows from the database: memory stays one chunk per channel whatever the audience). A channel
    with a rate limit, or with at most CHUNK messages here, gets a task per message; others a task
    per CHUNK. With `quiet`, a broker that is away is logged, not raised: the messages are in the
    outbox and the sweep queues them later. Returns how many were queued."""
    waiting: dict[str, list[int]] = {}  # per channel, not yet queued
    chunked: set[str] = set()  # channels that reached a whole chunk
    queued = 0
    try:
        with deliver_message.app.producer_or_acquire() as producer:
            for pk, channel in messages:
                if channel in CHANNEL_TASKS:  # a provider's rate limit counts messages
                    CHANNEL_TASKS[channel].apply_async((pk,), producer=producer)
                    queued += 1
                    continue
                ids = waiting.setdefault(channel, [])
                ids.append(pk)
                if len(ids) > CHUNK or channel in chunked and len(ids) == CHUNK:
                    chunk, waiting[channel] = ids[:CHUNK], ids[CHUNK:]
                    deliver_messages.apply_async((chunk,), producer=producer)
                    chunked.add(channel)
                    queued += len(chunk)
            for channel, ids in waiting.items():
                if channel in chunked and ids:
                    deliver_messages.apply_async((ids,), producer=producer)
                else:
                    for pk in ids:
                        deliver_message.apply_async((pk,), producer=producer)
                queued += len(ids)
    except Exception as exc:
        if not quiet:
            raise
        logger.warning("could not queue every message for delivery (%s: %s; %d queued); the outbox sweep will",
                       type(exc).__name__, exc, queued)
    return queued


def outbox_sweep(*, batch: int = 1000) -> int:
    """Queue a delivery task again for every message still waiting OUTBOX_DEADLINE seconds after its
    last one was queued. Returns how many. Messages being sent right now (row locked) are left alone."""
    deadline = timezone.now() - timedelta(seconds=imbizo_setting("OUTBOX_DEADLINE"))
    total = 0
    while True:
        with transaction.atomic():
            overdue = list(OutboundMessage.objects.select_for_update(skip_locked=True).filter(
                state__in=WAITING, dispatched_at__lt=deadline).exclude(send_after__gt=timezone.now())
                .order_by("dispatched_at").values_list("pk", "channel")[:batch])
            if not overdue:
                break
            OutboundMessage.objects.filter(pk__in=[pk for pk, _ in overdue]).update(dispatched_at=timezone.now())
        # After the commit: a task must find its message unlocked.
        total += queue_deliveries(overdue, quiet=False)
    if total:
        logger.warning("outbox sweep: queued %d overdue message(s) again", total)
    return total


@shared_task(name="notices.sweep_outbox")
def sweep_outbox() -> int:
    """The outbox sweep (beat, every 5 minutes)."""
    return outbox_sweep()
