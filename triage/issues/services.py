"""What people do to an issue after it is filed. Each function locks the issue row, checks the
rule, records a history line and tells the reporter and followers where the change is public.

Permission checks (who may do this) live in triage.issues.permissions; these functions assume the caller
has already asked there.
"""

import datetime
from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy

from toolkit.clock import elapsed
from toolkit.conf import imbizo_setting
from triage.issues.models import Comment, Follower, Issue, IssueEvent, Priority, Rating, Upvote
from triage.issues.notifications import (
    ask_follower_to_confirm,
    issue_url,
    status_headline,
    tell_department_of_routed_issue,
    tell_of_public_update,
)
from triage.issues.permissions import can_triage, is_reporter, works_on
from triage.issues.workflow import OPEN_STATUSES, RATEABLE_STATUSES, IllegalTransition, Status, check_transition


class ActionRefused(Exception):
    """The action breaks a rule (not a workflow transition): the message says which.
    `field` names the input at fault, for an API's field-level 400."""

    def __init__(self, message: str, field: str = "non_field_errors"):
        super().__init__(message)
        self.field = field


def actor_label(user, issue) -> str:
    """How an actor is shown publicly: by their role (a dispatcher, the issue's department), never a
    person's name."""
    if user is None or not user.is_authenticated:
        return "Resident"
    if user.pk == issue.reporter_id:
        return "Reporter"
    if can_triage(user, issue):
        return "Dispatcher"
    if works_on(user, issue):
        return issue.department.name
    if user.is_staff or user.municipality_id:
        return issue.municipality.title
    return "Resident"


def _locked(issue: Issue) -> Issue:
    # Lock the issue row only (of=self): its department may be empty, and a row that is not
    # there cannot be locked.
    return (Issue.objects.select_for_update(of=("self",)).select_related("category", "municipality", "department")
            .defer("municipality__boundary").get(pk=issue.pk))


@transaction.atomic
def issue_transition(*, issue: Issue, to_status: str, actor=None, public_note: str = "", internal_note: str = "",
                     duplicate_of: Issue | None = None, at: datetime.datetime | None = None,
                     external_update_id: str = "", label: str = "") -> IssueEvent:
    """Move the issue to `to_status`, or raise IllegalTransition / ActionRefused."""
    issue = _locked(issue)
    at = at or timezone.now()
    from_status = issue.status
    check_transition(from_status, to_status)
    if to_status == Status.REJECTED and not public_note.strip():
        raise ActionRefused("Say why the issue is rejected: the reporter reads the reason.", "public_note")
    if to_status == Status.DUPLICATE:
        _check_duplicate_target(issue, duplicate_of)
    if external_update_id and issue.events.filter(external_update_id=external_update_id).exists():
        raise ActionRefused(f"The update '{external_update_id}' was already applied to {issue.reference}.", "update_id")

    _stamp(issue, to_status, at)
    if to_status == Status.REJECTED:
        issue.rejection_reason = public_note.strip()
    if to_status == Status.DUPLICATE:
        issue.duplicate_of = duplicate_of
        _carry_followers(child=issue, parent=duplicate_of, at=at)
    if to_status == Status.REOPENED:
        if issue.duplicate_of_id:
            _drop_carried_followers(child=issue)
        issue.rejection_reason, issue.duplicate_of = "", None
    issue.status = to_status
    if public_note:
        issue.status_note = public_note
    issue.updated_at = at
    issue.save()
    event = IssueEvent.objects.create(
        issue=issue, action=IssueEvent.Action.UPDATE if external_update_id else IssueEvent.Action.STATUS,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        actor_label=label or actor_label(actor, issue), at=at, from_status=from_status, to_status=to_status,
        public_note=public_note, internal_note=internal_note, external_update_id=external_update_id,
        detail={"duplicate_of": duplicate_of.reference} if duplicate_of else {},
    )
    tell_of_public_update(issue, headline=status_headline(to_status), note=public_note,
                          was_closed=from_status == Status.CLOSED and to_status != Status.REOPENED)
    return event


@transaction.atomic
def issue_note_add(*, issue: Issue, public_note: str, internal_note: str = "", actor=None, label: str = "",
                   at: datetime.datetime | None = None, external_update_id: str = "") -> IssueEvent:
    """News without a status change (a back office re-sending 'in progress' with a new note):
    recorded in the history, and the reporter and followers told of the public note."""
    issue = _locked(issue)
    if not public_note.strip():
        raise ActionRefused("An update without a status change needs a note.", "public_note")
    if external_update_id and issue.events.filter(external_update_id=external_update_id).exists():
        raise ActionRefused(f"The update '{external_update_id}' was already applied to {issue.reference}.", "update_id")
    at = at or timezone.now()
    issue.status_note, issue.updated_at = public_note, at
    issue.save(update_fields=["status_note", "updated_at"])
    event = IssueEvent.objects.create(
        issue=issue, action=IssueEvent.Action.UPDATE, actor=actor if getattr(actor, "is_authenticated", False) else None,
        actor_label=label or actor_label(actor, issue), at=at, from_status=issue.status, to_status=issue.status,
        public_note=public_note, internal_note=internal_note, external_update_id=external_update_id,
    )
    tell_of_public_update(issue, headline=gettext_lazy("an update"), note=public_note, was_closed=issue.status == Status.CLOSED)
    return event


def _stamp(issue: Issue, to: str, at) -> None:
    """Transition timestamps. The first response of any kind (even a rejection) acknowledges;
    after a reopening, the next resolution is timed from the original report, as residents see it."""
    if to != Status.REOPENED and issue.acknowledged_at is None:
        issue.acknowledged_at = at
        issue.time_to_acknowledge = elapsed(issue.created_at, at)
    if to == Status.ASSIGNED:
        issue.assigned_at = at
    if to == Status.IN_PROGRESS and issue.started_at is None:
        issue.started_at = at
    if to == Status.RESOLVED:
        issue.resolved_at = at
        issue.time_to_resolve = elapsed(issue.created_at, at)
    if to in (Status.CLOSED, Status.REJECTED, Status.DUPLICATE):
        issue.closed_at = at
    if to == Status.REOPENED:
        issue.resolved_at = issue.time_to_resolve = issue.closed_at = None


def _check_duplicate_target(issue: Issue, parent: Issue | None) -> None:
    if parent is None:
        raise ActionRefused("Name the issue this one duplicates.", "duplicate_of")
    if parent.pk == issue.pk:
        raise ActionRefused("An issue cannot duplicate itself.", "duplicate_of")
    parent = Issue.objects.select_related("duplicate_of").get(pk=parent.pk)  # as it is now, not as the caller saw it
    if parent.municipality_id != issue.municipality_id:
        raise ActionRefused(f"{parent.reference} belongs to another municipality.", "duplicate_of")
    if parent.status == Status.DUPLICATE:
        raise ActionRefused(
            f"{parent.reference} is itself a duplicate of {parent.duplicate_of}; merge into that one.", "duplicate_of"
        )


def _carry_followers(*, child: Issue, parent: Issue, at) -> None:
    """Whoever hears of the duplicate hears of the issue it duplicates from now on: its reporter
    (account, or the bare email and phone an anonymous reporter left) and its followers become
    followers of the parent, marked as carried over from `child` so that separating the two again
    takes off exactly those. Someone already following the parent stays as they were, except that
    a reporter's own address, waiting for confirmation there, counts as confirmed: the reporter
    gave it with their report. The child's followers keep their own confirmation (or lack of it)."""
    rows = []
    if child.reporter_id and child.reporter_id != parent.reporter_id:
        rows.append(Follower(issue_id=parent.pk, user_id=child.reporter_id, created_at=at, confirmed_at=at,
                             merged_from=child))
    if child.reporter_email:
        rows.append(Follower(issue_id=parent.pk, email=child.reporter_email.lower(), created_at=at, confirmed_at=at,
                             merged_from=child))
    elif child.reporter_phone:
        rows.append(Follower(issue_id=parent.pk, phone=child.reporter_phone, created_at=at, confirmed_at=at,
                             merged_from=child))
    for follower in child.followers.all():
        if follower.user_id and follower.user_id == parent.reporter_id:
            continue
        rows.append(Follower(issue_id=parent.pk, user_id=follower.user_id, email=follower.email, phone=follower.phone,
                             created_at=at, confirmed_at=follower.confirmed_at, merged_from=child))
    # ON CONFLICT DO NOTHING on the follow-once constraints: an existing follower is left untouched.
    Follower.objects.bulk_create(rows, ignore_conflicts=True)
    if child.reporter_email:
        Follower.objects.filter(issue_id=parent.pk, email=child.reporter_email.lower(),
                                confirmed_at__isnull=True).update(confirmed_at=at)


def _drop_carried_followers(*, child: Issue) -> None:
    Follower.objects.filter(issue_id=child.duplicate_of_id, merged_from=child).delete()


@transaction.atomic
def issue_merge(*, parent: Issue, children: Iterable[Issue], actor, public_note: str = "",
                internal_note: str = "") -> Issue:
    """Merge `children` into `parent` as its duplicates, all or none.

    Each child becomes 'duplicate' of the parent (its history says so, its reporter and followers
    are told, with `public_note` or a note naming the parent); they all become followers of the
    parent, so its later updates reach them; issues already merged into a child move to the parent.
    Comments and media stay on the issue they were given to. Locks the parent and the children
    in id order (two dispatchers merging overlapping groups wait for each other, never deadlock).
    Raises ActionRefused naming the field ('parent' or 'issues') when the merge is not possible.
    """
    child_ids = sorted({child.pk for child in children} - {parent.pk})
    if not child_ids:
        raise ActionRefused("Choose at least one issue to merge into the parent, other than the parent.", "issues")
    locked = {issue.pk: issue for issue in Issue.objects.select_for_update(of=("self",))
              .select_related("municipality", "category").defer("municipality__boundary")
              .filter(pk__in=[parent.pk, *child_ids]).order_by("pk")}
    parent = locked[parent.pk]
    if parent.status not in OPEN_STATUSES:
        raise ActionRefused(f"{parent.reference} is {parent.get_status_display().lower()}; merge into an open issue "
                            "(or reopen it first).", "parent")
    problems = []
    for child_id in child_ids:
        child = locked[child_id]
        if child.municipality_id != parent.municipality_id:
            problems.append(f"{child.reference} belongs to another municipality.")
            continue
        try:
            check_transition(child.status, Status.DUPLICATE)
        except IllegalTransition:
            problems.append(f"{child.reference} is {child.get_status_display().lower()} and cannot be merged.")
    if problems:
        raise ActionRefused(" ".join(problems), "issues")
    now = timezone.now()
    note = public_note.strip() or (
        f"This report is about the same problem as {parent.reference}, which is being dealt with. "
        f"You will get its updates from now on: {issue_url(parent)}")
    moved = []
    for child_id in child_ids:
        child = locked[child_id]
        # Issues merged into the child earlier move up, so no chain of duplicates forms.
        for grandchild in Issue.objects.select_for_update(of=("self",)).filter(duplicate_of=child).order_by("pk"):
            Follower.objects.filter(issue=child, merged_from=grandchild).delete()
            grandchild.duplicate_of = parent
            grandchild.save(update_fields=["duplicate_of"])
            _carry_followers(child=grandchild, parent=parent, at=now)
            moved.append(grandchild.reference)
        issue_transition(issue=child, to_status=Status.DUPLICATE, actor=actor, duplicate_of=parent,
                         public_note=note, internal_note=internal_note, at=now)
    IssueEvent.objects.create(
        issue=parent, action=IssueEvent.Action.MERGED, actor=actor if getattr(actor, "is_authenticated", False) else None,
        actor_label=actor_label(actor, parent), at=now, from_status=parent.status, to_status=parent.status,
        internal_note=internal_note,
        detail={"children": [locked[pk].reference for pk in child_ids], "moved_from_children": moved},
    )
    Issue.objects.filter(pk=parent.pk).update(updated_at=now)
    return Issue.objects.get(pk=parent.pk)


@transaction.atomic
def issue_unmerge(*, issue: Issue, actor, public_note: str = "", internal_note: str = "") -> Issue:
    """Separate a merged duplicate from its parent again: it is reopened (its reporter is told)
    and the followers the merge gave the parent are taken off it. Recorded on both issues."""
    issue = _locked(issue)
    if issue.status != Status.DUPLICATE or issue.duplicate_of_id is None:
        raise ActionRefused(f"{issue.reference} is not merged into another issue.", "issues")
    parent = Issue.objects.select_for_update(of=("self",)).get(pk=issue.duplicate_of_id)
    now = timezone.now()
    note = public_note.strip() or (
        f"Your report is dealt with on its own again: it is not the same problem as {parent.reference} after all.")
    issue_transition(issue=issue, to_status=Status.REOPENED, actor=actor, public_note=note, at=now,
                     internal_note=internal_note or f"Separated from {parent.reference}.")
    IssueEvent.objects.create(
        issue=parent, action=IssueEvent.Action.UNMERGED, actor=actor if getattr(actor, "is_authenticated", False) else None,
        actor_label=actor_label(actor, parent), at=now, from_status=parent.status, to_status=parent.status,
        internal_note=internal_note, detail={"child": issue.reference},
    )
    Issue.objects.filter(pk=parent.pk).update(updated_at=now)
    return Issue.objects.get(pk=issue.pk)


@transaction.atomic
def issue_reroute(*, issue: Issue, actor, department=None, internal_note: str = "") -> Issue:
    """Pass an open issue to another department by hand, without changing its status; with no
    department, the routing rules are applied again (after a rule changed). Recorded in the
    history; the department it now belongs to is told."""
    from triage.dispatch.routing import route_issue

    issue = _locked(issue)
    if issue.status not in OPEN_STATUSES:
        raise ActionRefused(f"{issue.reference} is {issue.get_status_display().lower()}; only open issues are re-routed.",
                            "status")
    rule_id = None
    if department is None:
        routed = route_issue(issue)
        department, rule_id = routed.department, routed.rule_id
        if department is None:
            raise ActionRefused(f"No routing rule matches {issue.reference} and its category has no default department.",
                                "department")
    if department.municipality_id != issue.municipality_id:
        raise ActionRefused(f"{department} does not belong to {issue.municipality.title}.", "department")
    if department.pk == issue.department_id:
        return issue
    previous = issue.department.name if issue.department_id else ""
    now = timezone.now()
    issue.department, issue.updated_at = department, now
    issue.save(update_fields=["department", "updated_at"])
    IssueEvent.objects.create(
        issue=issue, action=IssueEvent.Action.ROUTED, actor=actor if getattr(actor, "is_authenticated", False) else None,
        actor_label=actor_label(actor, issue), at=now, internal_note=internal_note,
        detail={"from": previous or None, "to": department.name, "routing_rule": rule_id, "by_hand": rule_id is None},
    )
    tell_department_of_routed_issue(issue, previous=previous)
    return issue


@transaction.atomic
def issue_assign(*, issue: Issue, actor, department=None, assignee=None, public_note: str = "",
                 internal_note: str = "") -> Issue:
    """Give the issue to a department and/or a staff member; a submitted issue is acknowledged
    on the way, and an open issue becomes 'assigned'."""
    issue = _locked(issue)
    if department is None and assignee is None:
        raise ActionRefused("Choose a department or a staff member to assign to.", "department")
    if department is not None and department.municipality_id != issue.municipality_id:
        raise ActionRefused(f"{department} does not belong to {issue.municipality.title}.", "department")
    if assignee is not None and assignee.municipality_id not in (None, issue.municipality_id):
        raise ActionRefused(f"{assignee} works for another municipality.", "assignee")
    if issue.status not in OPEN_STATUSES:
        raise ActionRefused(f"{issue.reference} is {issue.get_status_display().lower()}; reopen it before assigning.", "status")
    before = {"department": issue.department.name if issue.department_id else None, "assignee": issue.assignee_id}
    department_changed = department is not None and department.pk != issue.department_id
    if department is not None:
        issue.department = department
    if assignee is not None:
        issue.assignee = assignee
    issue.updated_at = timezone.now()  # the board's refresh picks changes up by updated_at
    issue.save(update_fields=["department", "assignee", "updated_at"])
    if department_changed:
        tell_department_of_routed_issue(issue, previous=before["department"] or "")
    if issue.status == Status.SUBMITTED:
        issue_transition(issue=issue, to_status=Status.ACKNOWLEDGED, actor=actor)
        issue.refresh_from_db()
    IssueEvent.objects.create(
        issue=issue, action=IssueEvent.Action.ASSIGNED, actor=actor, actor_label=actor_label(actor, issue),
        at=timezone.now(), internal_note=internal_note,
        detail={"before": before, "department": issue.department.name if issue.department_id else None,
                "assignee": issue.assignee_id},
    )
    if issue.status in (Status.ACKNOWLEDGED, Status.REOPENED, Status.IN_PROGRESS):
        issue_transition(issue=issue, to_status=Status.ASSIGNED, actor=actor, public_note=public_note)
    return Issue.objects.get(pk=issue.pk)


@transaction.atomic
def issue_set_priority(*, issue: Issue, priority: str, actor) -> Issue:
    if priority not in Priority.values:
        raise ActionRefused(f"'{priority}' is not a priority; use one of: {', '.join(Priority.values)}.", "priority")
    issue = _locked(issue)
    if issue.priority != priority:
        IssueEvent.objects.create(
            issue=issue, action=IssueEvent.Action.PRIORITY, actor=actor, actor_label=actor_label(actor, issue),
            at=timezone.now(), detail={"from": issue.priority, "to": priority},
        )
        issue.priority = priority
        issue.updated_at = timezone.now()
        issue.save(update_fields=["priority", "updated_at"])
    return issue


@transaction.atomic
def issue_comment_add(*, issue: Issue, body: str, author=None, internal: bool = False) -> Comment:
    """A public comment (the reporter and followers are told) or an internal staff note."""
    body = (body or "").strip()
    if not body:
        raise ActionRefused("A comment needs some text.", "body")
    if len(body) > 5000:
        raise ActionRefused(f"A comment has at most 5000 characters, not {len(body)}.", "body")
    issue = _locked(issue)
    now = timezone.now()
    comment = Comment.objects.create(
        issue=issue, author=author if getattr(author, "is_authenticated", False) else None,
        author_label=actor_label(author, issue), body=body, is_internal=internal, created_at=now,
    )
    if internal:
        IssueEvent.objects.create(issue=issue, action=IssueEvent.Action.NOTE, actor=author,
                                  actor_label=actor_label(author, issue), at=now, internal_note=body)
    else:
        Issue.objects.filter(pk=issue.pk).update(updated_at=now)
        headline = format_lazy(gettext_lazy("new comment from {who}"), who=comment.author_label.lower())
        tell_of_public_update(issue, headline=headline, note=body, was_closed=issue.status == Status.CLOSED)
    return comment


def rater_key(issue: Issue, *, user=None, tracking_key: str = "") -> str:
    """Who is rating: the reporter's account, or the anonymous reporter holding the tracking key.
    Followers of a merged issue who reported a child may rate the parent with their account."""
    if user is not None and user.is_authenticated and (
        user.pk == issue.reporter_id or issue.followers.filter(user=user).exists()
    ):
        return f"user:{user.pk}"
    if is_reporter(None, issue, tracking_key):
        return f"reporter:{issue.pk}"
    raise ActionRefused("Only the person who reported the issue may rate it.", "tracking_key")


@transaction.atomic
def issue_rate(*, issue: Issue, stars, comment: str = "", user=None, tracking_key: str = "") -> Rating:
    try:
        stars = int(stars)
    except (TypeError, ValueError):
        raise ActionRefused(f"'{stars}' is not a whole number of stars from 1 to 5.", "stars") from None
    if not 1 <= stars <= 5:
        raise ActionRefused(f"Rate from 1 to 5 stars, not {stars}.", "stars")
    issue = _locked(issue)
    if issue.status not in RATEABLE_STATUSES:
        raise ActionRefused(
            f"{issue.reference} is {issue.get_status_display().lower()}; it can be rated once resolved.", "status"
        )
    key = rater_key(issue, user=user, tracking_key=tracking_key)
    try:
        with transaction.atomic():
            rating = Rating.objects.create(issue=issue, rater_key=key, user=user if key.startswith("user:") else None,
                                           stars=stars, comment=comment.strip()[:2000], created_at=timezone.now())
    except IntegrityError:
        raise ActionRefused(f"You have already rated {issue.reference}.", "stars") from None
    # A rating changes the issue's figures: updated_at is what incremental summaries watch.
    Issue.objects.filter(pk=issue.pk).update(updated_at=rating.created_at)
    return rating


FOLLOW_CONFIRMATION_SALT = "triage.follow-confirmation"


@transaction.atomic
def issue_follow(*, issue: Issue, user=None, email: str = "", phone: str = "") -> tuple[Follower, bool]:
    """Follow `issue`: as the logged-in `user`, by `email`, or by `phone` (an SMS sender's own number).

    An account or phone follows at once. An email address only asks: the follower is recorded
    unconfirmed and the address gets one message with a signed, time-limited link
    (`follower_confirm`), and no updates until it is followed. Asking again sends another only
    once the last link has expired, so nobody can flood an address through this form."""
    if issue.category.is_private:
        raise ActionRefused("Issues in this category are private and cannot be followed.", "issue")
    now = timezone.now()
    if user is not None and user.is_authenticated:
        return Follower.objects.get_or_create(issue=issue, user=user, defaults={"created_at": now, "confirmed_at": now})
    if email:
        follower, created = Follower.objects.get_or_create(issue=issue, email=email.lower(), defaults={"created_at": now})
        expired = now - follower.created_at > datetime.timedelta(days=imbizo_setting("FOLLOW_CONFIRMATION_DAYS"))
        if follower.confirmed_at is None and (created or expired):
            if not created:
                follower.created_at = now  # a new link, valid from now
                follower.save(update_fields=["created_at"])
            ask_follower_to_confirm(follower, token=signing.dumps({"follower": follower.pk, "email": follower.email},
                                                                  salt=FOLLOW_CONFIRMATION_SALT))
        return follower, created
    if phone:
        return Follower.objects.get_or_create(issue=issue, phone=phone, defaults={"created_at": now, "confirmed_at": now})
    raise ActionRefused("Log in, or give an email address or phone number for the updates.", "email")


@transaction.atomic
def follower_confirm(*, token: str) -> Follower:
    """Confirm the email follower a confirmation link names. Raises ActionRefused ('token') when the
    link is altered, has expired, or names a follower that no longer exists."""
    try:
        claim = signing.loads(token, salt=FOLLOW_CONFIRMATION_SALT,
                              max_age=datetime.timedelta(days=imbizo_setting("FOLLOW_CONFIRMATION_DAYS")))
    except signing.SignatureExpired:
        raise ActionRefused("This confirmation link has expired: follow the issue again for a new one.", "token") from None
    except signing.BadSignature:
        raise ActionRefused("This confirmation link is not valid: copy the whole link from the email.", "token") from None
    follower = (Follower.objects.select_for_update(of=("self",)).select_related("issue")
                .filter(pk=claim.get("follower"), email=claim.get("email", "")).exclude(email="").first())
    if follower is None:
        raise ActionRefused("This confirmation link is for a follow that no longer exists.", "token")
    if follower.confirmed_at is None:
        follower.confirmed_at = timezone.now()
        follower.save(update_fields=["confirmed_at"])
    return follower


def issue_unfollow(*, issue: Issue, user) -> int:
    return Follower.objects.filter(issue=issue, user=user).delete()[0]


def issue_reporter_updates(*, issue: Issue, stop: bool) -> None:
    """Stop the reporter's updates about `issue` (their signed link's "stop"), or start them again.
    Only what the reporter hears changes: the issue, its history and its place on the board do not."""
    if stop:
        Issue.objects.filter(pk=issue.pk, reporter_updates_stopped_at__isnull=True).update(
            reporter_updates_stopped_at=timezone.now())
    else:
        Issue.objects.filter(pk=issue.pk).update(reporter_updates_stopped_at=None)


@transaction.atomic
def follower_stop(*, issue: Issue, user_id: int | None = None, email: str = "", phone: str = "") -> int:
    """A follower's signed link stops their updates: the follow is removed. Returns how many were."""
    followers = (Follower.objects.filter(issue=issue, user_id=user_id) if user_id else
                 Follower.objects.filter(issue=issue, email=email) if email else
                 Follower.objects.filter(issue=issue, phone=phone) if phone else Follower.objects.none())
    return followers.delete()[0]


@transaction.atomic
def follower_restart(*, issue: Issue, user_id: int | None = None, email: str = "", phone: str = "") -> Follower:
    """A follower's signed link starts their updates again. The link was sent to that address, so
    the follow is confirmed at once."""
    if issue.category.is_private:
        raise ActionRefused("Issues in this category are private and cannot be followed.", "issue")
    now = timezone.now()
    if user_id:
        if not get_user_model().objects.filter(pk=user_id, is_active=True).exists():
            raise ActionRefused("This account no longer exists.", "action")
        lookup = {"user_id": user_id}
    elif email:
        lookup = {"email": email.lower()}
    elif phone:
        lookup = {"phone": phone}
    else:
        raise ActionRefused("This link names nobody to send updates to.", "action")
    follower, created = Follower.objects.get_or_create(issue=issue, **lookup,
                                                       defaults={"created_at": now, "confirmed_at": now})
    if follower.confirmed_at is None:
        follower.confirmed_at = now
        follower.save(update_fields=["confirmed_at"])
    return follower


@transaction.atomic
def issue_upvote(*, issue: Issue, voter_key: str) -> tuple[int, bool]:
    """'Me too' on an open issue: once per voter. Returns the count and whether this vote counted."""
    issue = _locked(issue)
    if issue.status not in OPEN_STATUSES:
        raise ActionRefused(f"{issue.reference} is no longer open.", "issue")
    if not voter_key:
        raise ActionRefused("Log in, or send a client id, to say 'me too'.", "client_id")
    _, created = Upvote.objects.get_or_create(issue=issue, voter_key=voter_key[:80],
                                              defaults={"created_at": timezone.now()})
    if created:
        Issue.objects.filter(pk=issue.pk).update(upvotes=F("upvotes") + 1)
    return Issue.objects.values_list("upvotes", flat=True).get(pk=issue.pk), created

