"""The municipal network (assets) and the public facilities residents look for."""

import datetime

from django.contrib.gis.db import models
from django.contrib.gis.geos import GEOSGeometry
from django.contrib.postgres.indexes import GistIndex
from django.db.models import Case, Exists, F, OuterRef, Q, Value, When
from django.db.models.functions import Cast
from django.utils import timezone

from assets.spatial import GeographyField, distance_metres, knn_order, within_metres
from toolkit.conf import STORAGE_SRID
from toolkit.images import validate_pixel_count


def geography_index(field: str, name: str) -> GistIndex:
    return GistIndex(Cast(field, output_field=GeographyField()), name=name)


class AssetType(models.Model):
    """A kind of infrastructure a municipality keeps a register of: streetlights, water meters,
    fire hydrants, manholes, road segments, water mains, ... Each is a point or a line."""

    class GeometryKind(models.TextChoices):
        POINT = "point", "Point"
        LINE = "line", "Line"

    municipality = models.ForeignKey("wards.Municipality", on_delete=models.CASCADE, related_name="asset_types")
    code = models.SlugField(max_length=40)
    name = models.CharField(max_length=80)
    geometry_kind = models.CharField(max_length=5, choices=GeometryKind.choices)

    class Meta:
        ordering = ["municipality", "name"]
        constraints = [models.UniqueConstraint(fields=["municipality", "code"], name="asset_type_code_per_municipality")]

    def __str__(self):
        return f"{self.name} ({self.municipality.code})"


class AssetQuerySet(models.QuerySet):
    def of_type(self, code: str) -> "AssetQuerySet":
        return self.filter(asset_type__code=code)

    def within(self, point: GEOSGeometry, *, metres: float) -> "AssetQuerySet":
        return self.filter(within_metres("geom", point, metres))

    def nearest(self, point: GEOSGeometry, *, within: float, k: int = 1) -> "AssetQuerySet":
        """The k assets closest to the point within `within` metres, nearest first, each with
        distance_m (metres on the spheroid, to the nearest part of a line)."""
        return (
            self.within(point, metres=within)
            .annotate(distance_m=distance_metres("geom", point))
            .order_by(knn_order("geom", point))[:k]
        )

    def snap_target(self, point: GEOSGeometry, *, asset_type, metres: float) -> "AssetQuerySet":
        """The asset a report at the point is about: the nearest asset of the type within `metres`
        (at most one row, with distance_m). Intake snaps to it; duplicate suggestions look for
        open issues already snapped to it."""
        return self.filter(asset_type=asset_type).nearest(point, within=metres, k=1)

    def in_ward(self, ward) -> "AssetQuerySet":
        """Assets inside the ward (a line crossing its edge counts)."""
        return self.filter(geom__intersects=ward.geom)


class Asset(models.Model):
    class Status(models.TextChoices):
        IN_SERVICE = "in_service", "In service"
        FAULTY = "faulty", "Faulty"
        UNDER_REPAIR = "under_repair", "Under repair"
        DECOMMISSIONED = "decommissioned", "Decommissioned"

    asset_type = models.ForeignKey(AssetType, on_delete=models.PROTECT, related_name="assets")
    municipality = models.ForeignKey("wards.Municipality", on_delete=models.CASCADE, related_name="assets")
    external_id = models.CharField(max_length=64, help_text="The id in the municipality's asset register.")
    geom = models.GeometryField(srid=STORAGE_SRID)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.IN_SERVICE)
    attributes = models.JSONField(default=dict, blank=True)
    is_generated = models.BooleanField(default=False)

    objects = AssetQuerySet.as_manager()

    class Meta:
        ordering = ["municipality", "asset_type", "external_id"]
        constraints = [
            models.UniqueConstraint(fields=["asset_type", "external_id"], name="asset_external_id_per_type"),
            models.CheckConstraint(
                condition=Q(geom__isvalid=True), name="asset_geometry_valid"
            ),
        ]
        indexes = [geography_index("geom", "asset_geom_geography")]

    def __str__(self):
        return f"{self.asset_type.name} {self.external_id}"


class FacilityType(models.Model):
    """Clinics, libraries, municipal offices, pay points, police stations, ... Source files
    spell the same type many ways ('CLINIC', 'Clinic', 'clinic'); `aliases` lists them."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=80)
    aliases = models.JSONField(default=list, blank=True, help_text="Other spellings, compared case-insensitively.")

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class FacilityQuerySet(models.QuerySet):
    def of_type(self, code: str) -> "FacilityQuerySet":
        return self.filter(facility_type__code=code)

    def search(self, text: str) -> "FacilityQuerySet":
        return self.filter(
            Q(name__icontains=text) | Q(address__icontains=text) | Q(services__icontains=text)
            | Q(facility_type__name__icontains=text)
        )

    def within(self, point: GEOSGeometry, *, metres: float) -> "FacilityQuerySet":
        return self.filter(within_metres("location", point, metres))

    def with_distance(self, point: GEOSGeometry) -> "FacilityQuerySet":
        return self.annotate(distance_m=distance_metres("location", point))

    def nearest(self, point: GEOSGeometry, *, k: int = 5) -> "FacilityQuerySet":
        """The k facilities closest to the point, nearest first (KNN on the geography index),
        each with distance_m in metres on the spheroid."""
        return self.with_distance(point).order_by(knn_order("location", point))[:k]

    def with_open_now(self, at: datetime.datetime | None = None) -> "FacilityQuerySet":
        """Annotate open_now: true or false where an open interval of the facility covers the
        moment `at` (now by default) or not, null where its hours are unknown (none given).
        The intervals are materialised from the hours for a window around now
        (assets.services.OPEN_INTERVAL_WINDOW, refreshed daily): `at` must fall in it."""
        at = at or timezone.now()
        covering = OpeningInterval.objects.filter(facility=OuterRef("pk"), opens_at__lte=at, closes_at__gt=at)
        return self.annotate(open_now=Case(When(opening_hours="", then=Value(None)), default=Exists(covering),
                                           output_field=models.BooleanField(null=True)))

    def open_now(self, at: datetime.datetime | None = None) -> "FacilityQuerySet":
        return self.with_open_now(at).filter(open_now=True)

    def hours_unknown(self) -> "FacilityQuerySet":
        return self.filter(opening_hours="")


class Facility(models.Model):
    municipality = models.ForeignKey(
        "wards.Municipality", null=True, blank=True, on_delete=models.SET_NULL, related_name="facilities",
        help_text="Found by spatial lookup at import; empty outside every municipality served.",
    )
    facility_type = models.ForeignKey(FacilityType, on_delete=models.PROTECT, related_name="facilities")
    external_id = models.CharField(max_length=128, help_text="Key in the source register; re-imports update by it.")
    name = models.CharField(max_length=160)
    address = models.CharField(max_length=255, blank=True)
    location = models.PointField(srid=STORAGE_SRID)
    phone = models.CharField(max_length=40, blank=True)
    email = models.EmailField(blank=True)
    services = models.TextField(blank=True, help_text="Services offered, one per line.")
    opening_hours = models.CharField(
        max_length=255, blank=True, help_text="As imported, e.g. 'Mo-Fr 08:00-16:30; Sa 08:00-12:00'."
    )
    source = models.CharField(max_length=255, blank=True, help_text="The dataset the facility came from.")
    is_generated = models.BooleanField(default=False)

    objects = FacilityQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "facilities"
        constraints = [models.UniqueConstraint(fields=["external_id"], name="facility_external_id_unique")]
        indexes = [geography_index("location", "facility_location_geography")]

    def __str__(self):
        return self.name


class OpeningInterval(models.Model):
    """One stretch of time a facility is open, as absolute instants: its `opening_hours` evaluated
    on its municipality's clock, with that country's public holidays and the sun at its point
    (assets.services.facility_opening_hours_replace). Derived: rebuilt, never edited."""

    facility = models.ForeignKey(Facility, on_delete=models.CASCADE, related_name="opening_intervals")
    opens_at = models.DateTimeField()
    closes_at = models.DateTimeField()

    class Meta:
        ordering = ["facility", "opens_at"]
        indexes = [models.Index(fields=["facility", "opens_at", "closes_at"], name="opening_interval_lookup")]
        constraints = [models.CheckConstraint(condition=Q(closes_at__gt=F("opens_at")),
                                              name="opening_interval_closes_after_opening")]

    def __str__(self):
        return f"{self.opens_at:%Y-%m-%d %H:%M} to {self.closes_at:%Y-%m-%d %H:%M} UTC"


class FacilityPhoto(models.Model):
    facility = models.ForeignKey(Facility, on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(upload_to="facilities/photos/", validators=[validate_pixel_count])
    caption = models.CharField(max_length=160, blank=True)

    def __str__(self):
        return self.caption or f"Photo of {self.facility}"

