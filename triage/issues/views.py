"""The resident pages for issues: report one on the map, track one, and the public issues map.

The report and map pages are shells that talk to /api/v1/ from the browser. The track page is
rendered here from the same presenters the API uses, as the public sees an issue (staff extras
never appear on it, whoever is logged in); the browser adds what needs the reporter's tracking
key, which only it holds.
"""

import json

from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext, ngettext
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_http_methods

from toolkit.conf import imbizo_setting
from toolkit.uploads import human_size, kind_names
from triage.issues import services
from triage.issues.models import Issue
from triage.issues.presenters import comment_for, history_for, public_issue
from triage.issues.workflow import OPEN_STATUSES, RATEABLE_STATUSES, Status
from triage.media.files import media_limits
from wards.models import Municipality

# The progress line a resident reads; rejected and duplicate end it early, reopened goes back.
PROGRESS_STEPS = [Status.SUBMITTED, Status.ACKNOWLEDGED, Status.ASSIGNED, Status.IN_PROGRESS, Status.RESOLVED,
                  Status.CLOSED]


@ensure_csrf_cookie
def report_page(request, code: str):
    municipality = get_object_or_404(Municipality, code=code)
    return render(request, "triage/report.html", {
        "municipality": municipality,
        "tile_url": imbizo_setting("TILE_URL"),
        "has_categories": municipality.categories.filter(is_active=True).exists(),
        "media_limits_json": json.dumps(media_limits()),
        "media_note": gettext("Up to %(limits)s.") % {"limits": ", ".join(
            gettext("%(size)s a %(kind)s") % {"size": human_size(size), "kind": kind_names()[kind]}
            for kind, size in media_limits().items() if kind in kind_names())},
    })


def issues_map(request, code: str):
    municipality = get_object_or_404(Municipality, code=code)
    return render(request, "triage/issues_map.html", {
        "municipality": municipality,
        "tile_url": imbizo_setting("TILE_URL"),
        "categories": municipality.categories.filter(is_active=True, is_private=False).order_by("group", "order", "name"),
    })


def track_lookup(request):
    """The 'track my issue' form: a reference number in, the issue's page out."""
    reference = request.GET.get("reference", "").strip().upper()
    if reference:
        if Issue.objects.filter(reference=reference).exists():
            return redirect("track-issue", reference=reference)
        return not_found(request, reference)
    return render(request, "triage/track_lookup.html", {"asked": "reference" in request.GET,
                                                         "municipality": Municipality.objects.default()})


def not_found(request, reference: str):
    return render(request, "triage/track_not_found.html",
                  {"reference": reference[:60], "municipality": Municipality.objects.default()}, status=404)


@ensure_csrf_cookie
def track_issue(request, reference: str):
    issue = Issue.objects.for_display().filter(reference=reference.strip().upper()).first()
    if issue is None:
        return not_found(request, reference)
    now = timezone.now()
    shown = public_issue(issue, now=now)
    # user=None: the page shows what the public sees, even to staff (they have the board).
    history = history_for(None, issue, issue.events.order_by("at", "id"))
    comments = [comment_for(None, comment) for comment in issue.comments.filter(is_internal=False).order_by("created_at", "id")]
    for row in [*history, *comments]:
        row["when"] = parse_datetime(row.get("at") or row.get("created_at"))
    for row in history:
        row["summary"] = _history_summary(row)
    return render(request, "triage/track.html", {
        "issue": issue,
        "shown": shown,
        "municipality": issue.municipality,
        "tile_url": imbizo_setting("TILE_URL"),
        "progress": _progress(issue),
        "history": history,
        "comments": comments,
        # public_issue lists the files anyone may see (none of a private issue), with their URLs.
        "photos": shown.get("media", []),
        "only_images": all(item["kind"] == "image" for item in shown.get("media", [])),
        "open_for": duration_words(shown["open_for_seconds"]),
        "is_open": issue.status in OPEN_STATUSES,
        "rateable": issue.status in RATEABLE_STATUSES,
        "overdue": bool(issue.expected_at and issue.status in OPEN_STATUSES and issue.expected_at < now),
        "private": issue.category.is_private,
        # Rejected or merged: the reason stands in the "ended" box; no target date applies.
        "ended_early": issue.status in (Status.REJECTED, Status.DUPLICATE),
    })


def _progress(issue) -> list[dict]:
    """Each step of the line: done, skipped (the issue went past it without stopping, e.g. from
    acknowledged straight to in progress), current, or to come."""
    status = issue.status
    if status == Status.REOPENED:
        reached = PROGRESS_STEPS.index(Status.ACKNOWLEDGED)
    elif status in PROGRESS_STEPS:
        reached = PROGRESS_STEPS.index(status)
    else:  # rejected or duplicate: the line stops where it was, shown as ended
        reached = 0
    passed = {Status.SUBMITTED: True, Status.ACKNOWLEDGED: issue.acknowledged_at is not None,
              Status.ASSIGNED: issue.assigned_at is not None, Status.IN_PROGRESS: issue.started_at is not None,
              Status.RESOLVED: issue.resolved_at is not None}

    def state(index: int, step: str) -> str:
        if index == reached:
            return "current"
        if index > reached:
            return "todo"
        return "done" if passed.get(step, True) else "skipped"

    return [{"status": step.value, "label": step.label, "state": state(index, step)}
            for index, step in enumerate(PROGRESS_STEPS)]


def _history_summary(row: dict) -> str:
    if row["action"] == "created":
        return gettext("Reported")
    if row["to_status"]:
        return str(Status(row["to_status"]).label)
    return {"assigned": gettext("Assigned"), "routed": gettext("Passed to another department"),
            "priority": gettext("Priority changed"), "update": gettext("Updated")}.get(row["action"], row["action"].capitalize())


def duration_words(seconds: int | None) -> str:
    """'3 days 4 hours', '2 hours 5 minutes', 'under a minute': the two largest units, adjacent."""
    if seconds is None:
        return ""
    parts: list[str] = []
    units = [(lambda n: ngettext("%(count)d day", "%(count)d days", n), 86400),
             (lambda n: ngettext("%(count)d hour", "%(count)d hours", n), 3600),
             (lambda n: ngettext("%(count)d minute", "%(count)d minutes", n), 60)]
    for words, size in units:
        amount, seconds = divmod(seconds, size)
        if amount:
            parts.append(words(amount) % {"count": amount})
        elif parts:  # '3 days', not '3 days 5 minutes'
            break
        if len(parts) == 2:
            break
    return " ".join(parts) or gettext("under a minute")


@require_http_methods(["GET", "HEAD", "POST"])
def follow_confirm(request, reference: str, token: str):
    """The link in a follow-by-email confirmation. Opening it only asks (mail scanners open links
    too); pressing the button confirms."""
    issue = get_object_or_404(Issue.objects.for_display(), reference=reference.strip().upper())
    context = {"issue": issue, "confirmed": False, "problem": "", "municipality": issue.municipality}
    if request.method == "POST":
        try:
            follower = services.follower_confirm(token=token)
        except services.ActionRefused as refused:
            context["problem"] = str(refused)
        else:
            context.update(issue=follower.issue, confirmed=True)
    return render(request, "triage/follow_confirm.html", context, status=400 if context["problem"] else 200)
