"""For planners: how many messages each ward's issues took, per channel, and what they cost.

Inbound messages count in the ward of the issue their conversation filed; outbound messages in
the ward of the issue their topic names (`issue:<reference>`). Messages about no issue (menus,
status questions, a report not finished) count under `ward: null`.
"""

from decimal import Decimal

from django.db.models import Count, OuterRef, Subquery, Sum
from django.db.models.functions import Substr

from channels.models import Channel, InboundMessage
from notices.models import OutboundMessage
from triage.issues.models import Issue

PHONE_CHANNELS = [Channel.SMS, Channel.WHATSAPP]


def message_counts(municipality) -> list[dict]:
    rows: dict[tuple, dict] = {}

    def row(ward, channel) -> dict:
        return rows.setdefault((ward, channel), {"ward": ward, "channel": channel, "inbound": 0, "outbound": 0,
                                                 "cost": "0.0000"})

    inbound = (InboundMessage.objects.filter(account__municipality=municipality)
               .values("issue__ward__number", "channel").annotate(count=Count("id")))
    for item in inbound:
        row(item["issue__ward__number"], item["channel"])["inbound"] = item["count"]
    ward_of_topic = Issue.objects.filter(reference=Substr(OuterRef("topic"), len("issue:") + 1)).values("ward__number")[:1]
    outbound = (OutboundMessage.objects.filter(channel__in=PHONE_CHANNELS, topic__startswith=f"issue:{municipality.code}-")
                .annotate(ward=Subquery(ward_of_topic)).values("ward", "channel")
                .annotate(count=Count("id"), cost=Sum("cost")))
    replies = (OutboundMessage.objects.filter(channel__in=PHONE_CHANNELS, topic__startswith="conversation:",
                                              provider__in=municipality.provider_accounts.values("key"))
               .values("channel").annotate(count=Count("id"), cost=Sum("cost")))
    for item in [*outbound, *({**reply, "ward": None} for reply in replies)]:
        entry = row(item["ward"], item["channel"])
        entry["outbound"] += item["count"]
        entry["cost"] = str(Decimal(entry["cost"]) + (item["cost"] or Decimal(0)))
    return sorted(rows.values(), key=lambda entry: (entry["ward"] is None, entry["ward"] or 0, entry["channel"]))
