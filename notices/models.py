"""Every message Imbizo sends to a person, whatever the channel, is one OutboundMessage row.

The row is written in the same transaction as the change it reports (a status change, a new
comment), so a rolled-back change never sends a message and a committed one is never forgotten:
delivery runs after commit, and `send_queued_messages` retries what failed.
"""

from django.conf import settings
from django.db import models


class OutboundMessage(models.Model):
    class Channel(models.TextChoices):
        EMAIL = "email", "Email"
        SMS = "sms", "SMS"
        PUSH = "push", "Push notification"

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed (will be retried)"
        GAVE_UP = "gave_up", "Gave up"
        SKIPPED = "skipped", "Recorded, not sent (generated demo data)"

    channel = models.CharField(max_length=5, choices=Channel.choices)
    address = models.CharField(max_length=255, help_text="Email address, E.164 phone or push token.")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField()
    topic = models.CharField(max_length=80, blank=True, db_index=True, help_text="e.g. 'issue:GT423-2026-000123'.")
    state = models.CharField(max_length=8, choices=State.choices, default=State.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    send_after = models.DateTimeField(null=True, blank=True,
                                      help_text="Not before this time (the recipient's quiet hours); empty: at once.")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["state", "created_at"], name="outbound_state_created")]

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
