"""Staff API: the phone simulator (`/api/v1/channels/simulator/messages`) and the planners'
message counts per ward and channel (`/api/v1/channels/figures`)."""

import datetime
import uuid

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import BasePermission, IsAdminUser
from rest_framework.response import Response
from rest_framework.views import APIView

from channels.figures import message_counts
from channels.models import Channel, InboundMessage, Provider, ProviderAccount
from channels.providers.base import Incoming, Malformed, e164
from channels.services import inbound_handle, inbound_store
from notices.models import OutboundMessage
from toolkit.api import bad_parameter
from wards.models import Municipality


class SimulatedMessageSerializer(serializers.Serializer):
    sender = serializers.CharField(max_length=32, help_text="The resident's phone, E.164 (+27...).")
    text = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="", trim_whitespace=False)
    latitude = serializers.FloatField(required=False, min_value=-90, max_value=90)
    longitude = serializers.FloatField(required=False, min_value=-180, max_value=180)
    channel = serializers.ChoiceField(choices=Channel.choices, required=False,
                                      help_text="sms (default; whatsapp when a location is sent), whatsapp or ussd.")
    municipality = serializers.CharField(required=False, help_text="Municipality code (default: your own).")
    id = serializers.CharField(max_length=100, required=False, help_text="The provider message id (default: a new one).")

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = fields.pop("sender")  # "from" is a Python keyword
        return fields

    def validate_from(self, value):
        try:
            return e164(value)
        except Malformed as error:
            raise serializers.ValidationError(error.message) from None

    def validate(self, data):
        if ("latitude" in data) != ("longitude" in data):
            missing = "longitude" if "latitude" in data else "latitude"
            raise serializers.ValidationError({missing: ["A location needs both latitude and longitude."]})
        return data


REPLY = inline_serializer("SimulatorReply", {
    "replies": serializers.ListField(child=serializers.CharField()),
    "finished": serializers.BooleanField(),
    "issue": serializers.CharField(allow_null=True),
})


def municipality_for(request, code: str | None) -> Municipality:
    user = request.user
    if code:
        municipality = Municipality.objects.filter(code=code).first()
        if municipality is None:
            raise bad_parameter("municipality", f"No municipality '{code}'.")
        if not user.is_superuser and municipality.pk != user.municipality_id:
            raise PermissionDenied("You may use the simulator of your own municipality only.")
        return municipality
    if user.municipality_id:
        return user.municipality
    first = Municipality.objects.order_by("code").first()
    if first is None:
        raise bad_parameter("municipality", "There is no municipality yet.")
    return first


def simulator_account(municipality, channel: str) -> ProviderAccount:
    account, _ = ProviderAccount.objects.get_or_create(
        municipality=municipality, provider=Provider.SIMULATOR, channel=channel,
        defaults={"key": f"simulator-{municipality.code.lower()}-{channel}"[:40]})
    return account


class SimulatorMessagesView(APIView):
    permission_classes = [IsAdminUser]

    @extend_schema(request=SimulatedMessageSerializer, responses={200: REPLY}, summary="Send as a resident",
                   description="A message as if from the resident's phone, through the simulator provider; "
                               "the answer holds the replies (staff only).")
    def post(self, request):
        data = SimulatedMessageSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        located = "latitude" in values
        channel = values.get("channel") or (Channel.WHATSAPP if located else Channel.SMS)
        account = simulator_account(municipality_for(request, values.get("municipality")), channel)
        incoming = Incoming(message_id=values.get("id") or f"sim-in-{uuid.uuid4().hex}", phone=values["from"],
                            text=values["text"], latitude=values.get("latitude"), longitude=values.get("longitude"))
        inbound_id, _ = inbound_store(account=account, incoming=incoming)
        turn = inbound_handle(inbound_id)
        replies = turn.replies
        if turn.repeated and replies and channel == Channel.USSD:
            replies = [replies[0][4:]]
        return Response({"replies": replies, "finished": bool(turn.finished),
                         "issue": turn.issue.reference if turn.issue is not None else None})

    @extend_schema(parameters=[OpenApiParameter("phone", str, required=True, description="The resident's phone, E.164."),
                               OpenApiParameter("municipality", str, description="Municipality code (default: your own).")],
                   responses={200: inline_serializer("SimulatorScreen", {"messages": serializers.ListField(
                       child=serializers.DictField())})},
                   summary="The simulated phone's screen",
                   description="Messages to and from the phone in the last day, oldest first: what the simulator "
                               "page shows. `update` marks a message not sent in answer (an issue's update).")
    def get(self, request):
        try:
            phone = e164(request.query_params.get("phone", ""))
        except Malformed as error:
            raise bad_parameter("phone", error.message) from None
        since = timezone.now() - datetime.timedelta(days=1)
        # Only what went through this municipality's simulator: never a real resident's messages.
        municipality = municipality_for(request, request.query_params.get("municipality"))
        simulated = ProviderAccount.objects.filter(municipality=municipality, provider=Provider.SIMULATOR)
        sent = [{"direction": "in", "text": row["text"], "at": row["received_at"].isoformat(),
                 "location": row["location"] is not None, "update": False}
                for row in InboundMessage.objects.filter(phone=phone, received_at__gte=since, account__in=simulated)
                .values("text", "received_at", "location")]
        received = [{"direction": "out", "text": row["body"], "at": row["created_at"].isoformat(), "location": False,
                     "update": not row["topic"].startswith("conversation:")}
                    for row in OutboundMessage.objects.filter(address=phone, created_at__gte=since,
                                                              provider__in=simulated.values("key"))
                    .values("body", "created_at", "topic")]
        return Response({"messages": sorted(sent + received, key=lambda item: item["at"])})


class IsPlanner(BasePermission):
    message = "Message figures are for municipal staff with the planner role."

    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and user.is_staff and user.has_perm("heatmaps.view_figures"))


class MessageFiguresView(APIView):
    permission_classes = [IsPlanner]

    @extend_schema(parameters=[OpenApiParameter("municipality", str, description="Municipality code (default: your own).")],
                   responses={200: inline_serializer("MessageFigures", {"rows": serializers.ListField(
                       child=serializers.DictField())})},
                   summary="Messages per ward and channel",
                   description="Inbound and outbound SMS, WhatsApp and USSD messages about issues, per ward of the "
                               "issue and channel, with their cost in rand.")
    def get(self, request):
        municipality = municipality_for(request, request.query_params.get("municipality"))
        return Response({"municipality": municipality.code, "rows": message_counts(municipality)})

