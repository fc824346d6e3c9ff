"""Phones talking to the municipality: provider accounts, inbound messages, conversations, landmarks.

- A `ProviderAccount` is one municipality's account with one provider (Africa's Talking, Twilio,
  WhatsApp Cloud API, a USSD gateway, BulkSMS, Clickatell, or the simulator). Its secrets are kept
  in the admin (`credentials`) or named from the deployment's settings (`credentials_setting`, a
  key of `IMBIZO["CHANNEL_CREDENTIALS"]`, filled from the environment): never in the repository.
- An `InboundMessage` is one message a provider delivered to a webhook, stored once: the provider's
  message id is unique, so a provider's retry (they all retry) is recognised and nothing runs twice.
- A `Conversation` is where one phone is in a flow on one channel (the report's draft, the menu it
  was shown), kept in PostgreSQL so that a reply is always read against the question it answers.
- A `Landmark` is a place staff add for the gazetteer ("Taxi rank", "Engen garage on Voortrekker").
"""

from django.conf import settings
from django.contrib.gis.db import models
from django.utils.translation import gettext_lazy as _

from toolkit.conf import STORAGE_SRID, imbizo_setting


class Channel(models.TextChoices):
    SMS = "sms", _("SMS")
    WHATSAPP = "whatsapp", _("WhatsApp")
    USSD = "ussd", _("USSD")


class Provider(models.TextChoices):
    SIMULATOR = "simulator", _("Simulator (development and tests)")
    AFRICASTALKING = "africastalking", _("Africa's Talking")
    TWILIO = "twilio", _("Twilio")
    WHATSAPP = "whatsapp", _("WhatsApp Cloud API")
    USSD = "ussd", _("USSD gateway")
    BULKSMS = "bulksms", _("BulkSMS")
    CLICKATELL = "clickatell", _("Clickatell")


class ProviderAccountQuerySet(models.QuerySet):
    def active(self) -> "ProviderAccountQuerySet":
        return self.filter(is_active=True)


class ProviderAccount(models.Model):
    municipality = models.ForeignKey("wards.Municipality", on_delete=models.CASCADE, related_name="provider_accounts")
    key = models.SlugField(max_length=40, unique=True, help_text=_(
        "A short name for this account, e.g. 'lesedi-sms'. Outbound messages record it as their provider."))
    provider = models.CharField(max_length=16, choices=Provider.choices)
    channel = models.CharField(max_length=8, choices=Channel.choices, default=Channel.SMS)
    address = models.CharField(max_length=64, blank=True, help_text=_(
        "Our side: the sender number or id, short code, WhatsApp phone number id, or USSD service code."))
    credentials = models.JSONField(default=dict, blank=True, help_text=_(
        "Secrets for this provider (e.g. {\"username\": ..., \"api_key\": ...}); or leave empty and name them "
        "in the settings below."))
    credentials_setting = models.CharField(max_length=64, blank=True, help_text=_(
        "A key of IMBIZO['CHANNEL_CREDENTIALS'] (from the environment) holding the secrets instead."))
    cost_per_message = models.DecimalField(max_digits=8, decimal_places=4, default=0, help_text=_(
        "Rand per outbound message, used when the provider does not report a cost."))
    is_active = models.BooleanField(default=True)

    objects = ProviderAccountQuerySet.as_manager()

    class Meta:
        ordering = ["municipality", "key"]

    def __str__(self):
        return f"{self.key} ({self.get_provider_display()})"

    @property
    def secrets(self) -> dict:
        """The credentials: the named settings entry over whatever the admin holds."""
        named = imbizo_setting("CHANNEL_CREDENTIALS").get(self.credentials_setting, {}) if self.credentials_setting else {}
        return {**(self.credentials or {}), **named}


class InboundMessage(models.Model):
    """One message from a resident's phone, as a provider delivered it."""

    account = models.ForeignKey(ProviderAccount, on_delete=models.PROTECT, related_name="inbound_messages")
    provider = models.CharField(max_length=16, choices=Provider.choices)
    provider_message_id = models.CharField(max_length=128)
    channel = models.CharField(max_length=8, choices=Channel.choices)
    phone = models.CharField(max_length=32, help_text=_("The resident's number, E.164."))
    text = models.TextField(blank=True)
    location = models.PointField(srid=STORAGE_SRID, null=True, blank=True)
    media = models.JSONField(default=dict, blank=True, help_text=_("A photo's provider media id and type."))
    received_at = models.DateTimeField(auto_now_add=True)
    handled_at = models.DateTimeField(null=True, blank=True)
    reply = models.TextField(blank=True, help_text=_("What the conversation answered (kept for USSD replays)."))
    issue = models.ForeignKey("triage.Issue", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["provider", "provider_message_id"], name="inbound_once_per_provider_id")]
        indexes = [models.Index(fields=["handled_at"], name="inbound_unhandled",
                                condition=models.Q(handled_at__isnull=True)),
                   models.Index(fields=["phone", "received_at"], name="inbound_phone_received")]

    def __str__(self):
        return f"{self.provider} {self.provider_message_id}"


class Conversation(models.Model):
    """Where one phone is, on one channel. `state` names the question last asked; `draft` holds the
    answers so far; past `expires_at` an unfinished report is dropped with a message saying so."""

    phone = models.CharField(max_length=32)
    channel = models.CharField(max_length=8, choices=Channel.choices)
    account = models.ForeignKey(ProviderAccount, on_delete=models.PROTECT, related_name="conversations",
                                help_text=_("The account the phone last wrote to; replies and updates go out on it."))
    state = models.CharField(max_length=24, default="idle")
    draft = models.JSONField(default=dict, blank=True)
    language = models.CharField(max_length=10, default=settings.LANGUAGE_CODE)
    expires_at = models.DateTimeField(null=True, blank=True)
    opted_out_at = models.DateTimeField(null=True, blank=True, help_text=_("Sent STOP: nothing more is sent until START."))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["phone", "channel"], name="conversation_per_phone_and_channel")]

    def __str__(self):
        return f"{self.channel} {self.phone}: {self.state}"


class Landmark(models.Model):
    """A place residents name that no register holds: a taxi rank, a garage, a spaza shop, a church."""

    municipality = models.ForeignKey("wards.Municipality", on_delete=models.CASCADE, related_name="landmarks")
    name = models.CharField(max_length=160)
    location = models.PointField(srid=STORAGE_SRID)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        ordering = ["municipality", "name"]

    def __str__(self):
        return self.name
