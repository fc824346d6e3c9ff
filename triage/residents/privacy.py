"""A resident's data under POPIA: all of it as JSON (GET /api/v1/me/export), and deleting the
account (DELETE /api/v1/me/account, or the privacy page): the reports stay, anonymised."""

import json

from allauth.account.models import EmailAddress
from axes.models import AccessAttempt, AccessFailureLog
from django.contrib.auth import logout
from django.db import transaction
from django.db.models import Q
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import permissions, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from notices.models import OutboundMessage
from residents.models import AreaAlert, Consent, Place, Preferences
from residents.views import resident_page
from triage.issues.models import Comment, Follower, Issue, Rating

STAFF_REFUSAL = "Staff accounts are closed by the municipality's administrator, not here."


def _iso(value):
    return value.isoformat() if value is not None else None


def resident_export(user) -> dict:
    """Everything the platform keeps about the resident, as JSON-ready data."""
    issues = Issue.objects.filter(reporter=user).select_related("category", "municipality")
    preferences = Preferences.objects.filter(user=user).first()
    return {
        "exported_at": timezone.now().isoformat(),
        "account": {"id": user.pk, "email": user.email, "phone": user.phone, "phone_verified": user.phone_verified,
                    "full_name": user.full_name, "date_joined": _iso(user.date_joined), "last_login": _iso(user.last_login)},
        "email_addresses": list(EmailAddress.objects.filter(user=user).values("email", "verified", "primary")),
        "consents": [{"channel": c.channel, "wording": c.wording, "given_at": _iso(c.given_at),
                      "withdrawn_at": _iso(c.withdrawn_at)} for c in Consent.objects.filter(user=user)],
        "preferences": None if preferences is None else {
            field: (str(getattr(preferences, field)) if field.startswith("quiet") and getattr(preferences, field)
                    else getattr(preferences, field))
            for field in ("by_email", "by_sms", "by_push", "my_issues", "area_alerts", "notices", "quiet_start",
                          "quiet_end", "language")},
        "places": [{"name": p.name, "is_home": p.is_home, "address": p.address, "point": [p.point.x, p.point.y],
                    "created_at": _iso(p.created_at)} for p in Place.objects.filter(user=user)],
        "alerts": [{"source": a.source, "radius_m": a.radius_m, "digest": a.digest, "issues": a.issues,
                    "notices": a.notices, "area": json.loads(a.area.json), "created_at": _iso(a.created_at)}
                   for a in AreaAlert.objects.filter(user=user)],
        "issues_reported": [{"reference": i.reference, "category": i.category.name, "status": i.status,
                             "description": i.description, "address": i.address, "answers": i.answers,
                             "location": [i.location.x, i.location.y], "created_at": _iso(i.created_at)}
                            for i in issues],
        "comments": list(Comment.objects.filter(author=user).values("issue__reference", "body", "created_at")),
        "ratings": list(Rating.objects.filter(user=user).values("issue__reference", "stars", "comment", "created_at")),
        "follows": list(Follower.objects.filter(user=user).values("issue__reference", "created_at")),
        "messages": list(OutboundMessage.objects.filter(user=user).values("channel", "address", "subject", "body",
                                                                          "state", "created_at", "sent_at")),
    }


@transaction.atomic
def resident_delete(*, user) -> None:
    """Delete the account and what belongs only to it (places, alerts, preferences, consents,
    follows, messages, log-in records). Reports, comments and ratings stay, anonymised: no account,
    name, email or phone left on them."""
    emails = {user.email.lower()} if user.email else set()
    emails |= {e.lower() for e in EmailAddress.objects.filter(user=user).values_list("email", flat=True)}
    addresses = emails | ({user.phone} if user.phone else set())
    mine = Q(reporter=user) | Q(reporter_email__in=emails) | (Q(reporter_phone=user.phone) if user.phone else Q(pk__in=[]))
    Issue.objects.filter(mine).update(reporter=None, reporter_name="", reporter_email="", reporter_phone="")
    OutboundMessage.objects.filter(Q(user=user) | Q(address__in=addresses)).delete()
    Follower.objects.filter(Q(user=user) | Q(email__in=emails) | Q(phone__in=addresses)).delete()
    AreaAlert.objects.filter(email__in=emails).delete()
    AccessAttempt.objects.filter(username__in=addresses).delete()
    AccessFailureLog.objects.filter(username__in=addresses).delete()
    user.delete()


class ExportView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(responses={(200, "application/json"): OpenApiTypes.OBJECT}, summary="All my data (POPIA)")
    def get(self, request):
        response = JsonResponse(resident_export(request.user), json_dumps_params={"indent": 1})
        response["Content-Disposition"] = 'attachment; filename="imbizo-my-data.json"'
        return response


class AccountView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(responses={204: OpenApiResponse(description="Deleted; the reports stay, anonymised.")},
                   summary="Delete my account")
    def delete(self, request):
        user = request.user
        if user.is_staff:
            raise PermissionDenied(STAFF_REFUSAL)
        logout(request)
        resident_delete(user=user)
        return Response(status=status.HTTP_204_NO_CONTENT)


@resident_page
def privacy_page(request):
    if request.method == "POST" and request.POST.get("confirm") == "delete" and not request.user.is_staff:
        user = request.user
        logout(request)
        resident_delete(user=user)
        return redirect("/?deleted=1")
    return render(request, "triage/residents/privacy.html", {
        "current": "privacy", "consents": Consent.objects.filter(user=request.user)})
