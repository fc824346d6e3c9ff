"""Categories a municipality begins with and then edits in the admin: a starter set, or those
named by an earlier system's history (`import_issues --create-categories`).

The set is fixtures/demo/categories.json: per category its code, name, group, kind, department
code, the asset type code to snap to (null: none), SLA hours, default priority, whether it is
private, and its questions (code, prompt, datatype, required, choices).
"""

from django.db import transaction
from django.utils.text import slugify

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


def categories_create_named(*, municipality, names: list[str]) -> list[Category]:
    """A new category for each name (a fault, no department, no SLA: to be completed in the admin),
    its code slugified from the name and made unique within the municipality. Returns them in
    the order of `names`."""
    taken = set(Category.objects.filter(municipality=municipality).values_list("code", flat=True))
    last = Category.objects.filter(municipality=municipality).order_by("-order").values_list("order", flat=True).first()
    created = []
    for offset, name in enumerate(names, start=1):
        base = (slugify(name) or "category")[:34]
        code, n = base, 2
        while code in taken:
            code, n = f"{base}-{n}", n + 1
        taken.add(code)
        created.append(Category.objects.create(municipality=municipality, code=code, name=name.strip()[:120],
                                               order=min((last or 0) + offset, 32767)))
    return created
