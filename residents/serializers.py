"""What the residents' API reads and writes. A resident's own data only: nothing here is public."""

from django.contrib.gis.geos import Point
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework_gis.fields import GeometryField

from residents.models import AreaAlert, Place, Preferences
from residents.selectors import areas_at
from wards.models import Municipality


class PointField(GeometryField):
    def to_internal_value(self, value):
        geom = super().to_internal_value(value)
        if not isinstance(geom, Point):
            raise serializers.ValidationError("Give a GeoJSON Point.")
        if not (-180 <= geom.x <= 180 and -90 <= geom.y <= 90):
            raise serializers.ValidationError("The point's longitude and latitude are out of range.")
        return geom


class AreasAt(serializers.Serializer):
    municipality = serializers.DictField(allow_null=True)
    ward = serializers.DictField(allow_null=True)
    suburb = serializers.DictField(allow_null=True)


class PlaceSerializer(serializers.ModelSerializer):
    point = PointField()
    areas = serializers.SerializerMethodField(help_text="The municipality, current ward and suburb at the point, "
                                                        "derived now (a new demarcation re-derives them).")

    class Meta:
        model = Place
        fields = ["id", "name", "is_home", "point", "address", "areas", "created_at"]
        read_only_fields = ["id", "areas", "created_at"]
        extra_kwargs = {"name": {"required": True}}
        validators = []  # the name's uniqueness is checked by place_create, naming the field

    def get_areas(self, place) -> AreasAt:
        return areas_at(place.point)


class AlertSerializer(serializers.ModelSerializer):
    area = GeometryField(read_only=True)
    municipality = serializers.SlugRelatedField(slug_field="code", read_only=True)
    ward = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = AreaAlert
        fields = ["id", "source", "municipality", "ward", "suburb", "place", "radius_m", "area", "issues",
                  "notices", "digest", "confirmed_at", "created_at"]
        read_only_fields = fields


class AlertCreateSerializer(serializers.Serializer):
    area = serializers.JSONField(help_text='A GeoJSON Polygon or MultiPolygon, {"ward": "<code>"}, {"suburb": <id>} '
                                           'or {"place": <id>, "radius_m": <50-20000>}.')
    municipality = serializers.SlugRelatedField(slug_field="code", queryset=Municipality.objects.all(), required=False,
                                                help_text="Needed for a drawn area; otherwise taken from the area.")
    issues = serializers.BooleanField(default=True)
    notices = serializers.BooleanField(default=True)
    digest = serializers.ChoiceField(choices=AreaAlert.Digest.choices, default=AreaAlert.Digest.EACH)


@extend_schema_field({"type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$", "example": "21:00",
                     "description": "A wall-clock time in the municipality's time zone (no offset)."})
class LocalTimeField(serializers.TimeField):
    def __init__(self, **kwargs):
        super().__init__(format="%H:%M", input_formats=["%H:%M", "%H:%M:%S"], **kwargs)


class PreferencesSerializer(serializers.ModelSerializer):
    quiet_start = LocalTimeField(allow_null=True, required=False)
    quiet_end = LocalTimeField(allow_null=True, required=False)

    class Meta:
        model = Preferences
        fields = ["by_email", "by_sms", "by_push", "my_issues", "area_alerts", "notices", "quiet_start",
                  "quiet_end", "language"]

    def validate(self, data):
        start = data.get("quiet_start", getattr(self.instance, "quiet_start", None))
        end = data.get("quiet_end", getattr(self.instance, "quiet_end", None))
        if (start is None) != (end is None):
            raise serializers.ValidationError({"quiet_end": ["Give both ends of the quiet hours, or neither."]})
        return data


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField(allow_null=True)
    email_verified = serializers.BooleanField()
    phone = serializers.CharField(allow_null=True)
    phone_verified = serializers.BooleanField()
    full_name = serializers.CharField(allow_blank=True)
    home = PlaceSerializer(allow_null=True)


