"""Useful contacts: departments, services, offices, after-hours and emergency numbers, ward
councillors and ward committee members.

A councillor or committee member belongs to one ward of one demarcation (wards.Ward is a ward of a
BoundarySet): after a new demarcation the lookup finds the current wards, so the councillors of the
old wards stop answering for a place without anyone editing them. Other contacts serve wards,
suburbs or a drawn service area, or the whole municipality when they name none.
"""

import re

from django.contrib.gis.db import models
from django.contrib.gis.geos import Point
from django.contrib.postgres.indexes import GinIndex, GistIndex, OpClass
from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector, SearchVectorField, TrigramWordSimilarity
from django.db.models import F, Q, Value
from django.utils.translation import gettext_lazy as _

from toolkit.conf import STORAGE_SRID
from toolkit.images import validate_pixel_count

# Names are searched as written, in every language: the `simple` configuration lower-cases and splits
# words but never stems ("Nkosi", "van der Merwe", "Ntombifuthi" stay whole).
SEARCH_CONFIG = "simple"
_WORD = re.compile(r"\w+", re.UNICODE)


def prefix_query(text: str) -> SearchQuery | None:
    """Every word of `text` as a prefix ("nko mok" finds "Nkosi Mokoena"), or None without a word."""
    words = _WORD.findall(text.lower())[:8]
    if not words:
        return None
    return SearchQuery(" & ".join(f"{word}:*" for word in words), config=SEARCH_CONFIG, search_type="raw")


class ContactQuerySet(models.QuerySet):
    def published(self) -> "ContactQuerySet":
        return self.filter(is_published=True)

    def search(self, text: str) -> "ContactQuerySet":
        """Contacts matching `text` by words (full-text, prefixes) or by a near spelling of the name
        (pg_trgm word similarity, so a misspelt name still finds its person), best first (`rank`)."""
        query = prefix_query(text)
        if query is None:
            return self
        return (
            self.filter(Q(search=query) | Q(name__trigram_word_similar=text))
            .annotate(rank=SearchRank(F("search"), query) + TrigramWordSimilarity(Value(text), "name"))
            .order_by("-rank", "name", "pk")
        )

    def of_ward(self, ward_id: int) -> "ContactQuerySet":
        """The ward's councillor and committee members."""
        return self.filter(ward_id=ward_id, kind__in=Contact.WARD_KINDS)

    def serving(self, point: Point) -> "ContactQuerySet":
        """Contacts whose service covers the point: a current ward they serve covers it, a suburb they
        serve covers it, or their drawn service area does."""
        return self.filter(pk__in=_serving_ids(point))

    def who_serves(self, point: Point, *, ward_id: int | None) -> "ContactQuerySet":
        """The councillor and committee of the ward (the one the lookup chose at the point) and the
        contacts serving the point: one query."""
        ids = _serving_ids(point)
        if ward_id is not None:
            ids = Contact.objects.filter(ward_id=ward_id, kind__in=Contact.WARD_KINDS).order_by().values("pk").union(ids)
        return self.filter(pk__in=ids)


def _serving_ids(point: Point):
    """The ids of the contacts serving a point. Each branch is answered by its own index (the wards' and
    suburbs' GiST, the service areas' GiST) and the id lists are unioned: an OR across them scans every contact."""
    through_wards = Contact.wards_served.through.objects.filter(
        ward__geom__covers=point, ward__boundary_set__is_current=True).values("contact_id")
    through_suburbs = Contact.suburbs_served.through.objects.filter(suburb__geom__covers=point).values("contact_id")
    by_area = Contact.objects.filter(service_area__covers=point).order_by().values("pk")
    return through_wards.union(through_suburbs, by_area)


class Contact(models.Model):
    class Kind(models.TextChoices):
        DEPARTMENT = "department", _("Department")
        SERVICE = "service", _("Service")
        OFFICE = "office", _("Office")
        AFTER_HOURS = "after_hours", _("After-hours number")
        EMERGENCY = "emergency", _("Emergency number")
        COUNCILLOR = "councillor", _("Ward councillor")
        COMMITTEE_MEMBER = "committee_member", _("Ward committee member")

    WARD_KINDS = (Kind.COUNCILLOR, Kind.COMMITTEE_MEMBER)

    municipality = models.ForeignKey("wards.Municipality", on_delete=models.CASCADE, related_name="contacts",
                                     verbose_name=_("municipality"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=160)
    role = models.CharField(_("role"), max_length=160, blank=True,
                            help_text=_("e.g. 'Rates queries', 'Ward 4 councillor', 'Secretary'."))
    description = models.TextField(_("description"), blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True, help_text=_("Stored in E.164, e.g. +27164923000."))
    phone_other = models.CharField(_("other phone"), max_length=20, blank=True)
    whatsapp = models.CharField(_("WhatsApp"), max_length=20, blank=True)
    email = models.EmailField(_("email"), blank=True)
    website = models.URLField(_("website"), blank=True)
    address = models.CharField(_("address"), max_length=255, blank=True)
    location = models.PointField(_("location"), srid=STORAGE_SRID, null=True, blank=True)
    opening_hours = models.CharField(_("opening hours"), max_length=255, blank=True,
                                     help_text=_("OpenStreetMap syntax, e.g. 'Mo-Fr 07:30-16:00; Sa 08:00-12:00'."))
    ward = models.ForeignKey("wards.Ward", null=True, blank=True, on_delete=models.PROTECT, related_name="ward_contacts",
                             verbose_name=_("ward"), help_text=_("The ward a councillor or committee member belongs to."))
    wards_served = models.ManyToManyField("wards.Ward", blank=True, related_name="served_by_contacts",
                                          verbose_name=_("wards served"))
    suburbs_served = models.ManyToManyField("wards.Suburb", blank=True, related_name="served_by_contacts",
                                            verbose_name=_("suburbs served"))
    service_area = models.MultiPolygonField(_("service area"), srid=STORAGE_SRID, null=True, blank=True)
    photo = models.ImageField(_("photo"), upload_to="directory/contacts/", blank=True, validators=[validate_pixel_count])
    photo_thumbnail = models.ImageField(upload_to="directory/contacts/thumbnails/", blank=True, editable=False)
    is_published = models.BooleanField(_("published"), default=True)
    is_generated = models.BooleanField(default=False, help_text=_("Demo data made by load_demo, not a real person."))
    updated_at = models.DateTimeField(auto_now=True)
    search = models.GeneratedField(
        expression=SearchVector("name", weight="A", config=SEARCH_CONFIG)
        + SearchVector("role", weight="B", config=SEARCH_CONFIG)
        + SearchVector("description", "address", weight="C", config=SEARCH_CONFIG),
        output_field=SearchVectorField(), db_persist=True,
    )

    objects = ContactQuerySet.as_manager()

    class Meta:
        ordering = ["municipality", "kind", "name"]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind__in=["councillor", "committee_member"]) | Q(ward__isnull=False),
                name="ward_contact_has_a_ward"),
            models.UniqueConstraint(fields=["ward"], condition=Q(kind="councillor", is_published=True),
                                    name="one_published_councillor_per_ward"),
        ]
        indexes = [
            GinIndex(fields=["search"], name="contact_search"),
            GinIndex(OpClass("name", name="gin_trgm_ops"), name="contact_name_trigram"),
            GistIndex(fields=["service_area"], name="contact_service_area"),
            models.Index(fields=["municipality", "kind"], name="contact_municipality_kind"),
        ]

    def __str__(self):
        return f"{self.name} ({self.get_kind_display()})"
