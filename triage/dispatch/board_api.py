"""The dispatcher board's API under /api/v1/board/ (staff only): the filtered queue as GeoJSON
(one response for the list and the map, refreshed by `updated_since`), clusters of likely
duplicates, SLA counts per department, one issue in full, and actions on one or many issues.

Views parse, authorise and call: reading lives in triage.dispatch.board, every change in
triage.issues.services, who may do what in triage.issues.permissions. Bad input is a 400 naming the parameter.
"""

import datetime

from django.db import transaction
from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Department, User
from toolkit.api import NumberParameter, bad_parameter, parse_int
from toolkit.params import parse_datetime
from triage.dispatch import board
from triage.dispatch.sla import DEFAULT_TIMEZONE, local_day, sla_of
from triage.issues import permissions, services
from triage.issues.api import statuses_from
from triage.issues.models import Channel, Comment, Issue, Priority
from triage.issues.presenters import comment_for, history_for, issue_for
from triage.issues.workflow import IllegalTransition, Status
from triage.media.selectors import media_for

OLDER_THAN = NumberParameter("older_than", 0, 36500, description="Reported more than this many days ago.")
NEWER_THAN = NumberParameter("newer_than", 0, 36500, description="Reported within this many days.")
LIMIT = NumberParameter("limit", 1, board.MAX_LIST, default=board.DEFAULT_LIST,
                        description=f"At most this many (default {board.DEFAULT_LIST}).")

FILTER_PARAMETERS = [
    OpenApiParameter("municipality", str, description="Municipality code (a dispatcher's own by default)."),
    OpenApiParameter("ward", str, description="Ward numbers, comma-separated."),
    OpenApiParameter("department", str, description="Department codes, comma-separated; 'none' for not routed."),
    OpenApiParameter("category", str, description="Category codes, comma-separated."),
    OpenApiParameter("status", str, description="open (default), closed, all, or status names, comma-separated."),
    OpenApiParameter("priority", str, description="low, normal, high, urgent; comma-separated."),
    OpenApiParameter("channel", str, description="web, api, sms, whatsapp, ussd, staff, phone, import; comma-separated."),
    OLDER_THAN.openapi(),
    NEWER_THAN.openapi(),
    OpenApiParameter("overdue", bool, description="true: only open issues past their target; false: none of them."),
    OpenApiParameter("duplicates", str, description="likely: in a cluster of likely duplicates; merged: has duplicates "
                                                    "merged into it."),
    OpenApiParameter("assignee", {"type": "string", "pattern": "^(me|[1-9][0-9]{0,17})$"},
                     description="A staff member's id, or 'me'."),
    OpenApiParameter("q", str, description="Part of a reference or address."),
]


def _board_user(request):
    if not board.may_use_board(request.user):
        raise PermissionDenied("The dispatcher board is for municipal staff: dispatchers and department staff.")
    return request.user


def _codes(params, name: str, *, allowed=None, limit: int = 50) -> list[str]:
    values = [part.strip() for part in params.get(name, "").split(",") if part.strip()]
    if len(values) > limit:
        raise bad_parameter(name, f"At most {limit} values, not {len(values)}.")
    for value in values:
        if allowed is not None and value not in allowed:
            raise bad_parameter(name, f"'{value[:40]}' is not one of: {', '.join(allowed)}.")
        if len(value) > 40 or not value.replace("-", "").replace("_", "").isalnum():
            raise bad_parameter(name, f"'{value[:40]}' is not a code.")
    return values


def _tri_state(params, name: str) -> bool | None:
    raw = params.get(name, "").strip().lower()
    if raw == "":
        return None
    if raw in {"1", "true", "yes"}:
        return True
    if raw in {"0", "false", "no"}:
        return False
    raise bad_parameter(name, f"'{raw[:40]}' is not true or false.")


def parse_filter(request) -> board.BoardFilter:
    params, user = request.query_params, request.user
    from wards.models import Municipality

    municipality = params.get("municipality", "").strip()
    if not user.is_superuser:
        # The board's scope is already the user's own municipality (by id, without reading the
        # municipality's row and its boundary); a code given must be that one.
        if municipality and not Municipality.objects.filter(pk=user.municipality_id, code=municipality).exists():
            raise PermissionDenied("The board shows only the issues of the municipality you work for.")
        municipality = ""
    municipality_id = None
    if municipality:  # a superuser's choice
        municipality_id = Municipality.objects.filter(code=municipality).values_list("pk", flat=True).first()
        if municipality_id is None:
            raise bad_parameter("municipality", f"No municipality has the code '{municipality[:40]}'.")
    wards = []
    for part in _codes(params, "ward"):
        if not part.isdigit() or not 1 <= int(part) <= 999:
            raise bad_parameter("ward", f"'{part}' is not a ward number.")
        wards.append(int(part))
    raw_status = params.get("status", "").strip() or "open"
    statuses = [] if raw_status == "all" else statuses_from(raw_status)
    duplicates = params.get("duplicates", "").strip()
    if duplicates not in ("", "likely", "merged"):
        raise bad_parameter("duplicates", f"'{duplicates[:40]}' is not likely or merged.")
    assignee_raw = params.get("assignee", "").strip()
    assignee = None
    if assignee_raw == "me":
        assignee = user.pk
    elif assignee_raw:
        assignee = parse_int(params, "assignee", default=0, minimum=1, maximum=2**62)
    query = params.get("q", "").strip()
    if len(query) > 60:
        raise bad_parameter("q", "At most 60 characters.")
    return board.BoardFilter(
        municipality_id=municipality_id, wards=wards, departments=_codes(params, "department"),
        categories=_codes(params, "category"), statuses=statuses,
        priorities=_codes(params, "priority", allowed=Priority.values),
        channels=_codes(params, "channel", allowed=Channel.values),
        older_than_days=OLDER_THAN.parse(params), newer_than_days=NEWER_THAN.parse(params),
        overdue=_tri_state(params, "overdue"), duplicates=duplicates, assignee=assignee, query=query,
    )


def _parse_since(params) -> datetime.datetime | None:
    return parse_datetime(params.get("updated_since"), "updated_since", zone=datetime.UTC)


# Rows committed just after a refresh read the table can carry an updated_at a little before it:
# the next refresh asks again from this much earlier, and the page replaces rows by reference.
REFRESH_OVERLAP = datetime.timedelta(seconds=10)


class BoardIssuesView(APIView):
    """The filtered queue, as GeoJSON: the same features draw the map and fill the list."""

    @extend_schema(
        parameters=[*FILTER_PARAMETERS,
                    OpenApiParameter("sort", str, description=f"One of: {', '.join(board.SORTS)} (default priority)."),
                    LIMIT.openapi(),
                    OpenApiParameter("updated_since", str, description="Only issues changed since (ISO 8601), plus "
                                                                       "`removed`: those changed that no longer match.")],
        responses={(200, "application/geo+json"): OpenApiTypes.OBJECT,
                   400: OpenApiResponse(description="A bad parameter, named."),
                   403: OpenApiResponse(description="Not staff, or another municipality.")},
        operation_id="board_issues",
    )
    def get(self, request):
        user = _board_user(request)
        choice = parse_filter(request)
        sort = request.query_params.get("sort", "").strip() or "priority"
        if sort not in board.SORTS:
            raise bad_parameter("sort", f"'{sort[:40]}' is not one of: {', '.join(board.SORTS)}.")
        limit = LIMIT.parse(request.query_params)
        since = _parse_since(request.query_params)
        now = timezone.now()
        scope = board.board_issues(user)
        issues = board.filtered(scope, choice, now=now)
        removed = "[]"
        if since is not None:
            changed = issues.filter(updated_at__gt=since)
            gone = scope.filter(updated_at__gt=since).exclude(pk__in=issues.values("pk"))
            removed = _json_list(gone.values_list("reference", flat=True)[: board.MAX_LIST])
            features, returned = board.queue_features(changed, now=now, sort=sort, limit=limit)
            matched = "null"
        else:
            features, returned = board.queue_features(issues, now=now, sort=sort, limit=limit)
            matched = str(returned if returned < limit else issues.count())
        body = (f'{{"type":"FeatureCollection","now":"{now.isoformat()}",'
                f'"next_since":"{(now - REFRESH_OVERLAP).isoformat()}","numberReturned":{returned},'
                f'"numberMatched":{matched},"limit":{limit},"removed":{removed},"features":{features}}}')
        return HttpResponse(body, content_type="application/geo+json")


def _json_list(values) -> str:
    import json

    return json.dumps(list(values))


class BoardClustersView(APIView):
    """Groups of open issues that are likely the same problem (same municipality and category,
    chained within the category's duplicate radius), for the filtered set."""

    @extend_schema(parameters=FILTER_PARAMETERS, responses={200: OpenApiTypes.OBJECT}, operation_id="board_clusters")
    def get(self, request):
        user = _board_user(request)
        choice = parse_filter(request)
        choice.duplicates = ""  # the clusters are what that filter would select
        issues = board.filtered(board.board_issues(user), choice, now=timezone.now())
        clusters, count = board.likely_duplicate_clusters(issues)
        return HttpResponse(f'{{"count":{count},"clusters":{clusters}}}', content_type="application/json")


class BoardSummaryView(APIView):
    """Open issues per department: how many, overdue, and due before the end of the local day."""

    @extend_schema(parameters=[FILTER_PARAMETERS[0]], responses={200: OpenApiTypes.OBJECT}, operation_id="board_summary")
    def get(self, request):
        user = _board_user(request)
        choice = parse_filter(request)
        now = timezone.now()
        zone = _timezone_of(choice.municipality_id if user.is_superuser else user.municipality_id)
        _, day_end = local_day(now, zone)
        issues = board.board_issues(user)
        if choice.municipality_id is not None:
            issues = issues.filter(municipality_id=choice.municipality_id)
        rows = board.sla_counts(issues, now=now, day_end=day_end)
        return Response({
            "now": now.isoformat(), "timezone": zone, "departments": rows,
            "open": sum(row["open"] for row in rows), "overdue": sum(row["overdue"] for row in rows),
            "due_today": sum(row["due_today"] for row in rows),
        })


def _timezone_of(municipality_id: int | None) -> str:
    from wards.models import Municipality

    if municipality_id is None:
        return DEFAULT_TIMEZONE
    found = Municipality.objects.filter(pk=municipality_id)
    return found.values_list("timezone", flat=True).first() or DEFAULT_TIMEZONE


def _board_issue_or_404(user, reference: str) -> Issue:
    issue = board.board_issues(user).for_display().filter(reference=reference.strip().upper()).first()
    if issue is None:
        raise NotFound(f"No issue {reference[:40]} on your board.")
    return issue


class BoardIssueDetailView(APIView):
    """One issue as staff see it: details and reporter, history with internal notes, every comment,
    the SLA, the duplicates merged into it with their comments and files, and what you may do."""

    @extend_schema(responses={200: OpenApiTypes.OBJECT, 404: OpenApiResponse(description="Not on your board.")},
                   operation_id="board_issue_detail")
    def get(self, request, reference):
        user = _board_user(request)
        issue = _board_issue_or_404(user, reference)
        now = timezone.now()
        data = issue_for(user, issue, now=now)
        data["history"] = history_for(user, issue, issue.events.order_by("at", "id"))
        comments = issue.comments.order_by("created_at", "id")
        if not permissions.can_see_internal(user, issue):
            comments = comments.filter(is_internal=False)
        data["comments"] = [comment_for(user, comment) for comment in comments]
        sla = sla_of(expected_at=issue.expected_at, status=issue.status, now=now, timezone=issue.municipality.timezone)
        data["sla"] = sla.as_dict() if sla else None
        children = list(Issue.objects.filter(duplicate_of=issue).select_related("category").order_by("created_at", "id"))
        child_comments: dict[int, list] = {}
        for comment in Comment.objects.filter(issue__in=children).order_by("created_at", "id"):
            if comment.is_internal and not permissions.can_see_internal(user, issue):
                continue
            child_comments.setdefault(comment.issue_id, []).append(comment_for(user, comment))
        data["merged"] = [{
            "reference": child.reference, "status": child.status, "created_at": child.created_at.isoformat(),
            "description": child.description, "channel": child.channel,
            "comments": child_comments.get(child.pk, []), "media": media_for(user, child),
        } for child in children]
        data["may"] = [action for action in permissions.BOARD_ACTIONS
                       if permissions.can_act_on_board(user, issue, action, to_status=Status.RESOLVED)]
        return Response(data)


class BoardActionSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=permissions.BOARD_ACTIONS)
    issues = serializers.ListField(child=serializers.CharField(max_length=40), min_length=1, max_length=500,
                                   help_text="References of the selected issues.")
    department = serializers.CharField(required=False, allow_blank=True, default="", max_length=40,
                                       help_text="assign, route: a department code ('rules' to route by the rules).")
    assignee = serializers.IntegerField(required=False, allow_null=True, default=None, help_text="assign: a staff id.")
    priority = serializers.ChoiceField(choices=Priority.values, required=False, help_text="priority")
    status = serializers.ChoiceField(choices=[s for s in Status.values if s != Status.DUPLICATE], required=False,
                                     help_text="status: the new status (merge makes duplicates).")
    parent = serializers.CharField(required=False, allow_blank=True, default="", max_length=40,
                                   help_text="merge: the reference the others are merged into.")
    public_note = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000,
                                        help_text="Told to reporters and followers (reject: the reason).")
    internal_note = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)

    def validate(self, data):
        action = data["action"]
        required = {"priority": "priority", "status": "status", "merge": "parent", "note": "internal_note",
                    "reject": "public_note"}.get(action)
        if required and not str(data.get(required) or "").strip():
            raise ValidationError({required: [f"'{action}' needs {required.replace('_', ' ')}."]})
        if action == "assign" and not data["department"] and not data["assignee"]:
            raise ValidationError({"department": ["Assign to a department, a staff member or both."]})
        if action == "route" and not data["department"]:
            raise ValidationError({"department": ["Route to a department code, or 'rules' to apply the routing rules."]})
        return data


class BoardActionsView(APIView):
    """Do one thing to one or many issues: acknowledge, assign (department and/or staff), route,
    priority, status (with a public note), note (internal), merge (into `parent`), unmerge,
    reject (with the reason as public note). Every issue must be on your board and yours to act
    on, or nothing is done (403/404 naming them); then each is changed through the services, and
    the answer lists what was done and what the workflow refused, with why."""

    @extend_schema(request=BoardActionSerializer,
                   responses={200: OpenApiTypes.OBJECT, 400: OpenApiResponse(description="Bad input, named; or "
                              "every issue refused."), 403: OpenApiResponse(description="Not yours to act on."),
                              404: OpenApiResponse(description="Not on your board, named.")},
                   operation_id="board_actions")
    def post(self, request):
        user = _board_user(request)
        form = BoardActionSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        action = data["action"]
        references = list(dict.fromkeys(reference.strip().upper() for reference in data["issues"]))
        scope = board.board_issues(user)
        issues = {issue.reference: issue for issue in scope.for_display().filter(reference__in=references)}
        missing = [reference for reference in references if reference not in issues]
        if missing:
            raise NotFound({"issues": [f"Not on your board: {', '.join(missing[:20])}."]})
        department_ids = frozenset(user.departments.values_list("pk", flat=True))
        to_status = data.get("status", "")
        forbidden = [reference for reference, issue in issues.items()
                     if not permissions.can_act_on_board(user, issue, action, to_status=to_status,
                                                         department_ids=department_ids)]
        if forbidden:
            raise PermissionDenied({"issues": [f"You may not {action} {', '.join(forbidden[:20])}."]})
        ordered = [issues[reference] for reference in references]
        done, refused = self.apply(user, action, data, ordered, scope)
        body = {"action": action, "done": done, "refused": refused}
        if refused and not done:
            body["issues"] = [f"{reference}: {message}" for reference, message in refused.items()]
            return Response(body, status=status.HTTP_400_BAD_REQUEST)
        return Response(body)

    def apply(self, user, action: str, data: dict, issues: list[Issue], scope) -> tuple[list[str], dict[str, str]]:
        if action == "merge":
            return self.merge(user, data, issues, scope)
        department = assignee = None
        if action in ("assign", "route") and data["department"] and data["department"] != "rules":
            department = Department.objects.filter(municipality_id=issues[0].municipality_id, code=data["department"]).first()
            if department is None or any(issue.municipality_id != department.municipality_id for issue in issues):
                raise bad_parameter("department", f"No department '{data['department']}' serves these issues.")
        if action == "assign" and data["assignee"]:
            assignee = User.objects.filter(pk=data["assignee"], municipality_id=issues[0].municipality_id,
                                           is_active=True).first()
            if assignee is None:
                raise bad_parameter("assignee", f"No staff member {data['assignee']} works for this municipality.")
        done, refused = [], {}
        for issue in issues:
            try:
                with transaction.atomic():
                    self.apply_one(user, action, data, issue, department, assignee)
            except (services.ActionRefused, IllegalTransition) as exc:
                refused[issue.reference] = str(exc)
            else:
                done.append(issue.reference)
        return done, refused

    @staticmethod
    def apply_one(user, action: str, data: dict, issue: Issue, department, assignee) -> None:
        public, internal = data["public_note"].strip(), data["internal_note"].strip()
        if action == "acknowledge":
            if issue.status not in (Status.SUBMITTED, Status.REOPENED):
                raise services.ActionRefused(f"already {issue.get_status_display().lower()}.")
            services.issue_transition(issue=issue, to_status=Status.ACKNOWLEDGED, actor=user, public_note=public,
                                      internal_note=internal)
        elif action == "assign":
            services.issue_assign(issue=issue, actor=user, department=department, assignee=assignee, public_note=public,
                                  internal_note=internal)
        elif action == "route":
            services.issue_reroute(issue=issue, actor=user, department=department, internal_note=internal)
        elif action == "priority":
            services.issue_set_priority(issue=issue, priority=data["priority"], actor=user)
        elif action == "status":
            services.issue_transition(issue=issue, to_status=data["status"], actor=user, public_note=public,
                                      internal_note=internal)
        elif action == "reject":
            services.issue_transition(issue=issue, to_status=Status.REJECTED, actor=user, public_note=public,
                                      internal_note=internal)
        elif action == "note":
            services.issue_comment_add(issue=issue, body=internal, author=user, internal=True)
        elif action == "unmerge":
            services.issue_unmerge(issue=issue, actor=user, public_note=public, internal_note=internal)

    @staticmethod
    def merge(user, data: dict, issues: list[Issue], scope) -> tuple[list[str], dict[str, str]]:
        reference = data["parent"].strip().upper()
        parent = next((issue for issue in issues if issue.reference == reference), None)
        if parent is None:
            parent = scope.filter(reference=reference).first()
            if parent is None:
                raise bad_parameter("parent", f"Not on your board: {reference[:40]}.")
            if not permissions.can_triage(user, parent):
                raise PermissionDenied({"parent": [f"You may not merge into {reference}."]})
        children = [issue for issue in issues if issue.pk != parent.pk]
        try:
            services.issue_merge(parent=parent, children=children, actor=user, public_note=data["public_note"],
                                 internal_note=data["internal_note"])
        except services.ActionRefused as exc:
            raise ValidationError({exc.field: [str(exc)]}) from None
        return [issue.reference for issue in children], {}
