"""Files on issues, in the API: list and upload (/api/v1/issues/<reference>/media), and the GPS
position a photo carries (/api/v1/photo-location). Thin: the rules live in triage.media."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from toolkit.api import WriteThrottle, bad_parameter
from triage.issues import permissions
from triage.issues.api import issue_or_404, refused
from triage.media.files import MediaRefused, human_size, largest_upload, photo_location
from triage.media.models import Media
from triage.media.selectors import media_file_url, media_thumbnail_url, media_visible_to
from triage.media.services import media_attach

TRACKING_KEY = OpenApiParameter(
    "X-Tracking-Key", str, location=OpenApiParameter.HEADER, required=False,
    description="The secret the reporter was given when reporting: lets an anonymous reporter act on the issue.",
)
# Multipart framing around the file: generous, since the per-kind limit is checked on the file itself.
MULTIPART_SLACK = 2**20


class MediaUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="A photo (JPEG, PNG, WebP), video (MP4, WebM), audio (MP3, OGG, M4A, WAV) "
                                           "or PDF. The type is read from the content, not the name.")
    comment = serializers.IntegerField(required=False, allow_null=True, default=None, min_value=1,
                                       help_text="Attach to this comment of the same issue.")
    internal = serializers.BooleanField(required=False, default=False, help_text="Staff only: never shown publicly.")


class PhotoUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="A photo; nothing is stored.")


class LatLonSerializer(serializers.Serializer):
    lat = serializers.FloatField()
    lon = serializers.FloatField()


def lat_lon(point) -> dict | None:
    return None if point is None else {"lat": round(point.y, 6), "lon": round(point.x, 6)}


class MediaSerializer(serializers.Serializer):
    """One file as the API shows it. Never its EXIF position."""

    id = serializers.IntegerField()
    # A plain string, not an enum: drf-spectacular would name the enum "KindEnum", which collides with
    # other "kind" fields (issues, categories) and warns.
    kind = serializers.CharField(help_text=f"One of: {', '.join(Media.Kind.values)}.")
    content_type = serializers.CharField()
    size = serializers.IntegerField(help_text="Bytes, as served.")
    width = serializers.IntegerField(allow_null=True)
    height = serializers.IntegerField(allow_null=True)
    url = serializers.SerializerMethodField()
    thumbnail_url = serializers.SerializerMethodField()
    comment = serializers.IntegerField(source="comment_id", allow_null=True)
    internal = serializers.BooleanField(source="is_internal")
    created_at = serializers.DateTimeField()

    @extend_schema_field(OpenApiTypes.STR)
    def get_url(self, media) -> str:
        return media_file_url(media.pk)

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_thumbnail_url(self, media) -> str | None:
        return media_thumbnail_url(media.pk, media.thumbnail.name)


class UploadedMediaSerializer(MediaSerializer):
    photo_location = serializers.SerializerMethodField(
        help_text="Where the photo's EXIF says it was taken: offered to the uploader as the pin, never published.")

    @extend_schema_field(LatLonSerializer(allow_null=True))
    def get_photo_location(self, media) -> dict | None:
        return lat_lon(media.gps_location)


class PhotoLocationSerializer(serializers.Serializer):
    location = LatLonSerializer(allow_null=True)


def refuse_oversized_body(request) -> None:
    """Refuse from the Content-Length alone, before a too-large body is read into a temporary file."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return
    if length > largest_upload() + MULTIPART_SLACK:
        raise bad_parameter("file", f"The upload is {human_size(length)}; no file may be larger than "
                                    f"{human_size(largest_upload())}.")


class IssueMediaView(APIView):
    """GET: the issue's files the viewer may see. POST: add a file (the reporter or municipal staff)."""

    parser_classes = [MultiPartParser, FormParser]
    throttle_classes = [WriteThrottle]
    throttle_scope = "media"

    @extend_schema(description="The issue's files this viewer may see: internal ones to staff only; those of an issue "
                               "in a private category to its reporter and staff only. Never a photo's EXIF position.",
                   parameters=[TRACKING_KEY], responses={200: MediaSerializer(many=True),
                                                         404: OpenApiResponse(description="No such reference.")})
    def get(self, request, reference):
        issue = issue_or_404(reference)
        media = media_visible_to(request.user, issue, tracking_key=request.headers.get("X-Tracking-Key", ""))
        return Response(MediaSerializer(media, many=True).data)

    @extend_schema(
        description="Add a photo, video, audio file or PDF (the reporter, by account or X-Tracking-Key, or municipal "
                    "staff). Photos are stored re-encoded without EXIF; the response alone offers the photo's GPS "
                    "position as `photo_location`.",
        request={"multipart/form-data": MediaUploadSerializer},
        parameters=[TRACKING_KEY],
        responses={201: UploadedMediaSerializer,
                   400: OpenApiResponse(description="Field-level errors: a type not taken, too large, too many files."),
                   403: OpenApiResponse(description="Neither the reporter nor staff who act on the issue."),
                   404: OpenApiResponse(description="No such reference.")},
    )
    def post(self, request, reference):
        issue = issue_or_404(reference)
        user = request.user
        if not permissions.can_attach_media(user, issue, request.headers.get("X-Tracking-Key", "")):
            raise PermissionDenied("Only the reporter (logged in, or sending the X-Tracking-Key header), the "
                                   "municipality's dispatchers and the issue's department may add files to an issue.")
        refuse_oversized_body(request)
        form = MediaUploadSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        sees_internal = permissions.can_see_internal(user, issue)
        if data["internal"] and not sees_internal:
            raise PermissionDenied("Only municipal staff may add internal files.")
        comment = None
        if data["comment"] is not None:
            comments = issue.comments.all() if sees_internal else issue.comments.filter(is_internal=False)
            comment = comments.filter(pk=data["comment"]).first()
            if comment is None:
                raise bad_parameter("comment", f"{issue.reference} has no comment {data['comment']}.")
        try:
            media = media_attach(issue=issue, upload=data["file"], uploaded_by=user, comment=comment,
                                 internal=data["internal"])
        except MediaRefused as exc:
            raise refused(exc) from None
        return Response(UploadedMediaSerializer(media).data, status=status.HTTP_201_CREATED,
                        headers={"Location": media_file_url(media.pk)})


class PhotoLocationView(APIView):
    """Where a photo was taken, from its EXIF GPS, to offer as the pin before reporting. Nothing is
    stored; `location` is null when the photo does not say (or says nonsense)."""

    parser_classes = [MultiPartParser, FormParser]
    throttle_classes = [WriteThrottle]
    throttle_scope = "media"  # decoding a photo costs as much as storing one

    @extend_schema(request={"multipart/form-data": PhotoUploadSerializer},
                   responses={200: PhotoLocationSerializer,
                              400: OpenApiResponse(description="Not a file that would be accepted.")})
    def post(self, request):
        refuse_oversized_body(request)
        form = PhotoUploadSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        try:
            point = photo_location(upload=form.validated_data["file"])
        except MediaRefused as exc:
            raise refused(exc) from None
        return Response({"location": lat_lon(point)})
