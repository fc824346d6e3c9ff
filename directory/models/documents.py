"""The documents and media library: by-laws, tariffs, budgets and the IDP, forms, minutes, vacancies,
tenders and the media gallery (photos, audio, video of municipal events).

A `Document` is what residents look for ("Water tariffs"); each upload is a `DocumentVersion` of it.
A new version supersedes the last (next year's tariff replaces this year's) and the old versions stay
reachable. The current version's extracted text is copied onto the document so one full-text index
answers searches over titles, descriptions, tags and what the PDFs say.
"""

import uuid

from django.contrib.gis.db import models
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.contrib.postgres.search import SearchRank, SearchVector, SearchVectorField, TrigramWordSimilarity
from django.db.models import F, Q, Value
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from directory.models.contacts import SEARCH_CONFIG, prefix_query

SEARCH_CANDIDATES = 1000


class DocumentQuerySet(models.QuerySet):
    def published(self, at=None) -> "DocumentQuerySet":
        """Public now: published, past its publication time, not expired, with a file."""
        at = at or timezone.now()
        return self.filter(is_published=True, published_at__lte=at, current_version__isnull=False).filter(
            Q(expires_at__isnull=True) | Q(expires_at__gt=at))

    def search(self, text: str) -> "DocumentQuerySet":
        """Documents whose title, description or text hold the words (prefixes), or whose title is a near
        spelling of `text`, best first (`rank`)."""
        query = prefix_query(text)
        if query is None:
            return self
        # A word found in most documents ("water") would have every match ranked; the newest
        # SEARCH_CANDIDATES matches are ranked instead (measured: 25,000 matches ranked took 0.7 s).
        candidates = (self.filter(Q(search=query) | Q(title__trigram_word_similar=text))
                      .order_by("-published_at").values("pk")[:SEARCH_CANDIDATES])
        return (
            self.filter(pk__in=candidates)
            .annotate(rank=SearchRank(F("search"), query) + TrigramWordSimilarity(Value(text), "title"))
            .order_by("-rank", "-published_at", "pk")
        )


class Document(models.Model):
    class Category(models.TextChoices):
        BY_LAWS = "by_laws", _("By-laws")
        TARIFFS = "tariffs", _("Tariffs")
        BUDGET_IDP = "budget_idp", _("Budget and IDP")
        FORMS = "forms", _("Forms")
        MINUTES = "minutes", _("Minutes")
        VACANCIES = "vacancies", _("Vacancies")
        TENDERS = "tenders", _("Tenders")
        MEDIA_GALLERY = "media_gallery", _("Media gallery")

    municipality = models.ForeignKey("wards.Municipality", on_delete=models.CASCADE, related_name="documents",
                                     verbose_name=_("municipality"))
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    tags = ArrayField(models.CharField(max_length=40), default=list, blank=True, verbose_name=_("tags"),
                      help_text=_("Comma-separated, e.g. water, 2026/27."))
    is_published = models.BooleanField(_("published"), default=True)
    published_at = models.DateTimeField(_("publish from"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True,
                                      help_text=_("Taken off the public pages at this time (a closed tender, a filled vacancy)."))
    current_version = models.OneToOneField("DocumentVersion", null=True, blank=True, on_delete=models.SET_NULL,
                                           related_name="+", editable=False)
    # The current version's extracted text (PDFs), kept here for the one search index.
    text = models.TextField(blank=True, editable=False)
    is_generated = models.BooleanField(default=False, help_text=_("Demo data made by load_demo."))
    updated_at = models.DateTimeField(auto_now=True)
    search = models.GeneratedField(
        expression=SearchVector("title", weight="A", config=SEARCH_CONFIG)
        + SearchVector("description", weight="B", config=SEARCH_CONFIG)
        + SearchVector("text", weight="C", config=SEARCH_CONFIG),
        output_field=SearchVectorField(), db_persist=True,
    )

    objects = DocumentQuerySet.as_manager()

    class Meta:
        ordering = ["municipality", "-published_at", "title"]
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        indexes = [
            GinIndex(fields=["search"], name="document_search"),
            GinIndex(OpClass("title", name="gin_trgm_ops"), name="document_title_trigram"),
            GinIndex(fields=["tags"], name="document_tags"),
            models.Index(fields=["municipality", "category", "-published_at"], name="document_municipality_category"),
        ]

    def __str__(self):
        return self.title


def version_upload_to(version: "DocumentVersion", filename: str) -> str:
    # Never the uploader's file name in the path: it may carry personal details or odd characters.
    return f"directory/documents/{version.document_id}/{uuid.uuid4().hex}{version.extension}"


class DocumentVersion(models.Model):
    class Kind(models.TextChoices):
        PDF = "pdf", _("PDF")
        OFFICE = "office", _("Office document")
        IMAGE = "image", _("Image")
        AUDIO = "audio", _("Audio")
        VIDEO = "video", _("Video")

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    file = models.FileField(upload_to=version_upload_to, max_length=200)
    thumbnail = models.ImageField(upload_to="directory/documents/thumbnails/", blank=True)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    content_type = models.CharField(max_length=100)
    extension = models.CharField(max_length=8)
    size = models.PositiveBigIntegerField(_("size in bytes"))
    original_name = models.CharField(_("file name"), max_length=200, blank=True)
    note = models.CharField(_("what changed"), max_length=255, blank=True)
    text = models.TextField(blank=True, editable=False, help_text=_("Text extracted from a PDF, for search."))
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    download_count = models.PositiveIntegerField(_("downloads"), default=0)
    uploaded_at = models.DateTimeField(auto_now_add=True)
    uploaded_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["document", "-number"]
        verbose_name = _("document version")
        constraints = [models.UniqueConstraint(fields=["document", "number"], name="document_version_number_unique")]

    def __str__(self):
        return f"{self.document} v{self.number}"
