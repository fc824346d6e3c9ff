"""Deleting a municipality, or a batch of its issues, at any size: in batches, each its own short
transaction, in constant memory, with the planners' figures kept right as each batch goes.

The admin's delete (and a plain `QuerySet.delete()`) gathers every related row into the web process
before deleting anything: 47,000 issues held one worker at 9.5 GB. Here each batch of BATCH issues is
deleted by id (Django's collector sees only that batch: comments, events, media, follows and ratings
go with it, by id, mostly without being loaded), and its facts are taken out of the summaries in the
same transaction (heatmaps.refresh.facts_refresh), so the figures never count an issue that is gone.
A purge stopped half-way (a worker killed) leaves a consistent, smaller municipality: run it again.

It runs as a task on the "maintenance" queue (gisplatform.tasks.purge) from the admin's action or
`manage.py purge`; progress goes to the cache under `progress_key(kind, ident)` and to the log.
"""

import logging
from collections.abc import Callable

from django.core.cache import cache
from django.db import transaction

from assets.models import Asset
from heatmaps.models import (
    DailyAreaSummary,
    DailySummary,
    IssueFact,
    MonthlyAreaSummary,
    MonthlyHexSummary,
    MonthlySummary,
    UnlocatedIssue,
)
from heatmaps.refresh import facts_refresh
from notices.models import OutboundMessage
from triage.issues.models import Channel, Issue
from wards.models import Municipality

logger = logging.getLogger(__name__)

BATCH = 1000
# The admin refuses its own (all-in-memory) delete of a municipality with more issues than this.
ADMIN_DELETE_LIMIT = 1000


def progress_key(kind: str, ident: str) -> str:
    return f"imbizo:purge:{kind}:{ident}"


def _batches(queryset, delete_batch: Callable[[list[int]], None], *, batch: int, report: Callable[[int], None]) -> int:
    """Delete the rows of `queryset` by id, `batch` at a time, each batch in its own transaction."""
    done = 0
    while True:
        with transaction.atomic():
            ids = list(queryset.order_by("pk").values_list("pk", flat=True)[:batch])
            if not ids:
                return done
            delete_batch(ids)
        done += len(ids)
        report(done)


def _delete_issues(ids: list[int]) -> None:
    Issue.objects.filter(pk__in=ids).delete()
    facts_refresh(issue_ids=ids)  # their facts gone, the summaries moved by the difference


def _delete_unlocated(ids: list[int]) -> None:
    UnlocatedIssue.objects.filter(pk__in=ids).delete()
    facts_refresh(unlocated_ids=ids)


def issues_purge(municipality: Municipality, *, imported_only: bool = False, batch: int = BATCH,
                 progress: Callable[[str, int, int], None] = lambda what, done, total: None) -> dict[str, int]:
    """Delete the municipality's issues (with `imported_only`, those imported from an earlier system:
    channel "import", and the imported rows without a location). Returns counts."""
    issues = Issue.objects.filter(municipality=municipality)
    if imported_only:
        issues = issues.filter(channel=Channel.IMPORT)
    unlocated = UnlocatedIssue.objects.filter(municipality=municipality)
    totals = {"issues": issues.count(), "unlocated issues": unlocated.count()}
    return {
        "issues": _batches(issues, _delete_issues, batch=batch,
                           report=lambda done: progress("issues", done, totals["issues"])),
        "unlocated issues": _batches(unlocated, _delete_unlocated, batch=batch,
                                     report=lambda done: progress("unlocated issues", done, totals["unlocated issues"])),
    }


def municipality_purge(municipality: Municipality, *, batch: int = BATCH,
                       progress: Callable[[str, int, int], None] = lambda what, done, total: None) -> dict[str, int]:
    """Delete a municipality and everything in it: the issues, assets and outbound messages in
    batches, then the rest (areas, categories, departments, rules, notices: small) with the
    municipality itself."""
    counts = issues_purge(municipality, batch=batch, progress=progress)
    assets = Asset.objects.filter(municipality=municipality)
    total = assets.count()
    counts["assets"] = _batches(assets, lambda ids: Asset.objects.filter(pk__in=ids).delete(), batch=batch,
                                report=lambda done: progress("assets", done, total))
    # Its messages (a notice's fan-out is one per resident): by id too, their attachments with them.
    messages = OutboundMessage.objects.filter(municipality=municipality)
    total_messages = messages.count()
    counts["messages"] = _batches(messages, lambda ids: OutboundMessage.objects.filter(pk__in=ids).delete(), batch=batch,
                                  report=lambda done: progress("messages", done, total_messages))
    with transaction.atomic():
        # The derived rows are empty by now (every fact was taken out); anything a crash left behind goes too.
        for model in (IssueFact, DailySummary, MonthlySummary, DailyAreaSummary, MonthlyAreaSummary, MonthlyHexSummary):
            model.objects.filter(municipality=municipality)._raw_delete(model.objects.db)
        municipality.delete()
    counts["municipalities"] = 1
    return counts


def purge_with_progress(kind: str, code: str, *, imported_only: bool = False, batch: int = BATCH) -> dict[str, int]:
    """Run a purge by municipality code, keeping its progress in the cache (the admin shows it)."""
    key = progress_key(kind, code)

    def progress(what: str, done: int, total: int) -> None:
        cache.set(key, {"state": "running", "what": what, "done": done, "total": total}, 24 * 3600)
        logger.warning("purge %s %s: %s %d of %d", kind, code, what, done, total)

    municipality = Municipality.objects.defer("boundary").filter(code=code).first()
    if municipality is None:
        cache.set(key, {"state": "done", "counts": {}}, 24 * 3600)
        return {}
    cache.set(key, {"state": "running", "what": "starting", "done": 0, "total": 0}, 24 * 3600)
    if kind == "municipality":
        counts = municipality_purge(municipality, batch=batch, progress=progress)
    else:
        counts = issues_purge(municipality, imported_only=imported_only, batch=batch, progress=progress)
    cache.set(key, {"state": "done", "counts": counts}, 24 * 3600)
    return counts
