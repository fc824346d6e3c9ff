"""Areas: municipalities, their wards (one set per demarcation) and suburbs.

All geometry is WGS 84 (EPSG:4326) with GiST indexes. Point-in-area questions use ST_Covers,
which counts a point on the edge as inside: a point on the shared edge of two wards is covered by
both, and AREA_TIE_BREAK picks one, the same one every time.
"""

from zoneinfo import available_timezones

import phonenumbers
from django.conf import settings
from django.contrib.gis.db import models
from django.contrib.gis.geos import Point
from django.core.exceptions import ValidationError
from django.db.models import OuterRef, Q, Subquery
from django.db.models.functions import JSONObject

from toolkit.conf import STORAGE_SRID, imbizo_setting
from toolkit.images import validate_pixel_count

# A point exactly on the shared edge of two areas belongs to the one with the lowest number
# (wards) or, failing that, the lowest code: documented in the README, tested on a real vertex.
WARD_TIE_BREAK = ("number", "code")
SUBURB_TIE_BREAK = ("name", "code")


def validate_timezone(value: str) -> None:
    """An IANA time zone name as zoneinfo knows it: 'America/Los_Angeles', never 'America/Los Angeles'."""
    if value not in available_timezones():
        raise ValidationError(f"'{value}' is not a time zone name (e.g. Africa/Johannesburg, America/Los_Angeles).")


def validate_country(value: str) -> None:
    if value not in phonenumbers.SUPPORTED_REGIONS:
        raise ValidationError(f"'{value}' is not an ISO 3166 alpha-2 country code (e.g. ZA, US).")


def validate_language(value: str) -> None:
    if value not in dict(settings.LANGUAGES):
        raise ValidationError(f"'{value}' is not one of the site's languages ({', '.join(dict(settings.LANGUAGES))}).")


class MunicipalityQuerySet(models.QuerySet):
    def default(self) -> "Municipality | None":
        """The municipality a page without one shows (the home page, /track/): IMBIZO_DEFAULT_MUNICIPALITY,
        else the first with real boundaries, else any with a boundary; None before any is set up."""
        with_boundary = self.exclude(boundary=None).defer("boundary")
        code = imbizo_setting("DEFAULT_MUNICIPALITY")
        return ((code and with_boundary.filter(code=code).first())
                or with_boundary.filter(is_generated=False).order_by("code").first()
                or with_boundary.order_by("code").first())

    def covering(self, point: Point) -> "MunicipalityQuerySet":
        """Municipalities whose boundary covers the point, by the tie-break rule (code)."""
        return self.filter(boundary__covers=point).order_by("code")

    def with_areas_at(self, point: Point) -> "MunicipalityQuerySet":
        """Annotate each municipality with its current ward and its suburb at the point (JSON
        objects, or None), so one query answers "where is this?"."""
        ward = (
            Ward.objects.current().filter(municipality=OuterRef("pk")).covering(point)
            .values(json=JSONObject(id="id", number="number", code="code", year="boundary_set__year"))[:1]
        )
        suburb = (
            Suburb.objects.filter(municipality=OuterRef("pk")).covering(point)
            .values(json=JSONObject(id="id", name="name", code="code"))[:1]
        )
        return self.annotate(ward_at=Subquery(ward), suburb_at=Subquery(suburb))


class Municipality(models.Model):
    class BoundarySource(models.TextChoices):
        FILE = "file", "Imported boundary file"
        WARDS = "wards", "Union of the current wards"

    code = models.CharField(max_length=16, unique=True, help_text="Demarcation Board code, e.g. GT423.")
    name = models.CharField(max_length=120)
    boundary = models.MultiPolygonField(srid=STORAGE_SRID, null=True, blank=True)
    boundary_source = models.CharField(
        max_length=8, choices=BoundarySource.choices, default=BoundarySource.WARDS
    )
    timezone = models.CharField(max_length=64, default="Africa/Johannesburg", validators=[validate_timezone])
    country = models.CharField(max_length=2, default="ZA", validators=[validate_country],
                               help_text="ISO 3166 alpha-2 code: how residents write phone numbers, and defaults.")
    is_generated = models.BooleanField(
        default=False, help_text="Demo geometry made by load_demo, not real boundaries."
    )
    # Branding shown on the public pages.
    display_name = models.CharField(max_length=120, blank=True, help_text="e.g. 'Lesedi Local Municipality'.")
    colour = models.CharField(max_length=7, default="#1f5f8b", help_text="Brand colour as #rrggbb.")
    logo = models.ImageField(upload_to="municipalities/logos/", blank=True, validators=[validate_pixel_count])
    emergency_number = models.CharField(max_length=20, blank=True, default="112")
    customer_care_number = models.CharField(max_length=20, blank=True)
    customer_care_email = models.EmailField(blank=True)
    default_language = models.CharField(
        max_length=10, default="en", validators=[validate_language],
        help_text="A code of LANGUAGES (en, af, zu, st): messages to residents whose language is unknown, and "
                  "the language category names fall back to.")

    objects = MunicipalityQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "municipalities"
        permissions = [("import_areas", "Can import area boundaries from files")]
        constraints = [
            models.CheckConstraint(condition=Q(colour__regex=r"^#[0-9a-fA-F]{6}$"), name="municipality_colour_is_hex")
        ]

    def __str__(self):
        return f"{self.name} ({self.code})"

    @property
    def title(self) -> str:
        return self.display_name or self.name

    @property
    def map_extent(self) -> str:
        """'west,south,east,north' for a page's map to fit, or '' without a boundary."""
        return ",".join(str(value) for value in self.boundary.extent) if self.boundary else ""


class BoundarySet(models.Model):
    """One demarcation of a municipality's wards (South Africa redraws them for each local
    election: 2011, 2016, 2021). Importing a newer year makes it current; older sets stay, so an
    issue keeps the ward it was filed in and old figures can still be drawn (mapit's Generation)."""

    municipality = models.ForeignKey(Municipality, on_delete=models.CASCADE, related_name="boundary_sets")
    year = models.PositiveSmallIntegerField()
    is_current = models.BooleanField(default=False)
    is_generated = models.BooleanField(default=False)
    source = models.CharField(max_length=255, blank=True, help_text="The file the wards came from.")
    imported_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["municipality", "-year"]
        constraints = [
            models.UniqueConstraint(fields=["municipality", "year"], name="one_boundary_set_per_year"),
            models.UniqueConstraint(
                fields=["municipality"], condition=Q(is_current=True), name="one_current_boundary_set"
            ),
        ]

    def __str__(self):
        return f"{self.municipality.code} wards {self.year}{' (current)' if self.is_current else ''}"


class WardQuerySet(models.QuerySet):
    def current(self) -> "WardQuerySet":
        return self.filter(boundary_set__is_current=True)

    def of_year(self, year: int) -> "WardQuerySet":
        return self.filter(boundary_set__year=year)

    def covering(self, point: Point) -> "WardQuerySet":
        """Wards whose polygon covers the point, first the one the tie-break rule picks."""
        return self.filter(geom__covers=point).order_by(*WARD_TIE_BREAK)


class Ward(models.Model):
    boundary_set = models.ForeignKey(BoundarySet, on_delete=models.CASCADE, related_name="wards")
    # Denormalised from boundary_set so the common "wards of GT423" filter needs no join.
    municipality = models.ForeignKey(Municipality, on_delete=models.CASCADE, related_name="wards")
    number = models.PositiveSmallIntegerField()
    code = models.CharField(max_length=16, help_text="Demarcation Board ward id, e.g. 74203001.")
    geom = models.MultiPolygonField(srid=STORAGE_SRID)

    objects = WardQuerySet.as_manager()

    class Meta:
        ordering = ["municipality", "boundary_set", "number"]
        constraints = [
            models.UniqueConstraint(fields=["boundary_set", "code"], name="ward_code_unique_per_set"),
            models.UniqueConstraint(fields=["boundary_set", "number"], name="ward_number_unique_per_set"),
        ]

    def __str__(self):
        return f"Ward {self.number} ({self.code})"


class SuburbQuerySet(models.QuerySet):
    def covering(self, point: Point) -> "SuburbQuerySet":
        return self.filter(geom__covers=point).order_by(*SUBURB_TIE_BREAK)


class Suburb(models.Model):
    municipality = models.ForeignKey(Municipality, on_delete=models.CASCADE, related_name="suburbs")
    name = models.CharField(max_length=120)
    code = models.SlugField(max_length=64, help_text="Stable key for re-imports; the name slugified by default.")
    geom = models.MultiPolygonField(srid=STORAGE_SRID)
    is_generated = models.BooleanField(default=False)

    objects = SuburbQuerySet.as_manager()

    class Meta:
        ordering = ["municipality", "name"]
        constraints = [
            models.UniqueConstraint(fields=["municipality", "code"], name="suburb_code_unique_per_municipality")
        ]

    def __str__(self):
        return self.name
