"""What the directory's API and pages show of contacts, documents and feed items (read-only)."""

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from directory.phones import phone_display


def whatsapp_link(e164: str) -> str:
    return f"https://wa.me/{e164.lstrip('+')}" if e164 else ""


class WardSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.IntegerField()
    code = serializers.CharField()
    year = serializers.IntegerField(source="boundary_set.year")


class ContactSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    municipality = serializers.CharField(source="municipality.code")
    kind = serializers.CharField()
    kind_name = serializers.CharField(source="get_kind_display")
    name = serializers.CharField()
    role = serializers.CharField()
    description = serializers.CharField()
    phone = serializers.CharField(help_text="E.164, e.g. +27164923000 ('' when none).")
    phone_display = serializers.SerializerMethodField()
    phone_other = serializers.CharField()
    whatsapp = serializers.CharField()
    whatsapp_url = serializers.SerializerMethodField()
    email = serializers.CharField()
    website = serializers.CharField()
    address = serializers.CharField()
    location = serializers.SerializerMethodField()
    opening_hours = serializers.CharField()
    ward = WardSummarySerializer(allow_null=True)
    photo_url = serializers.SerializerMethodField()
    thumbnail_url = serializers.SerializerMethodField()
    is_generated = serializers.BooleanField()

    def get_phone_display(self, contact) -> str:
        return phone_display(contact.phone, country=contact.municipality.country)

    def get_whatsapp_url(self, contact) -> str:
        return whatsapp_link(contact.whatsapp)

    @extend_schema_field({"type": "object", "nullable": True, "properties": {
        "lat": {"type": "number"}, "lon": {"type": "number"}}})
    def get_location(self, contact):
        return {"lat": contact.location.y, "lon": contact.location.x} if contact.location else None

    def get_photo_url(self, contact) -> str:
        return contact.photo.url if contact.photo else ""

    def get_thumbnail_url(self, contact) -> str:
        return contact.photo_thumbnail.url if contact.photo_thumbnail else ""


def download_url(version) -> str:
    return reverse("document-download", args=[version.document_id, version.number])


class VersionSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    kind = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    note = serializers.CharField()
    uploaded_at = serializers.DateTimeField()
    download_count = serializers.IntegerField()
    download_url = serializers.SerializerMethodField()
    thumbnail_url = serializers.SerializerMethodField()

    def get_download_url(self, version) -> str:
        return download_url(version)

    def get_thumbnail_url(self, version) -> str:
        return version.thumbnail.url if version.thumbnail else ""


class DocumentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    municipality = serializers.CharField(source="municipality.code")
    category = serializers.CharField()
    category_name = serializers.CharField(source="get_category_display")
    title = serializers.CharField()
    description = serializers.CharField()
    tags = serializers.ListField(child=serializers.CharField())
    published_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField(allow_null=True)
    current_version = VersionSerializer()
    page_url = serializers.SerializerMethodField()

    def get_page_url(self, document) -> str:
        return reverse("document-page", args=[document.municipality.code, document.pk])


class DocumentDetailSerializer(DocumentSerializer):
    versions = serializers.SerializerMethodField()

    @extend_schema_field(VersionSerializer(many=True))
    def get_versions(self, document):
        return VersionSerializer(document.versions.order_by("-number"), many=True).data


class FeedItemSerializer(serializers.Serializer):
    feed = serializers.CharField(source="feed.title")
    feed_kind = serializers.CharField(source="feed.kind")
    title = serializers.CharField()
    summary = serializers.CharField()
    link = serializers.CharField()
    image_url = serializers.CharField()
    published_at = serializers.DateTimeField()

