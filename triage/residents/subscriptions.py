"""Area alerts for people without an account: an email address subscribes (API or page), gets one
message with a confirmation link, and hears nothing until its owner presses the button there
(double opt-in). Every alert message carries a one-click unsubscribe link (the alert's token)."""

from django.db import transaction
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from notices.outbound import Recipient, notify
from residents import services
from residents.areas import AreaError
from residents.models import AreaAlert
from toolkit.api import WriteThrottle
from triage.residents.alerts import site
from wards.models import Municipality

MAX_UNCONFIRMED_PER_ADDRESS = 3


class SubscribeSerializer(serializers.Serializer):
    email = serializers.EmailField()
    area = serializers.JSONField(help_text='A GeoJSON Polygon or MultiPolygon, {"ward": "<code>"} or {"suburb": <id>}.')
    municipality = serializers.SlugRelatedField(slug_field="code", queryset=Municipality.objects.all())


def alert_subscribe_by_email(*, email: str, area: dict, municipality) -> AreaAlert | None:
    """Record an unconfirmed alert and send its one confirmation message. An address with
    MAX_UNCONFIRMED_PER_ADDRESS alerts waiting for confirmation gets no more (nothing is sent)."""
    if isinstance(area, dict) and "place" in area:
        raise AreaError("place", _("A radius around a saved place needs an account."))
    waiting = AreaAlert.objects.filter(user=None, email=email.strip().lower(), confirmed_at=None).count()
    if waiting >= MAX_UNCONFIRMED_PER_ADDRESS:
        return None
    with transaction.atomic():
        alert = services.alert_create(email=email, area=area, municipality=municipality)
        link = site(f"/alerts/confirm/{alert.token}/")
        notify([Recipient(email=alert.email)], _("Confirm your alerts from %(name)s") % {"name": alert.municipality.title},
               _("Someone asked for alerts about new issues in an area of %(name)s to be sent to this address.\n\n"
                 "To get them, open this link and confirm:\n%(link)s\n\n"
                 "If that was not you, ignore this message: nothing more will be sent.\n")
               % {"name": alert.municipality.title, "link": link}, topic="alert-confirm", municipality=alert.municipality)
    return alert


class AlertSubscribeView(APIView):
    """Subscribe an email address to new issues in an area, without an account."""

    throttle_classes = [WriteThrottle]
    throttle_scope = "follow"

    @extend_schema(request=SubscribeSerializer, summary="Subscribe an email address to an area (double opt-in)",
                   responses={202: OpenApiResponse(description="A confirmation link is on its way (or was already).")})
    def post(self, request):
        serializer = SubscribeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            alert_subscribe_by_email(**serializer.validated_data)
        except AreaError as error:
            inner = error.field in ("ward", "suburb", "place")
            raise ValidationError({"area": {error.field: [error.message]}} if inner
                                  else {error.field: [error.message]}) from None
        # The same answer whether or not the address was already waiting: nothing tells who subscribes.
        return Response({"detail": _("If the address is yours, a confirmation link is on its way.")}, status=202)


@require_http_methods(["GET", "HEAD", "POST"])
def alert_confirm_page(request, token: str):
    """The link in the confirmation message: opening it asks (mail scanners open links), the button confirms."""
    alert = get_object_or_404(AreaAlert.objects.select_related("municipality"), token=token, user=None)
    if request.method == "POST":
        services.alert_confirm(alert=alert)
    return render(request, "triage/residents/alert_confirm.html", {"alert": alert, "done": request.method == "POST"})


@require_http_methods(["GET", "HEAD", "POST"])
def alert_unsubscribe_page(request, token: str):
    """One click in the message opens this page; one press stops the alert (it is deleted)."""
    alert = AreaAlert.objects.select_related("municipality").filter(token=token).first()
    if request.method == "POST" and alert is not None:
        services.alert_delete(alert=alert)
        return render(request, "triage/residents/alert_unsubscribe.html", {"done": True})
    return render(request, "triage/residents/alert_unsubscribe.html", {"alert": alert, "done": False},
                  status=200 if alert else 404)
