"""Which department an issue goes to: the municipality's routing rules, first match wins, else the
category's default department (see RoutingRule and RoutingRuleQuerySet.matching)."""

from dataclasses import dataclass

from django.contrib.gis.geos import Point

from accounts.models import Department
from triage.dispatch.models import RoutingRule


@dataclass(frozen=True)
class Route:
    department: Department | None
    rule_id: int | None  # None: no rule matched, the category's default department

    @property
    def detail(self) -> dict:
        """How the department was chosen, for the issue's history."""
        return {"routing_rule": self.rule_id} if self.rule_id else {"routing_rule": None, "by": "category default"}


def route(*, category, point: Point, ward_id: int | None, asset_id: int | None) -> Route:
    """The department for an issue of `category` at `point`, in `ward_id`, snapped to `asset_id`
    (an asset of the category's asset type) or not."""
    rule = RoutingRule.objects.first_matching(category=category, point=point, ward_id=ward_id, snapped=asset_id is not None)
    if rule is None:
        return Route(department=category.default_department, rule_id=None)
    return Route(department=rule.department, rule_id=rule.pk)


def route_issue(issue) -> Route:
    """The rules applied again to an issue as it was filed (its point, ward and snapped asset)."""
    return route(category=issue.category, point=issue.location, ward_id=issue.ward_id, asset_id=issue.asset_id)
