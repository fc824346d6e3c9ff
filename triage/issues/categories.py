"""A starter set of categories a municipality can begin with and then edit in the admin.

Each row: code, name, group, kind, department code, asset type code to snap to, SLA hours,
default priority, private?, questions [(code, prompt, datatype, required, choices)].
"""

from django.db import transaction

from accounts.models import Department
from assets.models import AssetType
from triage.issues.models import Category, Kind, Question

YES_NO = "yesno"
STANDARD_CATEGORIES = [
    ("pothole", "Pothole", "Roads", Kind.FAULT, "roads", "road-segment", 120, "normal", False, [
        ("size", "How big is it?", "singlevaluelist", True,
         [("small", "Smaller than a dinner plate"), ("medium", "Up to a car wheel"), ("large", "Larger than a car wheel")]),
        ("blocking", "Is it blocking traffic?", YES_NO, False, []),
    ]),
    ("streetlight-out", "Streetlight not working", "Electricity", Kind.FAULT, "electricity", "streetlight", 72, "normal",
     False, [("pole-number", "Number on the pole, if you can see it", "string", False, [])]),
    ("traffic-signal", "Traffic signal fault", "Roads", Kind.FAULT, "roads", "traffic-signal", 8, "urgent", False, []),
    ("water-leak", "Water leak or burst pipe", "Water", Kind.FAULT, "water", "water-main", 24, "high", False, [
        ("flow", "How strong is the flow?", "singlevaluelist", True,
         [("drip", "Dripping"), ("stream", "Running stream"), ("gushing", "Gushing")]),
    ]),
    ("no-water", "No water supply", "Water", Kind.FAULT, "water", "water-meter", 24, "high", False, [
        ("households", "How many households are affected?", "number", False, []),
        ("since", "Since when?", "datetime", False, []),
    ]),
    ("blocked-drain", "Blocked drain or sewer overflow", "Water", Kind.FAULT, "water", "manhole", 48, "high", False, []),
    ("missed-refuse", "Missed refuse collection", "Waste", Kind.SERVICE_REQUEST, "waste", "", 72, "normal", False, []),
    ("illegal-dumping", "Illegal dumping", "Waste", Kind.FAULT, "waste", "", 168, "normal", False, [
        ("waste-types", "What was dumped?", "multivaluelist", False,
         [("household", "Household refuse"), ("building", "Building rubble"), ("garden", "Garden waste"),
          ("tyres", "Tyres"), ("hazardous", "Chemicals or medical waste")]),
    ]),
    ("overgrown-park", "Overgrown park or verge", "Parks", Kind.SERVICE_REQUEST, "parks", "", 336, "low", False, []),
    ("rates-query", "Question about rates or accounts", "Customer care", Kind.INFORMATION_REQUEST, "customer-care", "",
     120, "normal", False, [("account", "Municipal account number", "string", False, [])]),
    ("compliment", "Compliment", "Customer care", Kind.COMPLIMENT, "customer-care", "", None, "low", False, []),
    ("unsafe-premises", "Unsafe or unhygienic premises", "Health", Kind.FAULT, "health", "", 168, "normal", True, [
        ("description-of-risk", "What is the risk?", "text", True, []),
    ]),
]


@transaction.atomic
def categories_ensure_standard(municipality) -> int:
    """Create the standard categories the municipality lacks; never changes existing ones.
    Returns how many were created."""
    departments = {d.code: d for d in Department.objects.filter(municipality=municipality)}
    asset_types = {t.code: t for t in AssetType.objects.filter(municipality=municipality)}
    created = 0
    for order, (code, name, group, kind, department, asset_type, sla, priority, private, questions) in enumerate(
        STANDARD_CATEGORIES
    ):
        category, is_new = Category.objects.get_or_create(municipality=municipality, code=code, defaults={
            "name": name, "group": group, "kind": kind, "default_department": departments.get(department),
            "asset_type": asset_types.get(asset_type), "snap_radius_m": 30 if asset_type == "streetlight" else 50,
            "sla_hours": sla, "default_priority": priority, "is_private": private, "order": order,
        })
        if not is_new:
            continue
        created += 1
        Question.objects.bulk_create([
            Question(category=category, code=q_code, prompt=prompt, datatype=datatype, required=required,
                     choices=[{"key": key, "name": label} for key, label in choices], order=index)
            for index, (q_code, prompt, datatype, required, choices) in enumerate(questions)
        ])
    return created
