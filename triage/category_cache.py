"""Category definitions for intake, read once per process and kept for a minute.

Every report needs its category with the questions, municipality (without its boundary),
department and asset type: two queries and ~2 ms of ORM work a report (benchmarks/intake.py). A
category changes a few times a year, so each process keeps what it read for CATEGORY_TTL seconds;
a save or delete in this process forgets at once. What must never be stale is checked again by
intake's own statement on the live row: whether the category still takes reports, its kind, SLA,
default priority and department.
"""

import time

from django.db.models import Prefetch
from django.db.models.signals import post_delete, post_save

CATEGORY_TTL = 60.0
_kept: dict[int, tuple[float, object]] = {}


def category_for_intake(pk: int):
    """The category with what intake reads of it, or None when there is no such category."""
    from triage.models import Category, Question

    kept = _kept.get(pk)
    if kept is not None and kept[0] > time.monotonic():
        return kept[1]
    # get(), not first(): no ORDER BY over the joined municipality (measured 4 ms a report).
    try:
        category = (Category.objects.with_municipality().select_related("default_department", "asset_type")
                    .prefetch_related(Prefetch("questions", queryset=Question.objects.order_by("order", "code"),
                                               to_attr="ordered_questions"))
                    .get(pk=pk))
    except Category.DoesNotExist:
        return None
    _kept[pk] = (time.monotonic() + CATEGORY_TTL, category)
    return category


def forget_categories(**_) -> None:
    _kept.clear()


def connect_signals() -> None:
    """Forget every kept category when anything intake reads of one is saved or deleted here."""
    from accounts.models import Department
    from assets.models import AssetType
    from triage.models import Category, Question
    from wards.models import Municipality

    for model in (Category, Question, Municipality, Department, AssetType):
        post_save.connect(forget_categories, sender=model, dispatch_uid=f"forget-categories-save-{model.__name__}")
        post_delete.connect(forget_categories, sender=model, dispatch_uid=f"forget-categories-delete-{model.__name__}")
