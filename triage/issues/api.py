"""The issues API under /api/v1/: categories, the public list (GeoJSON built in SQL, keyset-paged),
one issue, its history, comments, rating, follow, 'me too', and staff actions. Views stay thin:
rules live in triage.issues.services and triage.issues.permissions."""

from django.db import connection
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Department, User
from toolkit.api import NumberParameter, WriteThrottle, bad_parameter, parse_bbox
from toolkit.geojson import GEOJSON_CONTENT_TYPE, feature_rows_sql
from toolkit.params import parse_datetime
from triage.issues import permissions, services
from triage.issues.models import Category, Issue, Priority
from triage.issues.presenters import comment_for, history_for, issue_for
from triage.issues.workflow import CLOSED_STATUSES, OPEN_STATUSES, IllegalTransition, Status
from wards.models import Municipality


def refused(exc: services.ActionRefused) -> ValidationError:
    return ValidationError({exc.field: [str(exc)]})


def issue_or_404(reference: str) -> Issue:
    return get_object_or_404(Issue.objects.for_display(), reference=reference.upper())


# --- categories ------------------------------------------------------------------------------

class CategoryListView(APIView):
    """The categories a municipality takes reports in, with their questions."""

    @extend_schema(parameters=[OpenApiParameter("municipality", str, required=True, description="e.g. GT423.")],
                   responses={200: list[dict]})
    def get(self, request):
        code = request.query_params.get("municipality", "")
        if not code:
            raise bad_parameter("municipality", "This parameter is required.")
        categories = list(Category.objects.of_municipality(code).active().select_related("asset_type")
                          .prefetch_related("questions"))
        if not categories and not Municipality.objects.filter(code=code).exists():
            raise bad_parameter("municipality", f"No municipality has the code '{code}'.")
        return Response([
            # Names and questions in the request's language where the municipality stored them, else its own.
            {"id": c.id, "code": c.code, "name": c.local_name, "group": c.local_group, "kind": c.kind,
             "description": c.local_description, "is_private": c.is_private, "sla_hours": c.sla_hours,
             "snaps_to": c.asset_type.name if c.asset_type_id else None,
             "questions": [{"code": q.code, "prompt": q.local_prompt, "datatype": q.datatype, "required": q.required,
                            "choices": [{"key": k, "name": n} for k, n in q.local_choices()]} for q in c.questions.all()]}
            for c in categories
        ])



# --- the public list ---------------------------------------------------------------------

WARD_NUMBER = NumberParameter("ward", 1, 999, description="Ward number (current demarcation).")
ISSUE_LIMIT = NumberParameter("limit", 1, 5000, default=500, description="At most this many (default 500).")
AFTER = NumberParameter("after", 0, 2**62, default=0, description="The `next` cursor of the previous page.")
CATEGORY_ID = NumberParameter("category", 1, 2**62, required=True, description="A category id.")

class IssueListView(APIView):
    """Issues as GeoJSON (public fields only), newest first, keyset-paged."""

    @extend_schema(
        parameters=[
            OpenApiParameter("municipality", str),
            OpenApiParameter("category", str, description="Category code(s), comma-separated."),
            OpenApiParameter("status", str, description="open, closed, or status names, comma-separated."),
            WARD_NUMBER.openapi(),
            OpenApiParameter("bbox", str, description="minLon,minLat,maxLon,maxLat (WGS 84)."),
            OpenApiParameter("updated_since", OpenApiTypes.DATETIME), ISSUE_LIMIT.openapi(), AFTER.openapi(),
        ],
        responses={(200, GEOJSON_CONTENT_TYPE): OpenApiTypes.OBJECT},
        operation_id="issues_list",
    )
    def get(self, request):
        params = request.query_params
        issues = Issue.objects.public().filter(category__is_private=False)
        if params.get("municipality"):
            issues = issues.of_municipality(params["municipality"])
        if params.get("category"):
            issues = issues.filter(category__code__in=params["category"].split(","))
        if params.get("status"):
            issues = issues.filter(status__in=statuses_from(params["status"]))
        if params.get("ward"):
            issues = issues.filter(ward__number=WARD_NUMBER.parse(params))
        bbox = parse_bbox(params)
        if bbox is not None:
            issues = issues.in_bbox(bbox)
        since = parse_datetime(params.get("updated_since"), "updated_since", zone=timezone.get_current_timezone())
        if since is not None:
            issues = issues.filter(updated_at__gte=since)
        limit = ISSUE_LIMIT.parse(params)
        after = AFTER.parse(params)
        if after:
            issues = issues.filter(pk__lt=after)
        page = issues.order_by("-pk")[: limit + 1]
        sql, sql_params = feature_rows_sql(page, geometry="location", feature_id="reference", properties=PUBLIC_PROPERTIES)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT f.id, f.feature::text FROM ({sql}) f", sql_params)
            rows = cursor.fetchall()
        more = len(rows) > limit
        rows = rows[:limit]
        # The cursor is the last row's id: the next page is WHERE id < cursor, on the primary key.
        next_cursor = Issue.objects.values_list("pk", flat=True).get(reference=rows[-1][0]) if more else None
        body = (
            '{"type":"FeatureCollection","features":[' + ",".join(row[1] for row in rows) + "],"
            f'"numberReturned":{len(rows)},"next":{next_cursor if next_cursor is not None else "null"}}}'
        )
        return HttpResponse(body, content_type=GEOJSON_CONTENT_TYPE)


PUBLIC_PROPERTIES = {
    "reference": "reference", "status": "status", "category": "category__code", "category_name": "category__name",
    "kind": "kind", "ward": "ward__number", "created_at": "created_at", "updated_at": "updated_at",
    "upvotes": "upvotes",
}


def statuses_from(raw: str) -> list[str]:
    wanted: set[str] = set()
    for name in (part.strip() for part in raw.split(",") if part.strip()):
        if name == "open":
            wanted |= OPEN_STATUSES
        elif name == "closed":
            wanted |= CLOSED_STATUSES
        elif name in Status.values:
            wanted.add(name)
        else:
            raise bad_parameter("status", f"'{name}' is not a status; use open, closed or one of: {', '.join(Status.values)}.")
    return sorted(wanted)


# --- one issue -------------------------------------------------------------------------------

class IssueDetailView(APIView):
    @extend_schema(responses={200: OpenApiTypes.OBJECT, 404: OpenApiResponse(description="No such reference.")})
    def get(self, request, reference):
        issue = issue_or_404(reference)
        return Response(issue_for(request.user, issue, now=timezone.now(),
                                  tracking_key=request.headers.get("X-Tracking-Key", "")))


class IssueHistoryView(APIView):
    @extend_schema(responses={200: list[dict]})
    def get(self, request, reference):
        issue = issue_or_404(reference)
        return Response(history_for(request.user, issue, issue.events.order_by("at", "id")))


class CommentSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=5000)
    internal = serializers.BooleanField(required=False, default=False)


class IssueCommentsView(APIView):
    throttle_classes = [WriteThrottle]
    throttle_scope = "comment"

    @extend_schema(responses={200: list[dict]})
    def get(self, request, reference):
        issue = issue_or_404(reference)
        comments = issue.comments.order_by("created_at", "id")
        if not permissions.can_see_internal(request.user, issue):
            comments = comments.filter(is_internal=False)
        return Response([comment_for(request.user, comment) for comment in comments])

    @extend_schema(request=CommentSerializer, responses={201: OpenApiTypes.OBJECT})
    def post(self, request, reference):
        issue = issue_or_404(reference)
        form = CommentSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        internal = form.validated_data["internal"]
        if internal and not permissions.can_see_internal(request.user, issue):
            raise PermissionDenied("Only municipal staff may add internal notes.")
        if not internal and issue.category.is_private and not (
            permissions.can_see_internal(request.user, issue)
            or permissions.is_reporter(request.user, issue, request.headers.get("X-Tracking-Key", ""))
        ):
            raise PermissionDenied("Issues in this category are private: only the reporter and staff may comment.")
        try:
            comment = services.issue_comment_add(
                issue=issue, body=form.validated_data["body"], author=request.user, internal=internal)
        except services.ActionRefused as exc:
            raise refused(exc) from None
        return Response(comment_for(request.user, comment), status=status.HTTP_201_CREATED)


class RatingSerializer(serializers.Serializer):
    stars = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")
    tracking_key = serializers.CharField(required=False, allow_blank=True, default="")


class IssueRatingView(APIView):
    """The reporter rates a resolved issue, once: by account, or anonymously with the tracking key."""

    @extend_schema(request=RatingSerializer, responses={201: OpenApiTypes.OBJECT})
    def post(self, request, reference):
        issue = issue_or_404(reference)
        form = RatingSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        key = data["tracking_key"] or request.headers.get("X-Tracking-Key", "")
        try:
            rating = services.issue_rate(issue=issue, stars=data["stars"], comment=data["comment"], user=request.user,
                                         tracking_key=key)
        except services.ActionRefused as exc:
            if exc.field == "tracking_key":
                raise PermissionDenied(str(exc)) from None
            raise refused(exc) from None
        return Response({"stars": rating.stars, "comment": rating.comment}, status=status.HTTP_201_CREATED)


class FollowSerializer(serializers.Serializer):
    email = serializers.EmailField(required=False, allow_blank=True, default="")


class IssueFollowView(APIView):
    """Follow a public issue to get its updates (logged in, or by email)."""

    throttle_classes = [WriteThrottle]
    throttle_scope = "follow"
    throttle_target = "reference"

    @extend_schema(request=FollowSerializer, responses={
        201: OpenApiTypes.OBJECT, 200: OpenApiTypes.OBJECT,
        202: OpenApiResponse(description="By email: a confirmation link is sent; updates start once it is followed."),
    })
    def post(self, request, reference):
        issue = issue_or_404(reference)
        form = FollowSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        try:
            follower, created = services.issue_follow(issue=issue, user=request.user, email=form.validated_data["email"])
        except services.ActionRefused as exc:
            raise refused(exc) from None
        if follower.user_id is None:
            # The same answer whether or not the address already follows: it is nobody else's business.
            return Response({"confirm_by_email": True,
                             "detail": "Check your email: unless this address follows the issue already, we sent it a "
                                       "link, and updates start once you open it and confirm."},
                            status=status.HTTP_202_ACCEPTED)
        return Response({"following": True}, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(responses={204: None})
    def delete(self, request, reference):
        issue = issue_or_404(reference)
        if not request.user.is_authenticated:
            raise PermissionDenied("Log in to stop following (or use the link in any update email).")
        services.issue_unfollow(issue=issue, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class IssueUpvoteView(APIView):
    """'Me too': once per account, or per anonymous client id (X-Client-Id); an address may say it
    only a few times a day per issue, however many client ids it sends."""

    throttle_classes = [WriteThrottle]
    throttle_scope = "upvote"
    throttle_target = "reference"

    @extend_schema(request=None, responses={200: OpenApiTypes.OBJECT})
    def post(self, request, reference):
        issue = issue_or_404(reference)
        if issue.category.is_private:
            raise PermissionDenied("Issues in this category are private.")
        voter = f"user:{request.user.pk}" if request.user.is_authenticated else (
            f"client:{request.headers.get('X-Client-Id', '')}" if request.headers.get("X-Client-Id") else "")
        try:
            count, counted = services.issue_upvote(issue=issue, voter_key=voter)
        except services.ActionRefused as exc:
            raise refused(exc) from None
        return Response({"upvotes": count, "counted": counted})


# --- staff actions ---------------------------------------------------------------------------

class StatusChangeSerializer(serializers.Serializer):
    status = serializers.CharField()
    public_note = serializers.CharField(required=False, allow_blank=True, max_length=5000, default="")
    internal_note = serializers.CharField(required=False, allow_blank=True, max_length=5000, default="")
    duplicate_of = serializers.CharField(required=False, allow_blank=True, default="")
    tracking_key = serializers.CharField(required=False, allow_blank=True, default="")


class IssueStatusView(APIView):
    """Change the status: staff per their role; the reporter may close or reopen a resolved issue."""

    @extend_schema(request=StatusChangeSerializer, responses={200: OpenApiTypes.OBJECT,
                                                              400: OpenApiResponse(description="Illegal transition.")})
    def post(self, request, reference):
        issue = issue_or_404(reference)
        form = StatusChangeSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        key = data["tracking_key"] or request.headers.get("X-Tracking-Key", "")
        if not permissions.can_change_status(request.user, issue, data["status"], tracking_key=key):
            raise PermissionDenied(f"You may not set {issue.reference} to '{data['status']}'.")
        internal = data["internal_note"] if permissions.can_see_internal(request.user, issue) else ""
        parent = None
        if data["duplicate_of"]:
            parent = Issue.objects.filter(reference=data["duplicate_of"].upper()).first()
            if parent is None:
                raise bad_parameter("duplicate_of", f"No issue has the reference '{data['duplicate_of']}'.")
        as_reporter = not permissions.is_municipal_staff_of(request.user, issue) and permissions.is_reporter(
            request.user, issue, key)
        try:
            services.issue_transition(issue=issue, to_status=data["status"], actor=request.user, public_note=data["public_note"],
                                      internal_note=internal, duplicate_of=parent, label="Reporter" if as_reporter else "")
        except IllegalTransition as exc:
            raise bad_parameter("status", str(exc)) from None
        except services.ActionRefused as exc:
            raise refused(exc) from None
        return Response(issue_for(request.user, issue_or_404(reference), now=timezone.now(), tracking_key=key))


class AssignmentSerializer(serializers.Serializer):
    department = serializers.CharField(required=False, allow_blank=True, default="", help_text="Department code.")
    assignee = serializers.IntegerField(required=False, allow_null=True, default=None, help_text="Staff user id.")
    public_note = serializers.CharField(required=False, allow_blank=True, default="")
    internal_note = serializers.CharField(required=False, allow_blank=True, default="")
    priority = serializers.ChoiceField(choices=Priority.values, required=False)


class IssueAssignmentView(APIView):
    """Dispatchers: assign to a department and/or staff member, and set the priority."""

    @extend_schema(request=AssignmentSerializer, responses={200: OpenApiTypes.OBJECT})
    def post(self, request, reference):
        issue = issue_or_404(reference)
        if not permissions.can_triage(request.user, issue):
            raise PermissionDenied("Only dispatchers of this municipality may assign issues.")
        form = AssignmentSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        department = assignee = None
        if data["department"]:
            department = Department.objects.filter(municipality=issue.municipality, code=data["department"]).first()
            if department is None:
                raise bad_parameter("department", f"{issue.municipality.code} has no department '{data['department']}'.")
        if data["assignee"]:
            assignee = User.objects.filter(pk=data["assignee"], municipality=issue.municipality).first()
            if assignee is None:
                raise bad_parameter("assignee", f"No staff member {data['assignee']} works for {issue.municipality.code}.")
        try:
            if department or assignee:
                services.issue_assign(issue=issue, actor=request.user, department=department, assignee=assignee,
                                public_note=data["public_note"], internal_note=data["internal_note"])
            if data.get("priority"):
                services.issue_set_priority(issue=issue, priority=data["priority"], actor=request.user)
        except services.ActionRefused as exc:
            raise refused(exc) from None
        if not (department or assignee or data.get("priority")):
            raise bad_parameter("department", "Give a department, an assignee or a priority.")
        return Response(issue_for(request.user, issue_or_404(reference), now=timezone.now()))

