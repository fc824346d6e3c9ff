"""Where issues go: the municipality's routing rules."""

from django.contrib.gis.db import models
from django.contrib.gis.geos import Point
from django.db.models import Exists, OuterRef, Q

from toolkit.conf import STORAGE_SRID


class RoutingRuleQuerySet(models.QuerySet):
    def matching(self, *, category, point: Point, ward_id: int | None = None, snapped: bool = False) -> "RoutingRuleQuerySet":
        """The active rules of the category's municipality that hold for an issue of `category` at
        `point`, in the ward `ward_id`, snapped to an asset of the category's type or not, in the
        order they are tried. An empty condition always holds; a drawn area covers its edge."""
        ward_rows = RoutingRule.wards.through.objects.filter(routingrule_id=OuterRef("pk"))
        return (
            self.filter(municipality_id=category.municipality_id, is_active=True)
            .filter(Q(category__isnull=True) | Q(category_id=category.pk))
            .filter(Q(asset_type__isnull=True) | Q(asset_type_id=category.asset_type_id if snapped else None))
            .filter(~Exists(ward_rows) | Exists(ward_rows.filter(ward_id=ward_id)))
            .filter(Q(area__isnull=True) | Q(area__covers=point))
            .order_by("order", "id")
        )

    def first_matching(self, *, category, point: Point, ward_id: int | None = None,
                       snapped: bool = False) -> "RoutingRule | None":
        """The rule that decides the department (with it), or None: the category's default applies."""
        return (self.matching(category=category, point=point, ward_id=ward_id, snapped=snapped)
                .select_related("department").first())


class RoutingRule(models.Model):
    """Which department an issue goes to, decided at intake.

    A municipality's rules are tried in `order` (then id); the first rule whose every condition
    holds names the department, and when none does the category's default department gets it. A
    condition left empty always holds: a rule with only a category sends all of that category's
    issues; add wards and/or an area to split it by place (both given: the issue must be in both),
    or an asset type to catch only issues snapped to such an asset. Wards are matched against the
    ward intake found (the current demarcation); the area with ST_Covers, in SQL
    (RoutingRuleQuerySet.matching). Editing a rule changes where new issues go, never where old ones went.
    """

    municipality = models.ForeignKey("wards.Municipality", on_delete=models.CASCADE, related_name="routing_rules")
    name = models.CharField(max_length=120, help_text="What the rule is for, e.g. 'Potholes on provincial roads'.")
    order = models.PositiveIntegerField(default=100, help_text="Lower numbers are tried first.")
    category = models.ForeignKey(
        "triage.Category", null=True, blank=True, on_delete=models.CASCADE, related_name="routing_rules",
        help_text="Empty: issues of every category.",
    )
    wards = models.ManyToManyField(
        "wards.Ward", blank=True, related_name="routing_rules", help_text="Empty: anywhere (unless an area is drawn).",
    )
    area = models.MultiPolygonField(srid=STORAGE_SRID, null=True, blank=True,
                                    help_text="Empty: anywhere (unless wards are chosen).")
    asset_type = models.ForeignKey(
        "assets.AssetType", null=True, blank=True, on_delete=models.CASCADE, related_name="routing_rules",
        help_text="Only issues snapped to an asset of this type. Empty: snapped or not.",
    )
    department = models.ForeignKey("accounts.Department", on_delete=models.CASCADE, related_name="routing_rules")
    is_active = models.BooleanField(default=True)

    objects = RoutingRuleQuerySet.as_manager()

    class Meta:
        ordering = ["municipality", "order", "id"]
        indexes = [models.Index(fields=["municipality", "order"], name="routing_rule_muni_order")]

    def __str__(self):
        return f"{self.order}. {self.name}"
