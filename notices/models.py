"""Every message Imbizo sends to a person, whatever the channel, is one OutboundMessage row.

The row is written in the same transaction as the change it reports (a status change, a new
comment), so a rolled-back change never sends a message and a committed one is never forgotten:
delivery runs after commit, and `send_queued_messages` retries what failed.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone


class OutboundMessage(models.Model):
    class Channel(models.TextChoices):
        EMAIL = "email", "Email"
        SMS = "sms", "SMS"
        WHATSAPP = "whatsapp", "WhatsApp"
        PUSH = "push", "Push notification"

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed (will be retried)"
        GAVE_UP = "gave_up", "Gave up"
        SKIPPED = "skipped", "Recorded, not sent (generated demo data)"

    channel = models.CharField(max_length=8, choices=Channel.choices)
    address = models.CharField(max_length=255, help_text="Email address, E.164 phone or push token.")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    # The municipality the message speaks for: an SMS or WhatsApp message goes out through its
    # provider account (channels.outbound). A deleted municipality's messages go with it
    # (gisplatform.purge deletes them in batches first, so its own delete finds none left to gather).
    municipality = models.ForeignKey("wards.Municipality", null=True, blank=True, on_delete=models.CASCADE,
                                     related_name="+")
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField()
    topic = models.CharField(max_length=80, blank=True, db_index=True, help_text="e.g. 'issue:GT423-2026-000123'.")
    state = models.CharField(max_length=8, choices=State.choices, default=State.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # When a delivery task was last queued for it (or its retry is due): the outbox sweep queues one
    # again for a message still waiting OUTBOX_DEADLINE after that (notices.delivery).
    dispatched_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    # What the gateway said (SMS and WhatsApp): the account that sent it, the gateway's id for the
    # message (delivery receipts name it), the last receipt's status, and the cost in rand.
    provider = models.CharField(max_length=40, blank=True)
    provider_message_id = models.CharField(max_length=128, blank=True)
    delivery_status = models.CharField(max_length=40, blank=True)
    cost = models.DecimalField(max_digits=8, decimal_places=4, null=True, blank=True)
    send_after = models.DateTimeField(null=True, blank=True,
                                      help_text="Not before this time (the recipient's quiet hours); empty: at once.")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["state", "created_at"], name="outbound_state_created"),
            models.Index(fields=["dispatched_at"], name="outbound_waiting_dispatched",
                         condition=models.Q(state__in=["queued", "failed"])),
            models.Index(fields=["provider_message_id"], name="outbound_provider_message",
                         condition=~models.Q(provider_message_id="")),
        ]

    def __str__(self):
        return f"{self.channel} to {self.address}: {self.subject or self.body[:40]}"


class OutboundAttachment(models.Model):
    """A file sent with an email (a scheduled report). Kept with its message so a retry sends the
    same bytes; other channels deliver the message without it."""

    message = models.ForeignKey(OutboundMessage, on_delete=models.CASCADE, related_name="attachments")
    filename = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    content = models.BinaryField()
    size = models.PositiveIntegerField()

    class Meta:
        ordering = ["message", "id"]

    def __str__(self):
        return f"{self.filename} ({self.size} bytes)"


from notices.notice import MunicipalityNoticeSettings, Notice, NoticeAttachment, NoticeVersion  # noqa: E402, F401
