"""The resident's own API (/api/v1/me...): who they are, their places, their area alerts and their
preferences. Session or HTTP Basic authentication; every row is the caller's own."""

from allauth.account.models import EmailAddress
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import permissions, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from residents import services
from residents.areas import AreaError
from residents.models import AreaAlert, Place
from residents.serializers import AlertCreateSerializer, AlertSerializer, MeSerializer, PlaceSerializer, PreferencesSerializer

AREA_KEYS = ("ward", "suburb", "place", "radius_m")


def area_error(error: AreaError, *, inside: str = "") -> ValidationError:
    """A 400 naming the field: {"area": {"radius_m": [...]}} for a key of the area object, else {"field": [...]}."""
    if inside and error.field in AREA_KEYS:
        return ValidationError({inside: {error.field: [error.message]}})
    return ValidationError({error.field: [error.message]})


class ResidentView(APIView):
    permission_classes = [permissions.IsAuthenticated]


class MeView(ResidentView):
    @extend_schema(responses={200: MeSerializer}, summary="The logged-in resident")
    def get(self, request):
        user = request.user
        home = user.places.filter(is_home=True).first()
        return Response(MeSerializer({
            "id": user.pk, "email": user.email, "phone": user.phone, "phone_verified": user.phone_verified,
            "email_verified": bool(user.email) and EmailAddress.objects.filter(user=user, email__iexact=user.email,
                                                                                verified=True).exists(),
            "full_name": user.full_name, "home": home,
        }).data)


class PlaceListView(ResidentView):
    @extend_schema(responses={200: PlaceSerializer(many=True)}, summary="My places")
    def get(self, request):
        return Response(PlaceSerializer(request.user.places.all(), many=True).data)

    @extend_schema(request=PlaceSerializer, responses={201: PlaceSerializer}, summary="Save a place")
    def post(self, request):
        serializer = PlaceSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            place = services.place_create(user=request.user, **serializer.validated_data)
        except AreaError as error:
            raise area_error(error) from None
        return Response(PlaceSerializer(place).data, status=status.HTTP_201_CREATED)


class PlaceView(ResidentView):
    @extend_schema(responses={204: OpenApiResponse(description="Deleted, with the alerts around it.")},
                   summary="Delete a place")
    def delete(self, request, pk: int):
        services.place_delete(place=get_object_or_404(Place, pk=pk, user=request.user))
        return Response(status=status.HTTP_204_NO_CONTENT)


class AlertListView(ResidentView):
    @extend_schema(responses={200: AlertSerializer(many=True)}, summary="My area alerts")
    def get(self, request):
        return Response(AlertSerializer(request.user.alerts.select_related("municipality", "ward"), many=True).data)

    @extend_schema(request=AlertCreateSerializer, responses={201: AlertSerializer}, summary="Subscribe to an area")
    def post(self, request):
        serializer = AlertCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            alert = services.alert_create(user=request.user, **serializer.validated_data)
        except AreaError as error:
            raise area_error(error, inside="area") from None
        return Response(AlertSerializer(alert).data, status=status.HTTP_201_CREATED)


class AlertView(ResidentView):
    @extend_schema(responses={204: OpenApiResponse(description="Unsubscribed.")}, summary="Delete an area alert")
    def delete(self, request, pk: int):
        services.alert_delete(alert=get_object_or_404(AreaAlert, pk=pk, user=request.user))
        return Response(status=status.HTTP_204_NO_CONTENT)


class PreferencesView(ResidentView):
    @extend_schema(responses={200: PreferencesSerializer}, summary="How I want to hear from the municipality")
    def get(self, request):
        return Response(PreferencesSerializer(services.preferences_of(request.user)).data)

    @extend_schema(request=PreferencesSerializer, responses={200: PreferencesSerializer}, summary="Change my preferences")
    def put(self, request):
        serializer = PreferencesSerializer(services.preferences_of(request.user), data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        return Response(PreferencesSerializer(services.preferences_update(user=request.user,
                                                                          **serializer.validated_data)).data)
