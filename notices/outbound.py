"""The one interface every outbound message goes through: `notify(recipients, subject, body)`.

Callers say who and what; this module picks the channel each recipient can be reached on (email
first, else SMS) and records the message in the caller's transaction (an outbox: a rolled-back
change sends nothing, a committed one is never forgotten). Broadcast notices, SMS replies and push
notifications will use the same function.

Who sends (the IMBIZO setting DELIVERY):
- "celery" (what `./imbizo run` runs): after the commit, one Celery task per message on the
  "messages" queue (notices.delivery); a request never waits for a mail server. If Redis loses a
  task (or was away when it was queued), the outbox sweep queues it again.
- "worker": the LISTEN/NOTIFY delivery worker, `send_queued_messages --follow`, which the table's
  trigger wakes as each transaction that queued a message commits (notices.worker).
- "on_commit" (tests, one-process set-ups): the request itself, right after its commit.
Every sender claims a message under a row lock first (SKIP LOCKED) and marks it sent in the same
transaction: a message is never sent twice, however many senders run.
"""

import contextlib
import contextvars
import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from notices.channels import channel_for
from notices.models import OutboundAttachment, OutboundMessage
from toolkit.conf import imbizo_setting
from wards.models import Municipality

MAX_ATTEMPTS = 5
_recording_only = contextvars.ContextVar("recording_only", default=False)


@contextlib.contextmanager
def recording_only():
    """Record messages without sending them: for generated demo data, whose addresses are made up."""
    token = _recording_only.set(True)
    try:
        yield
    finally:
        _recording_only.reset(token)


@dataclass(frozen=True)
class Recipient:
    email: str = ""
    phone: str = ""
    user_id: int | None = None
    # The channel a phone is reached on: SMS unless the person wrote on another (a WhatsApp reporter).
    phone_channel: str = ""
    # Not before this instant (the end of the recipient's quiet hours); None: at once.
    send_after: datetime.datetime | None = None

    @classmethod
    def of_user(cls, user) -> "Recipient":
        return cls(email=user.email or "", phone=user.phone or "", user_id=user.pk)

    @property
    def route(self) -> tuple[str, str] | None:
        if self.email:
            return OutboundMessage.Channel.EMAIL, self.email.lower()
        if self.phone:
            return self.phone_channel or OutboundMessage.Channel.SMS, self.phone
        return None


@dataclass(frozen=True)
class Letter:
    """One recipient's own message: their language, their link."""

    recipient: Recipient
    subject: str
    body: str
    sms_body: str = ""


def notify(
    recipients: Iterable[Recipient], subject: str, body: str, *, topic: str = "", sms_body: str = "",
    attachments: Iterable[tuple[str, bytes, str]] = (), municipality: Municipality | None = None,
) -> list[OutboundMessage]:
    """Queue one message per reachable recipient (each address once), to be sent after commit.

    `attachments` are (filename, bytes, content type) files for the email recipients; a
    recipient reached by SMS gets the message alone. A recipient with `send_after` waits until then
    (the outbox sweep takes the message up). `municipality` is the one the message speaks for: an
    SMS or WhatsApp message to a phone that never wrote in goes out through its provider account.
    The messages come back stored, with their ids."""
    return notify_each((Letter(recipient, subject, body, sms_body) for recipient in recipients), topic=topic,
                       attachments=attachments, municipality=municipality)


def notify_each(letters: Iterable[Letter], *, topic: str = "", attachments: Iterable[tuple[str, bytes, str]] = (),
                municipality: Municipality | None = None) -> list[OutboundMessage]:
    """`notify` for messages worded for each recipient: queued in one INSERT (each address once)."""
    municipality_id = municipality.pk if municipality is not None else None
    attachments = list(attachments)
    messages, seen = [], set()
    now = timezone.now()
    for letter in letters:
        recipient = letter.recipient
        route = recipient.route
        if route is None or route in seen:
            continue
        seen.add(route)
        channel, address = route
        short = channel in (OutboundMessage.Channel.SMS, OutboundMessage.Channel.WHATSAPP)
        text = letter.sms_body if short and letter.sms_body else letter.body
        # A held message's first delivery is the outbox sweep's, once its time has come.
        messages.append(OutboundMessage(channel=channel, address=address, user_id=recipient.user_id,
                                        municipality_id=municipality_id, subject=letter.subject, body=text, topic=topic,
                                        send_after=recipient.send_after, dispatched_at=recipient.send_after or now))
    if not messages:
        return messages
    recording = _recording_only.get()
    if recording:
        for message in messages:
            message.state = OutboundMessage.State.SKIPPED
    # One INSERT; PostgreSQL returns the ids. In worker mode the table's trigger wakes the delivery
    # worker when this transaction commits (notices/migrations/0004).
    OutboundMessage.objects.bulk_create(messages)
    _attach(messages, attachments)
    due = [message for message in messages if message.send_after is None or message.send_after <= now]
    if not recording and due:
        delivery = imbizo_setting("DELIVERY")
        if delivery == "on_commit":
            transaction.on_commit(lambda: deliver_claimed(due))
        elif delivery == "celery":
            from notices.delivery import queue_deliveries

            transaction.on_commit(lambda: queue_deliveries([(message.pk, message.channel) for message in due]))
    return messages


def _attach(messages: list[OutboundMessage], attachments: list[tuple[str, bytes, str]]) -> None:
    # The files ride along in memory for the first delivery, so a message without any costs no
    # query to find that out; retries read them back from the database.
    for message in messages:
        message.attachment_files = attachments if message.channel == OutboundMessage.Channel.EMAIL else []
    if not attachments:
        return
    OutboundAttachment.objects.bulk_create([
        OutboundAttachment(message=message, filename=filename, content=bytes(content), content_type=content_type,
                           size=len(content))
        for message in messages if message.channel == OutboundMessage.Channel.EMAIL
        for filename, content, content_type in attachments
    ])


WAITING = (OutboundMessage.State.QUEUED, OutboundMessage.State.FAILED)


def deliver_claimed(messages: list[OutboundMessage]) -> dict[str, int]:
    """Send these just-committed messages, each one no other sender has claimed first."""
    with transaction.atomic():
        claimed = set(OutboundMessage.objects.select_for_update(skip_locked=True).filter(
            pk__in=[message.pk for message in messages], state=OutboundMessage.State.QUEUED,
        ).exclude(send_after__gt=timezone.now()).values_list("pk", flat=True))
        return deliver([message for message in messages if message.pk in claimed])


def deliver_one(message_id: int) -> OutboundMessage | None:
    """Claim one message and send it (a delivery task). Returns it with its new state, or None when it
    is no longer waiting (already sent: a task run twice) or another sender holds it right now."""
    with transaction.atomic():
        message = OutboundMessage.objects.select_for_update(skip_locked=True).filter(
            pk=message_id, state__in=WAITING).exclude(send_after__gt=timezone.now()).first()
        if message is None:
            return None
        deliver([message])
        return message


def deliver_some(message_ids: list[int]) -> list[OutboundMessage]:
    """Claim those of these messages still waiting that no other sender holds, send them, and mark
    them in one statement (a fan-out's delivery task). Returns the claimed ones with their new state."""
    with transaction.atomic():
        claimed = list(OutboundMessage.objects.select_for_update(skip_locked=True).filter(
            pk__in=message_ids, state__in=WAITING).exclude(send_after__gt=timezone.now()).order_by("pk"))
        deliver(claimed)
    return claimed


def deliver_waiting(*, retry_failed: bool = True, batch: int = 50,
                    on_batch: Callable[[int], object] = lambda count: None) -> dict[str, int]:
    """Send every queued message and, with retry_failed, retry every failed one: each once, oldest
    first, in batches each claimed in one transaction. Returns counts by outcome."""
    states = WAITING if retry_failed else (OutboundMessage.State.QUEUED,)
    counts = {"sent": 0, "failed": 0}
    after = 0  # by id, so a message that fails again waits for the next sweep
    while True:
        with transaction.atomic():
            claimed = list(OutboundMessage.objects.select_for_update(skip_locked=True).filter(
                state__in=states, pk__gt=after).exclude(send_after__gt=timezone.now()).order_by("pk")[:batch])
            if not claimed:
                return counts
            for outcome, number in deliver(claimed).items():
                counts[outcome] += number
        after = claimed[-1].pk
        on_batch(len(claimed))


def deliver(messages) -> dict[str, int]:
    """Try to send each message (claimed by the caller); record every outcome in one statement.
    Returns counts by outcome."""
    sent, failed = [], []
    for message in messages:
        message.attempts += 1
        try:
            channel_for(message.channel).deliver(message)
        except Exception as exc:  # noqa: BLE001 - any gateway error is recorded and retried, never lost
            message.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            message.state = OutboundMessage.State.GAVE_UP if message.attempts >= MAX_ATTEMPTS else OutboundMessage.State.FAILED
            failed.append(message)
        else:
            message.state, message.sent_at, message.last_error = OutboundMessage.State.SENT, timezone.now(), ""
            sent.append(message)
    if sent:  # the usual outcome: one plain UPDATE (bulk_update's CASE per row costs more than the sending)
        OutboundMessage.objects.filter(pk__in=[message.pk for message in sent]).update(
            state=OutboundMessage.State.SENT, sent_at=timezone.now(), last_error="", attempts=F("attempts") + 1)
    if failed:
        OutboundMessage.objects.bulk_update(failed, ["attempts", "last_error", "state"])
    return {"sent": len(sent), "failed": len(failed)}
