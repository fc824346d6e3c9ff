"""The one check of a report's fields, for the REST API, forms and Open311 alike: every bad field
named at once (a 400 body), the category read with everything filing needs."""

from collections.abc import Mapping

from django.utils.translation import gettext as _
from rest_framework import serializers

from accounts.services import normalise_phone
from triage.intake.services import InvalidReport, validate_answers
from triage.issues.models import Category, Channel
from triage.issues.permissions import can_log_staff_issue

CHANNELS = [channel.value for channel in Channel if channel != Channel.IMPORT]
STAFF_CHANNELS = {Channel.STAFF, Channel.PHONE, Channel.WALK_IN, Channel.SMS}


class ReportSerializer(serializers.Serializer):
    """A report as a resident's app, a form or an integrator sends it. `context["user"]` is who
    sends it (None when anonymous): only municipal staff may use the staff channels."""

    default_error_messages = {"invalid": "Expected an object of the report's fields, not {datatype}."}

    category = serializers.IntegerField(help_text="A category id from /api/v1/categories.")
    lat = serializers.FloatField(min_value=-90, max_value=90)
    lon = serializers.FloatField(min_value=-180, max_value=180)
    description = serializers.CharField(required=False, allow_blank=True, max_length=5000, default="")
    address = serializers.CharField(required=False, allow_blank=True, max_length=255, default="")
    answers = serializers.DictField(required=False, default=dict,
                                    help_text="Answers to the category's questions by question code.")
    channel = serializers.ChoiceField(choices=CHANNELS, required=False, default=Channel.WEB)
    reporter_name = serializers.CharField(required=False, allow_blank=True, max_length=150, default="")
    reporter_phone = serializers.CharField(required=False, allow_blank=True, max_length=30, default="")
    reporter_email = serializers.EmailField(required=False, allow_blank=True, max_length=254, default="")
    media_url = serializers.URLField(required=False, allow_blank=True, max_length=200, default="")

    def to_internal_value(self, data):
        if not isinstance(data, Mapping):
            raise serializers.ValidationError(
                {"non_field_errors": [self.error_messages["invalid"].format(datatype=type(data).__name__)]})
        return super().to_internal_value(data)

    def validate_category(self, value: int) -> Category:
        category = Category.objects.for_intake().filter(pk=value).first() if 0 < value < 2**63 else None
        if category is None:
            raise serializers.ValidationError(_("No category has the id %(id)s.") % {"id": value})
        self.municipality = category.municipality  # whose way of writing phone numbers applies
        return category

    def validate_reporter_phone(self, value: str) -> str:
        if not value:
            return value
        municipality = getattr(self, "municipality", None)
        try:
            return normalise_phone(value, country=municipality.country if municipality else None)
        except ValueError as exc:
            raise serializers.ValidationError(f"{exc}.") from None

    def validate(self, attrs: dict) -> dict:
        category, user = attrs["category"], self.context.get("user")
        if attrs["channel"] in STAFF_CHANNELS and not can_log_staff_issue(user, category.municipality):
            raise serializers.ValidationError(
                {"channel": [f"Only municipal staff may log issues by channel '{attrs['channel']}'."]})
        try:
            attrs["answers"] = validate_answers(category, attrs["answers"])
        except InvalidReport as exc:
            raise serializers.ValidationError(exc.errors) from None
        return attrs
