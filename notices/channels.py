"""How a message leaves the building, one class per channel.

A channel has `deliver(message)`: it raises on failure (the message is retried later). No SMS or
push gateway is configured yet: until one is, their messages stay queued with the reason recorded,
never silently dropped.
"""

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils.module_loading import import_string

from toolkit.conf import imbizo_setting


class ChannelUnavailable(Exception):
    """No gateway is configured for this channel yet."""


class EmailChannel:
    def deliver(self, message) -> None:
        email = EmailMessage(message.subject or "Imbizo", message.body, settings.DEFAULT_FROM_EMAIL, [message.address])
        files = getattr(message, "attachment_files", None)
        if files is None:  # a retry: the message was read back from the database
            files = [(a.filename, bytes(a.content), a.content_type) for a in message.attachments.all()]
        for filename, content, content_type in files:
            email.attach(filename, content, content_type)
        email.send()


class UnconfiguredChannel:
    def __init__(self, name: str):
        self.name = name

    def deliver(self, message) -> None:
        raise ChannelUnavailable(f"no {self.name} gateway is configured (the IMBIZO setting CHANNELS)")


def channel_for(name: str):
    dotted = imbizo_setting("CHANNELS").get(name)
    return import_string(dotted)() if dotted else UnconfiguredChannel(name)
