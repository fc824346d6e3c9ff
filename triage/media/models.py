"""Files attached to an issue (or to one of its comments)."""

import uuid

from django.conf import settings
from django.contrib.gis.db import models

from toolkit.conf import STORAGE_SRID


def media_upload_to(media, filename: str) -> str:
    return f"issues/{media.issue.created_at:%Y/%m}/{uuid.uuid4().hex}{media.extension}"


def thumbnail_upload_to(media, filename: str) -> str:
    return f"issues/{media.issue.created_at:%Y/%m}/thumbs/{uuid.uuid4().hex}.jpg"


class Media(models.Model):
    class Kind(models.TextChoices):
        IMAGE = "image", "Photo"
        VIDEO = "video", "Video"
        AUDIO = "audio", "Audio"
        PDF = "pdf", "PDF document"

    issue = models.ForeignKey("triage.Issue", on_delete=models.CASCADE, related_name="media")
    comment = models.ForeignKey("triage.Comment", null=True, blank=True, on_delete=models.CASCADE, related_name="media")
    kind = models.CharField(max_length=5, choices=Kind.choices)
    content_type = models.CharField(max_length=80, help_text="Detected from the content, not the name.")
    file = models.FileField(upload_to=media_upload_to, help_text="As published: EXIF stripped from photos.")
    thumbnail = models.ImageField(upload_to=thumbnail_upload_to, blank=True)
    size = models.PositiveIntegerField()
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    gps_location = models.PointField(
        srid=STORAGE_SRID, null=True, blank=True,
        help_text="Where the photo's EXIF said it was taken (offered as the pin; never published).",
    )
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    is_internal = models.BooleanField(default=False)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["issue", "created_at", "id"]
        verbose_name_plural = "media"

    @property
    def extension(self) -> str:
        return {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp", "video/mp4": ".mp4",
                "video/webm": ".webm", "audio/mpeg": ".mp3", "audio/ogg": ".ogg", "audio/mp4": ".m4a",
                "audio/wav": ".wav", "application/pdf": ".pdf"}.get(self.content_type, "")

    def __str__(self):
        return f"{self.issue.reference}: {self.kind}"
