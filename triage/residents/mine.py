"""A resident's own issues: those they reported or follow, with status, progress and time taken;
following and unfollowing; and claiming past reports (filed anonymously with the same verified
email or phone, or filed in this browser, whose tracking keys prove it)."""

import hmac

from allauth.account.models import EmailAddress
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from residents.views import resident_page
from triage.issues import services
from triage.issues.models import Follower, Issue
from triage.issues.workflow import OPEN_STATUSES, RATEABLE_STATUSES

MAX_CLAIM_KEYS = 200


def issues_of(user):
    """The issues the user reported or follows, newest first, each marked `reported` and `followed`."""
    followed = Follower.objects.filter(issue=OuterRef("pk"), user=user)
    return (Issue.objects.filter(Q(reporter=user) | Q(followers__user=user)).distinct()
            .select_related("category", "municipality", "ward", "suburb")
            .annotate(followed=Exists(followed)).order_by("-created_at", "-id"))


def verified_addresses(user) -> tuple[set[str], str]:
    emails = {e.lower() for e in EmailAddress.objects.filter(user=user, verified=True).values_list("email", flat=True)}
    return emails, (user.phone if user.phone and user.phone_verified else "")


@transaction.atomic
def issues_claim(*, user, tracked: list[tuple[str, str]] = ()) -> list[str]:
    """Attach to `user` the anonymous reports that are theirs: filed with one of their verified
    email addresses or their verified phone, or held in this browser (reference and tracking key).
    Returns the references claimed."""
    emails, phone = verified_addresses(user)
    by_address = Q(pk__in=[])
    if emails:
        by_address |= Q(reporter_email__in=emails)
    if phone:
        by_address |= Q(reporter_phone=phone)
    claimed = list(Issue.objects.filter(by_address, reporter__isnull=True).select_for_update()
                   .values_list("pk", "reference"))
    keys = {reference.strip().upper(): key for reference, key in list(tracked)[:MAX_CLAIM_KEYS]}
    for pk, reference, tracking_key in (Issue.objects.filter(reference__in=keys, reporter__isnull=True)
                                        .select_for_update().values_list("pk", "reference", "tracking_key")):
        if hmac.compare_digest(keys[reference].encode(), tracking_key.encode()):
            claimed.append((pk, reference))
    Issue.objects.filter(pk__in=[pk for pk, _ in claimed]).update(reporter=user)
    return sorted({reference for _, reference in claimed})


def my_issue(issue, *, now) -> dict:
    open_ = issue.status in OPEN_STATUSES
    taken = issue.time_to_resolve if issue.time_to_resolve is not None and not open_ else now - issue.created_at
    return {
        "reference": issue.reference, "category": issue.category.name, "status": issue.status,
        "status_label": issue.get_status_display(), "status_note": issue.status_note, "is_open": open_,
        "rateable": issue.status in RATEABLE_STATUSES, "created_at": issue.created_at.isoformat(),
        "resolved_at": issue.resolved_at.isoformat() if issue.resolved_at else None,
        "time_taken_seconds": int(taken.total_seconds()),
        "ward": issue.ward.number if issue.ward_id else None, "suburb": issue.suburb.name if issue.suburb_id else None,
        "reported": issue.reporter_id == issue.viewer_id, "followed": issue.followed,
    }


class MyIssueSerializer(serializers.Serializer):
    reference = serializers.CharField()
    category = serializers.CharField()
    status = serializers.CharField()
    status_label = serializers.CharField()
    status_note = serializers.CharField(allow_blank=True)
    is_open = serializers.BooleanField()
    rateable = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    resolved_at = serializers.DateTimeField(allow_null=True)
    time_taken_seconds = serializers.IntegerField(help_text="Report to resolution, or open so far (true elapsed time).")
    ward = serializers.IntegerField(allow_null=True)
    suburb = serializers.CharField(allow_null=True)
    reported = serializers.BooleanField()
    followed = serializers.BooleanField()


def rows_for(user, *, words: bool = False) -> list[dict]:
    from triage.issues.views import duration_words

    now = timezone.now()
    rows = []
    for issue in issues_of(user):
        issue.viewer_id = user.pk
        row = my_issue(issue, now=now)
        if words:
            row["time_taken_words"] = duration_words(row["time_taken_seconds"])
        rows.append(row)
    return rows


class MyIssuesView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(responses={200: MyIssueSerializer(many=True)}, summary="The issues I reported or follow")
    def get(self, request):
        return Response(MyIssueSerializer(rows_for(request.user), many=True).data)


class ClaimSerializer(serializers.Serializer):
    tracked = serializers.ListField(child=serializers.ListField(child=serializers.CharField(max_length=128),
                                                                min_length=2, max_length=2),
                                    max_length=MAX_CLAIM_KEYS, required=False, default=list,
                                    help_text="[reference, tracking key] pairs this browser keeps.")


class ClaimView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(request=ClaimSerializer, summary="Attach my past anonymous reports to my account",
                   responses={200: serializers.ListSerializer(child=serializers.CharField())})
    def post(self, request):
        serializer = ClaimSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response(issues_claim(user=request.user, tracked=[tuple(p) for p in serializer.validated_data["tracked"]]))


class MyIssueFollowView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(request=None, responses={204: OpenApiResponse(description="Following.")}, summary="Follow an issue")
    def post(self, request, reference: str):
        issue = get_object_or_404(Issue.objects.select_related("category"), reference=reference.upper())
        try:
            services.issue_follow(issue=issue, user=request.user)
        except services.ActionRefused as refused:
            raise ValidationError({refused.field: [str(refused)]}) from None
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(responses={204: OpenApiResponse(description="Not following.")}, summary="Unfollow an issue")
    def delete(self, request, reference: str):
        services.issue_unfollow(issue=get_object_or_404(Issue, reference=reference.upper()), user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


@resident_page
def my_issues_page(request):
    return render(request, "triage/residents/my_issues.html", {"rows": rows_for(request.user, words=True),
                                                                 "current": "issues"})
