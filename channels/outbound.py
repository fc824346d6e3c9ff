"""The SMS and WhatsApp channels of the outbox (`IMBIZO["CHANNELS"]`, notices.channels): each
message goes out through a provider account and records the provider's id, status and cost.

Which account: a direct reply names it in its topic ("conversation:<key>"); otherwise the account
the phone last wrote to on that channel; otherwise the active account of the message's
municipality (`OutboundMessage.municipality`: notices, digests, issue updates, account codes); for
a message that names none, the municipality its topic's issue reference names ("issue:GT423-...",
an area alert's "alert:GT423-..."). The simulator never takes a message for a phone that did not
write to it. A phone that sent STOP gets no updates (the message is marked "opted out", not sent),
but still gets the direct answer to what it sends.
"""

from channels.models import Conversation, Provider, ProviderAccount
from channels.providers import provider_for
from notices.channels import ChannelUnavailable
from notices.models import OutboundMessage
from wards.models import Municipality

REPLY_PREFIX = "conversation:"
# Topics naming an issue reference, whose first part is its municipality's code: its updates, its area alerts.
REFERENCE_TOPICS = ("issue:", "alert:")


def account_for(message) -> ProviderAccount:
    accounts = ProviderAccount.objects.active().select_related("municipality")
    if message.topic.startswith(REPLY_PREFIX):
        account = accounts.filter(key=message.topic.removeprefix(REPLY_PREFIX)).first()
        if account is not None:
            return account
    conversation = (Conversation.objects.filter(phone=message.address, channel=message.channel, account__is_active=True)
                    .select_related("account__municipality").first())
    if conversation is not None:
        return conversation.account
    # The simulator sends nothing to a real phone: a message nobody asked for goes through a provider.
    providers = accounts.filter(channel=message.channel).exclude(provider=Provider.SIMULATOR).order_by("pk")
    if message.municipality_id is not None:
        account = providers.filter(municipality_id=message.municipality_id).first()
        if account is not None:
            return account
        municipality = Municipality.objects.filter(pk=message.municipality_id).values_list("code", flat=True).first()
        raise ChannelUnavailable(f"municipality {municipality or message.municipality_id} has no active "
                                 f"{message.channel} provider account (the simulator reaches no real phone) "
                                 f"to send to {message.address}")
    if message.topic.startswith(REFERENCE_TOPICS):
        code = message.topic.partition(":")[2].split("-")[0]
        account = providers.filter(municipality__code=code).first()
        if account is not None:
            return account
    raise ChannelUnavailable(f"no active {message.channel} account can reach {message.address}")


def opted_out(message) -> bool:
    return Conversation.objects.filter(phone=message.address, channel=message.channel,
                                       opted_out_at__isnull=False).exists()


class PhoneChannel:
    def deliver(self, message) -> None:
        if not message.topic.startswith(REPLY_PREFIX) and opted_out(message):
            OutboundMessage.objects.filter(pk=message.pk).update(delivery_status="opted out")
            message.delivery_status = "opted out"
            return
        account = account_for(message)
        sent = provider_for(account).send(to=message.address, text=message.body)
        cost = sent.cost if sent.cost is not None else account.cost_per_message
        changes = {"provider": account.key, "provider_message_id": sent.message_id, "delivery_status": "sent", "cost": cost}
        OutboundMessage.objects.filter(pk=message.pk).update(**changes)
        for name, value in changes.items():
            setattr(message, name, value)


class SmsChannel(PhoneChannel):
    pass


class WhatsAppChannel(PhoneChannel):
    pass
