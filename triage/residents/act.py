"""The page a signed link opens (/act/<token>/): the issue, and what its recipient may do there
without logging in. Opening only shows; each action is a button (mail scanners open links too)."""

from django.conf import settings
from django.db import transaction
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from toolkit.ratelimit import RateLimited, check_request
from triage.issues import services
from triage.issues.models import Follower, Issue
from triage.issues.workflow import RATEABLE_STATUSES, IllegalTransition, Status
from triage.residents.links import DEVICE_COOKIE, bind, new_device_id, read_link

ONE_YEAR = 365 * 24 * 3600


def _act(request, issue: Issue, recipient: str) -> str:
    """Carry out the pressed action; returns what to tell the person. Raises ActionRefused."""
    action = request.POST.get("action", "")
    reporter = recipient == "reporter"
    account = issue.reporter if reporter and issue.reporter_id else None
    if action in ("close", "reopen"):
        if not reporter or issue.status != Status.RESOLVED:
            raise services.ActionRefused(_("Only the reporter can answer this, while the issue is resolved."), "action")
        to = Status.CLOSED if action == "close" else Status.REOPENED
        services.issue_transition(issue=issue, to_status=to, actor=account, label="Reporter",
                                  public_note=request.POST.get("note", "").strip()[:2000])
        return _("Thank you: the issue is closed.") if action == "close" else _("Thank you: the issue is reopened.")
    if action == "rate":
        if not reporter:
            raise services.ActionRefused(_("Only the reporter can rate this issue."), "action")
        services.issue_rate(issue=issue, stars=request.POST.get("stars"), comment=request.POST.get("comment", ""),
                            user=account, tracking_key="" if account else issue.tracking_key)
        return _("Thank you for your rating.")
    if action == "comment":
        check_request(request, "comment", identity=f"link:{issue.pk}:{recipient}")
        services.issue_comment_add(issue=issue, body=request.POST.get("body", ""), author=account)
        return _("Your comment was added.")
    if action == "unsubscribe":
        if reporter:
            services.issue_reporter_updates(issue=issue, stop=True)
        else:
            services.follower_stop(issue=issue, **_follower(recipient))
        return _("You will get no more updates about this issue.")
    if action == "resubscribe":
        if reporter:
            services.issue_reporter_updates(issue=issue, stop=False)
        else:
            services.follower_restart(issue=issue, **_follower(recipient))
        return _("You will get updates about this issue again.")
    raise services.ActionRefused(_("Choose what to do."), "action")


def _follower(recipient: str) -> dict:
    """The follower a link's recipient key names ("user:<id>", "email:<address>", "phone:<number>")."""
    kind, _sep, value = recipient.partition(":")
    if kind == "user" and value.isdigit():
        return {"user_id": int(value)}
    return {kind: value} if kind in ("email", "phone") and value else {}


def gets_updates(issue: Issue, recipient: str) -> bool:
    """Whether the link's recipient hears of this issue's public changes now."""
    if recipient == "reporter":
        return issue.reporter_updates_stopped_at is None
    follower = _follower(recipient)
    return bool(follower) and Follower.objects.filter(issue=issue, confirmed_at__isnull=False, **follower).exists()


@require_http_methods(["GET", "HEAD", "POST"])
def act_on_issue(request, token: str):
    device = request.COOKIES.get(DEVICE_COOKIE) or new_device_id()
    state = read_link(token, device=device)
    issue = get_object_or_404(Issue.objects.select_related("category", "municipality"), pk=state.issue_id)
    done, problem, status = "", state.problem, 200
    if request.method == "POST" and state.can_act:
        if not bind(state, device=device):
            state = read_link(token, device=device)
            problem = state.problem
        else:
            try:
                with transaction.atomic():
                    done = _act(request, issue, state.recipient)
            except (services.ActionRefused, IllegalTransition) as refused:
                problem, status = str(refused), 400
            except RateLimited as refused:
                problem, status = refused.sentence, 429
            issue.refresh_from_db()
    elif request.method == "POST":
        status = 403
    response = render(request, "triage/residents/act.html", {
        "issue": issue, "municipality": issue.municipality, "state": state, "done": done, "problem": problem,
        "rateable": issue.status in RATEABLE_STATUSES and state.is_reporter and not issue.ratings.exists(),
        "resolved": issue.status == Status.RESOLVED and state.is_reporter,
        "gets_updates": state.can_act and gets_updates(issue, state.recipient),
    }, status=status)
    if DEVICE_COOKIE not in request.COOKIES:
        response.set_cookie(DEVICE_COOKIE, device, max_age=ONE_YEAR, httponly=True, samesite="Lax",
                            secure=settings.SESSION_COOKIE_SECURE)
    return response
