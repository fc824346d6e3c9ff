"""Which department an issue goes to: the municipality's routing rules, first match wins, else the
category's default department (see RoutingRule).

One statement tries every rule of the municipality in order, in SQL: the ward and asset
conditions compare ids intake already found, the drawn area is tested with ST_Covers on the point
(a point on the area's edge is inside, as with wards). It returns the department's row itself, so
announcing the issue to the department needs no further query.
"""

from dataclasses import dataclass

from django.contrib.gis.geos import Point
from django.db import connection

from accounts.models import Department

# The municipality has few rules (tens): scanning them by (municipality, order) is cheaper than any
# spatial index would be, and ST_Covers runs only on rules whose cheaper conditions held.
# A template: intake fills it with its own statement's columns (triage.intake), route() with parameters.
FIRST_MATCHING_RULE = """
SELECT r.id AS rule_id, r.department_id
  FROM triage_routingrule r
 WHERE r.municipality_id = {municipality} AND r.is_active
   AND (r.category_id IS NULL OR r.category_id = {category})
   AND (r.asset_type_id IS NULL OR r.asset_type_id = {asset_type})
   AND (NOT EXISTS (SELECT 1 FROM triage_routingrule_wards rw WHERE rw.routingrule_id = r.id)
        OR EXISTS (SELECT 1 FROM triage_routingrule_wards rw WHERE rw.routingrule_id = r.id AND rw.ward_id = {ward}))
   AND (r.area IS NULL OR ST_Covers(r.area, {point}))
 ORDER BY r."order", r.id
 LIMIT 1
"""

FIRST_MATCHING_RULE_SQL = f"""
SELECT d.id, d.municipality_id, d.name, d.code, d.email, d.phone, rule.rule_id
  FROM ({FIRST_MATCHING_RULE.format(
      municipality="%(municipality)s", category="%(category)s", asset_type="%(asset_type)s", ward="%(ward)s",
      point="ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)")}) rule
  JOIN accounts_department d ON d.id = rule.department_id
"""


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
    with connection.cursor() as cursor:
        cursor.execute(FIRST_MATCHING_RULE_SQL, {
            "municipality": category.municipality_id, "category": category.pk,
            "asset_type": category.asset_type_id if asset_id else None, "ward": ward_id,
            "lon": point.x, "lat": point.y,
        })
        row = cursor.fetchone()
    if row is None:
        return Route(department=category.default_department, rule_id=None)
    department_id, municipality_id, name, code, email, phone, rule_id = row
    department = Department(pk=department_id, municipality_id=municipality_id, name=name, code=code, email=email,
                            phone=phone)
    return Route(department=department, rule_id=rule_id)


def route_issue(issue) -> Route:
    """The rules applied again to an issue as it was filed (its point, ward and snapped asset)."""
    return route(category=issue.category, point=issue.location, ward_id=issue.ward_id, asset_id=issue.asset_id)
