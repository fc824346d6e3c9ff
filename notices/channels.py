"""How a message leaves the building, one class per channel.

A channel has `deliver(message)`: it raises on failure (the message is retried later). SMS and
push gateways arrive with their own issues; until one is configured, their messages stay queued
with the reason recorded, never silently dropped.
"""

from django.conf import settings
from django.core.mail import send_mail
from django.utils.module_loading import import_string


class ChannelUnavailable(Exception):
    """No gateway is configured for this channel yet."""


class EmailChannel:
    def deliver(self, message) -> None:
        send_mail(message.subject or "Imbizo", message.body, settings.DEFAULT_FROM_EMAIL, [message.address])


class UnconfiguredChannel:
    def __init__(self, name: str):
        self.name = name

    def deliver(self, message) -> None:
        raise ChannelUnavailable(f"no {self.name} gateway is configured (settings.IMBIZO_CHANNELS)")


def channel_for(name: str):
    dotted = settings.IMBIZO_CHANNELS.get(name)
    return import_string(dotted)() if dotted else UnconfiguredChannel(name)
