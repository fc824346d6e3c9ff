"""What a resident keeps with the municipality: the places they care about, the areas they want
to hear about, and how (and when) they want to hear.

Places are points, not ward numbers: after a new ward demarcation the ward of a home is derived
again from the point. An alert's area is one geometry computed in PostGIS (from a ward, a suburb,
a radius around a place or a drawn polygon); matching a new issue or a notice to its alerts is a
spatial join on that column.
"""

import secrets

from django.conf import settings
from django.contrib.gis.db import models
from django.db.models import Q

from toolkit.conf import STORAGE_SRID


def new_token() -> str:
    return secrets.token_urlsafe(24)


class Place(models.Model):
    """A named point a resident cares about: home (at most one), work, a relative's house."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="places")
    name = models.CharField(max_length=60, default="Home")
    is_home = models.BooleanField(default=False)
    point = models.PointField(srid=STORAGE_SRID)
    address = models.CharField(max_length=255, blank=True, help_text="As the resident typed it; private.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["user", "-is_home", "name"]
        constraints = [
            models.UniqueConstraint(fields=["user"], condition=Q(is_home=True), name="one_home_per_resident"),
            models.UniqueConstraint(fields=["user", "name"], name="place_name_unique_per_resident"),
        ]

    def __str__(self):
        return self.name


class AlertShape(models.Model):
    """One distinct alert area, shared by every alert with exactly that geometry (all the alerts
    made from one ward share its shape). Matching a point tests each distinct shape once (ST_Covers
    on this GiST-indexed column), then finds the alerts by shape: thousands of alerts on one ward
    cost one point-in-polygon test, not thousands."""

    digest = models.CharField(max_length=32, unique=True, help_text="md5 of the geometry's EWKB.")
    geom = models.MultiPolygonField(srid=STORAGE_SRID)

    def __str__(self):
        return f"alert shape {self.pk}"


class AreaAlert(models.Model):
    """A subscription to new issues and/or notices inside an area."""

    class Source(models.TextChoices):
        WARD = "ward", "A ward"
        SUBURB = "suburb", "A suburb"
        PLACE = "place", "A radius around a saved place"
        DRAWN = "drawn", "An area drawn on the map"

    class Digest(models.TextChoices):
        EACH = "each", "Each as it happens"
        DAILY = "daily", "A daily digest"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE,
                             related_name="alerts")
    email = models.EmailField(blank=True, help_text="An anonymous subscriber's address (no account).")
    municipality = models.ForeignKey("wards.Municipality", on_delete=models.CASCADE, related_name="alerts")
    source = models.CharField(max_length=6, choices=Source.choices)
    ward = models.ForeignKey("wards.Ward", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    suburb = models.ForeignKey("wards.Suburb", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    place = models.ForeignKey(Place, null=True, blank=True, on_delete=models.CASCADE, related_name="alerts")
    radius_m = models.PositiveIntegerField(null=True, blank=True)
    area = models.MultiPolygonField(srid=STORAGE_SRID)
    shape = models.ForeignKey(AlertShape, null=True, blank=True, on_delete=models.PROTECT, related_name="alerts",
                              help_text="The shared copy of `area` that matching reads (residents.services).")
    issues = models.BooleanField(default=True, help_text="Hear about new issues reported in the area.")
    notices = models.BooleanField(default=True, help_text="Hear about the municipality's notices for the area.")
    digest = models.CharField(max_length=5, choices=Digest.choices, default=Digest.EACH)
    confirmed_at = models.DateTimeField(null=True, blank=True,
                                        help_text="When an anonymous subscriber confirmed by email (double opt-in).")
    token = models.CharField(max_length=64, unique=True, default=new_token, editable=False,
                             help_text="Secret of the one-click confirm and unsubscribe links.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(user__isnull=False) | ~Q(email=""), name="alert_has_a_subscriber"),
        ]

    def __str__(self):
        return f"{self.get_source_display()} alert"


class Preferences(models.Model):
    """How a resident wants to hear from the municipality. Quiet hours are in the municipality's
    local time; nothing but emergencies is delivered inside them (it waits for their end)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, primary_key=True, on_delete=models.CASCADE,
                                related_name="preferences")
    by_email = models.BooleanField(default=True)
    by_sms = models.BooleanField(default=True)
    by_push = models.BooleanField(default=True)
    my_issues = models.BooleanField(default=True, help_text="Progress of the issues I reported or follow.")
    area_alerts = models.BooleanField(default=True, help_text="New issues in my alert areas.")
    notices = models.BooleanField(default=True, help_text="The municipality's notices for my places and areas.")
    quiet_start = models.TimeField(null=True, blank=True)
    quiet_end = models.TimeField(null=True, blank=True)
    language = models.CharField(max_length=10, blank=True, help_text="The resident's language (a code of LANGUAGES).")

    class Meta:
        verbose_name_plural = "preferences"

    def __str__(self):
        return f"preferences of {self.user}"


class Consent(models.Model):
    """A resident's consent to be contacted on one channel (POPIA): the exact wording they agreed
    to, when, and when they withdrew it. A new agreement is a new row; history is kept."""

    class Channel(models.TextChoices):
        EMAIL = "email", "Email"
        SMS = "sms", "SMS"
        PUSH = "push", "Push notifications"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="consents")
    channel = models.CharField(max_length=5, choices=Channel.choices)
    wording = models.TextField(help_text="The words the resident agreed to, as shown to them.")
    given_at = models.DateTimeField()
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["user", "channel", "-given_at"]
        constraints = [
            models.UniqueConstraint(fields=["user", "channel"], condition=Q(withdrawn_at__isnull=True),
                                    name="one_live_consent_per_channel"),
        ]

    def __str__(self):
        return f"{self.channel} consent of {self.user_id}"
