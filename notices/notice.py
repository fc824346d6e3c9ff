"""Notices: what the municipality tells residents (a water outage, a road closure, a meeting),
for an area, with files attached.

A notice's target (the whole municipality, wards, suburbs, a drawn polygon, a radius around a
point or a buffer along a line) is turned into one MultiPolygon by PostGIS (`notices.notice_targets`)
and stored in `area`: who hears about it, and where it shows, is a spatial join on that column. The
chosen wards and suburbs are kept for display. Related issues are kept by reference number
(notices sit below triage and never import it).
"""

from django.conf import settings
from django.contrib.gis.db import models
from django.contrib.postgres.fields import ArrayField
from django.db.models import Q
from django.db.models.functions import Now
from django.utils.translation import gettext_lazy as _

from toolkit.conf import STORAGE_SRID


class NoticeQuerySet(models.QuerySet):
    def public(self, now=None) -> "NoticeQuerySet":
        """Notices anyone may read: published (or scheduled and due, or expired), never drafts or cancelled.
        Without `now`, the database's clock: the same SQL at every call (the layers' prepared pages)."""
        now = now or Now()
        return self.filter(state__in=Notice.PUBLIC_STATES, publish_at__lte=now)

    def active(self, now=None) -> "NoticeQuerySet":
        """Public notices not yet expired."""
        now = now or Now()
        return self.public(now).filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now)).exclude(
            state=Notice.State.EXPIRED)

    def covering(self, point) -> "NoticeQuerySet":
        """Notices whose target area covers the point (an edge counts as inside, as for wards)."""
        return self.filter(area__covers=point)

    def newest_first(self) -> "NoticeQuerySet":
        return self.order_by("-publish_at", "-id")


class Notice(models.Model):
    class Kind(models.TextChoices):
        WATER_OUTAGE = "water", _("Water outage")
        POWER_OUTAGE = "power", _("Power outage or load-shedding")
        ROAD_CLOSURE = "road", _("Road closure")
        REFUSE = "refuse", _("Refuse collection change")
        EVENT = "event", _("Event or meeting")
        GENERAL = "general", _("General")
        EMERGENCY = "emergency", _("Emergency")

    class Severity(models.TextChoices):
        INFO = "info", _("Information")
        WARNING = "warning", _("Warning")
        CRITICAL = "critical", _("Critical")

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PENDING = "pending", _("Waiting for approval")
        SCHEDULED = "scheduled", _("Scheduled")
        PUBLISHED = "published", _("Published")
        EXPIRED = "expired", _("Expired")
        CANCELLED = "cancelled", _("Cancelled")

    class Target(models.TextChoices):
        MUNICIPALITY = "municipality", _("The whole municipality")
        WARDS = "wards", _("Chosen wards")
        SUBURBS = "suburbs", _("Chosen suburbs")
        POLYGON = "polygon", _("An area drawn on the map")
        RADIUS = "radius", _("A radius around a point")
        LINE = "line", _("A buffer along a line")

    PUBLIC_STATES = (State.SCHEDULED, State.PUBLISHED, State.EXPIRED)

    municipality = models.ForeignKey("wards.Municipality", on_delete=models.CASCADE, related_name="notices")
    department = models.ForeignKey("accounts.Department", null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="notices", verbose_name=_("issuing department"))
    title = models.CharField(_("title"), max_length=140)
    body = models.TextField(_("body"), help_text=_("Plain text; paragraphs, bold, italics, lists and links are kept."))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.GENERAL)
    severity = models.CharField(_("severity"), max_length=8, choices=Severity.choices, default=Severity.INFO)
    starts_at = models.DateTimeField(_("starts"), null=True, blank=True, help_text=_("When the thing itself starts."))
    ends_at = models.DateTimeField(_("ends"), null=True, blank=True)
    publish_at = models.DateTimeField(_("publish at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    state = models.CharField(_("state"), max_length=9, choices=State.choices, default=State.DRAFT)

    target = models.CharField(_("target"), max_length=12, choices=Target.choices, default=Target.MUNICIPALITY)
    wards = models.ManyToManyField("wards.Ward", blank=True, related_name="+", verbose_name=_("wards"))
    suburbs = models.ManyToManyField("wards.Suburb", blank=True, related_name="+", verbose_name=_("suburbs"))
    drawn = models.GeometryField(_("drawn geometry"), srid=STORAGE_SRID, null=True, blank=True,
                                 help_text=_("A polygon, a line or a point, as drawn on the map."))
    radius_m = models.PositiveIntegerField(_("radius or buffer (metres)"), null=True, blank=True)
    area = models.MultiPolygonField(srid=STORAGE_SRID, null=True, blank=True, editable=False,
                                    help_text=_("The target as one area, computed by PostGIS."))

    related_issues = ArrayField(models.CharField(max_length=40), default=list, blank=True,
                                verbose_name=_("related issues"), help_text=_("Reference numbers, e.g. GT423-2026-000123."))
    version = models.PositiveIntegerField(default=1, editable=False)
    notified_versions = ArrayField(models.PositiveIntegerField(), default=list, blank=True, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    published_at = models.DateTimeField(null=True, blank=True, editable=False)
    cancelled_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = NoticeQuerySet.as_manager()

    class Meta:
        ordering = ["-publish_at", "-id"]
        permissions = [("publish_notice", "Can approve and publish notices")]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__isnull=True) | Q(starts_at__isnull=True)
                                   | Q(ends_at__gte=models.F("starts_at")), name="notice_ends_after_it_starts"),
            models.CheckConstraint(condition=Q(expires_at__isnull=True) | Q(publish_at__isnull=True)
                                   | Q(expires_at__gt=models.F("publish_at")), name="notice_expires_after_publishing"),
        ]
        indexes = [models.Index(fields=["municipality", "state", "publish_at"], name="notice_public_list")]

    def __str__(self):
        return self.title

    @property
    def topic(self) -> str:
        """The OutboundMessage topic of this version's messages."""
        return self.topic_of(self.version)

    def topic_of(self, version: int) -> str:
        return f"notice:{self.pk}:v{version}"

    @property
    def topics(self) -> list[str]:
        return [self.topic_of(version) for version in self.notified_versions]

    @property
    def is_emergency(self) -> bool:
        return self.kind == self.Kind.EMERGENCY


class NoticeVersion(models.Model):
    """What a published notice said before an edit: the public page lists the changes."""

    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=140)
    body = models.TextField()
    snapshot = models.JSONField(default=dict, help_text=_("The other fields as they were."))
    edited_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["notice", "-number"]
        constraints = [models.UniqueConstraint(fields=["notice", "number"], name="notice_version_unique")]


class NoticeAttachment(models.Model):
    """An image (re-encoded without metadata) or a PDF, with a preview image (thumbnail or first page)."""

    class Kind(models.TextChoices):
        IMAGE = "image", _("Image")
        PDF = "pdf", _("PDF document")

    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="attachments")
    kind = models.CharField(max_length=5, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=200)
    content_type = models.CharField(max_length=100)
    file = models.FileField(upload_to="notices/%Y/%m/")
    preview = models.FileField(upload_to="notices/%Y/%m/", blank=True)
    size = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["notice", "id"]

    def __str__(self):
        return self.title


class MunicipalityNoticeSettings(models.Model):
    """How one municipality sends notices: whether publishing needs an approver, and what an SMS
    costs it (for the audience preview's estimate)."""

    municipality = models.OneToOneField("wards.Municipality", primary_key=True, on_delete=models.CASCADE,
                                        related_name="notice_settings")
    requires_approval = models.BooleanField(_("publishing needs approval"), default=False)
    sms_price = models.DecimalField(_("price of one SMS"), max_digits=8, decimal_places=4, default=0)
    currency = models.CharField(_("currency"), max_length=3, default="ZAR", help_text=_("ISO 4217 code."))

    class Meta:
        verbose_name = _("notice settings")
        verbose_name_plural = _("notice settings")

    def __str__(self):
        return str(self.municipality)
