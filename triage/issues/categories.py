"""A starter set of categories a municipality can begin with and then edit in the admin.

The set is fixtures/demo/categories.json: per category its code, name, group, kind, department
code, the asset type code to snap to (null: none), SLA hours, default priority, whether it is
private, and its questions (code, prompt, datatype, required, choices).
"""

from django.db import transaction

from accounts.models import Department
from assets.models import AssetType
from toolkit.fixtures import demo_fixture
from triage.issues.models import Category, Question

STANDARD_CATEGORIES = demo_fixture("categories")


@transaction.atomic
def categories_ensure_standard(municipality) -> int:
    """Create the standard categories the municipality lacks; never changes existing ones.
    Returns how many were created."""
    departments = {d.code: d for d in Department.objects.filter(municipality=municipality)}
    asset_types = {t.code: t for t in AssetType.objects.filter(municipality=municipality)}
    created = 0
    for order, standard in enumerate(STANDARD_CATEGORIES):
        asset_type = standard["asset_type"]
        category, is_new = Category.objects.get_or_create(municipality=municipality, code=standard["code"], defaults={
            "name": standard["name"], "group": standard["group"], "kind": standard["kind"],
            "default_department": departments.get(standard["department"]), "asset_type": asset_types.get(asset_type),
            "snap_radius_m": 30 if asset_type == "streetlight" else 50, "sla_hours": standard["sla_hours"],
            "default_priority": standard["default_priority"], "is_private": standard["private"], "order": order,
        })
        if not is_new:
            continue
        created += 1
        Question.objects.bulk_create([
            Question(category=category, code=question["code"], prompt=question["prompt"], datatype=question["datatype"],
                     required=question["required"], choices=question["choices"], order=index)
            for index, question in enumerate(standard["questions"])
        ])
    return created
