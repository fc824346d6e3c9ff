"""What happens to a message from a phone, and to a provider's delivery receipt.

`inbound_store` keeps each message once (the provider's id is unique: a retried webhook stores
nothing new); `inbound_handle` runs the conversation for one stored message, once, under row
locks, and queues the reply through `notices.outbound.notify` in the same transaction (USSD
answers in its own response instead). Webhooks store and answer at once; the handling runs after
the commit (`channels.dispatch`).
"""

from __future__ import annotations

import datetime
import json

from django.contrib.gis.geos import Point
from django.db import connection, transaction
from django.utils import timezone

from channels.conversation.engine import Turn, converse
from channels.models import Conversation, InboundMessage, ProviderAccount
from channels.providers.base import Incoming, Receipt
from notices.models import OutboundMessage
from notices.outbound import Recipient, notify
from toolkit.ratelimit import rates

# Raw SQL: "insert unless this provider's id is already stored, and tell me which" is one
# statement in PostgreSQL; the ORM would need a savepoint and a caught IntegrityError.
STORE_INBOUND_SQL = """
INSERT INTO channels_inboundmessage
    (account_id, provider, provider_message_id, channel, phone, text, location, media, received_at, reply)
VALUES (%(account)s, %(provider)s, %(message_id)s, %(channel)s, %(phone)s, %(text)s,
        CASE WHEN %(lon)s::float8 IS NULL THEN NULL ELSE ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326) END,
        %(media)s::jsonb, %(now)s, '')
ON CONFLICT (provider, provider_message_id) DO NOTHING
RETURNING id AS stored_id
"""

MAX_TEXT = 2000  # longer messages are kept cut, and answered with help


def reply_topic(account: ProviderAccount) -> str:
    """The topic of a direct reply: it names the account it must go out on."""
    return f"conversation:{account.key}"


def inbound_store(*, account: ProviderAccount, incoming: Incoming) -> tuple[int, bool]:
    """Store the message unless its provider id was stored before: (its id, whether it is new)."""
    stored = inbound_store_row(account=account, incoming=incoming)
    if stored is not None:
        return stored.pk, True
    existing = InboundMessage.objects.filter(provider=account.provider, provider_message_id=incoming.message_id[:128])
    return existing.values_list("pk", flat=True).get(), False


def inbound_store_row(*, account: ProviderAccount, incoming: Incoming) -> InboundMessage | None:
    """Store the message and return it as stored, or None when its provider id was stored before.
    Until the caller's transaction commits, no one else sees (or can lock) the new row."""
    now = timezone.now()
    values = {"account": account.pk, "provider": account.provider, "message_id": incoming.message_id[:128],
              "channel": account.channel, "phone": incoming.phone, "text": incoming.text[:MAX_TEXT + 1],
              "lon": incoming.longitude, "lat": incoming.latitude, "media": json.dumps(incoming.media or {}), "now": now}
    with connection.cursor() as cursor:
        cursor.execute(STORE_INBOUND_SQL, values)
        row = cursor.fetchone()
    if row is None:
        return None
    located = incoming.longitude is not None and incoming.latitude is not None
    stored = InboundMessage(
        pk=row[0], account=account, provider=account.provider, provider_message_id=values["message_id"],
        channel=account.channel, phone=incoming.phone, text=values["text"], media=incoming.media or {},
        location=Point(incoming.longitude, incoming.latitude, srid=4326) if located else None, received_at=now, reply="",
    )
    stored._state.adding = False
    return stored


def inbound_handle(inbound_id: int, *, now: datetime.datetime | None = None,
                   just_stored: InboundMessage | None = None) -> Turn:
    """Run the conversation for one stored message, once: a second call (a replay, a retried task)
    returns the reply given the first time and does nothing else. `just_stored`: the row as
    `inbound_store_row` returned it, in the caller's still open transaction (nobody else can see
    it yet, so it needs no lock and no reading back)."""
    now = now or timezone.now()
    # No savepoint when the webhook's own transaction calls: a failure rolls back the message too.
    with transaction.atomic(savepoint=False):
        inbound = just_stored or (InboundMessage.objects.select_for_update()
                                  .select_related("account", "account__municipality").get(pk=inbound_id))
        if inbound.handled_at is not None:
            return Turn(replies=[inbound.reply] if inbound.reply else [], finished=True, repeated=True)
        account = inbound.account
        rate = rates("channel").get("client")
        conversation = _conversation_locked(inbound, rate)
        conversation.account = account
        waiting = rate.seconds if rate is not None and conversation.recent > rate.count else None
        if waiting is not None:
            turn = Turn(replies=[], finished=True, limited=waiting)
        else:
            turn = converse(conversation=conversation, inbound=inbound, now=now)
        conversation.save()
        synchronous = _answers_in_response(account)
        inbound.handled_at = now
        inbound.reply = "\n\n".join(turn.replies)
        if synchronous and turn.replies:  # kept as answered, so a replayed USSD step gets the same screen
            inbound.reply = ("END " if turn.finished else "CON ") + "\n".join(turn.replies)
        inbound.issue = turn.issue
        inbound.save(update_fields=["handled_at", "reply", "issue"])
        if turn.issue is not None:
            InboundMessage.objects.filter(phone=inbound.phone, channel=inbound.channel, issue__isnull=True,
                                          received_at__gte=turn.started).update(issue=turn.issue)
        if turn.replies and not synchronous:
            notify([Recipient(phone=inbound.phone, phone_channel=inbound.channel)], "", inbound.reply,
                   topic=reply_topic(account), municipality=account.municipality)
    return turn


# Raw SQL: the phone's conversation made (in the language its owner chose, if the phone is an
# account's) or found, and locked (ON CONFLICT DO UPDATE locks the row it finds), with the number
# of messages the phone sent in the rate limit's window, in one statement; get_or_create,
# select_for_update and the shared cache's counter took ten.
CONVERSATION_SQL = """
WITH found AS (
    INSERT INTO channels_conversation (phone, channel, account_id, state, draft, language, updated_at)
    VALUES (%(phone)s, %(channel)s, %(account)s, 'idle', '{}'::jsonb,
            -- a resident with an account speaks the language of their preferences (residents)
            COALESCE((SELECT NULLIF(preferences.language, '') FROM residents_preferences AS preferences
                      JOIN accounts_user AS person ON person.id = preferences.user_id
                      WHERE person.phone = %(phone)s), %(language)s),
            now())
    ON CONFLICT (phone, channel) DO UPDATE SET account_id = EXCLUDED.account_id
    RETURNING *
)
SELECT found.*, (SELECT count(*) FROM channels_inboundmessage
                 WHERE phone = %(phone)s AND received_at > %(since)s) AS recent
FROM found
"""


def _conversation_locked(inbound: InboundMessage, rate) -> Conversation:
    """The per-number limit is configured like every other (`RATE_LIMITS["channel"]["client"]`,
    toolkit.ratelimit) but counted on the messages themselves, all stored anyway, over a sliding window."""
    from django.conf import settings

    window = datetime.timedelta(seconds=rate.seconds if rate is not None else 0)
    return list(Conversation.objects.raw(CONVERSATION_SQL, {
        "phone": inbound.phone, "channel": inbound.channel, "account": inbound.account_id,
        "language": settings.LANGUAGE_CODE, "since": inbound.received_at - window}))[0]


def _answers_in_response(account: ProviderAccount) -> bool:
    from channels.providers import provider_for

    return provider_for(account).synchronous


def receipt_apply(*, accounts: list[ProviderAccount], receipt: Receipt) -> int:
    """A delivery receipt updates the message the provider named; the number of messages updated
    (0 for an id we never sent: receipts for other systems on a shared account are ignored)."""
    changes = {"delivery_status": receipt.status[:40]}
    if receipt.cost is not None:
        changes["cost"] = receipt.cost
    if receipt.error:
        changes["last_error"] = f"{receipt.status}: {receipt.error}"[:2000]
    return OutboundMessage.objects.filter(provider__in=[account.key for account in accounts],
                                          provider_message_id=receipt.message_id).update(**changes)


def handle_waiting_inbound(*, older_than_seconds: int = 60, batch: int = 200) -> int:
    """Handle stored messages whose after-the-response handling never ran (a worker died, the queue
    was away): the safety net a scheduler runs every minute. Returns how many were handled."""
    cutoff = timezone.now() - datetime.timedelta(seconds=older_than_seconds)
    waiting = list(InboundMessage.objects.filter(handled_at__isnull=True, received_at__lt=cutoff)
                   .order_by("pk").values_list("pk", flat=True)[:batch])
    for inbound_id in waiting:
        inbound_handle(inbound_id)
    return len(waiting)
