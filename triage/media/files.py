"""Photos, short videos, voice notes and PDFs on an issue: the content checks of toolkit.uploads
(what a file is by its bytes, size limits, photos re-encoded without metadata), raising
MediaRefused, an ActionRefused the issue APIs answer with a field-level 400.

A photo's EXIF GPS position is read before it is re-encoded (into `Media.gps_location`, offered
to the reporter as the pin, never published). Videos, audio and PDFs are stored as uploaded; they
are served with their detected content type and `nosniff`, so a browser never reinterprets them.
"""

import contextlib

from django.conf import settings
from django.contrib.gis.geos import Point

from toolkit import uploads
from toolkit.uploads import Detected, Photo, gps_point, human_size  # noqa: F401 - the public names of this module
from triage.issues.services import ActionRefused
from triage.media.models import Media

DEFAULT_PER_ISSUE = 10


class MediaRefused(ActionRefused):
    """The file is not taken: the message says why; `field` is the input at fault (`file` mostly)."""

    def __init__(self, message: str, field: str = "file"):
        super().__init__(message, field)


@contextlib.contextmanager
def _refused_as_media():
    try:
        yield
    except uploads.UploadRefused as refused:
        raise MediaRefused(str(refused), refused.field) from None


def media_limits() -> dict[str, int]:
    return uploads.upload_limits()


def media_per_issue() -> int:
    return settings.IMBIZO.get("MEDIA_PER_ISSUE", DEFAULT_PER_ISSUE)


def largest_upload() -> int:
    return max(media_limits().values())


def detect(upload) -> Detected:
    """The kind and content type of an upload, from its first bytes; MediaRefused otherwise."""
    with _refused_as_media():
        return uploads.detect(upload)


def check_size(size: int, kind: str) -> None:
    with _refused_as_media():
        uploads.check_size(size, kind)


def process_photo(upload, content_type: str) -> Photo:
    """Decode the photo fully, read its GPS position, and encode it again upright and bare."""
    with _refused_as_media():
        return uploads.process_photo(upload, content_type)


def photo_location(*, upload) -> Point | None:
    """The GPS position a photo's EXIF carries, to offer as the pin: nothing is stored. Video,
    audio and PDFs carry none (None); files that would not be accepted are refused the same way."""
    detected = detect(upload)
    if detected.kind != Media.Kind.IMAGE:
        return None
    check_size(upload.size, detected.kind)
    with _refused_as_media():
        try:
            with uploads.open_image(upload, detected.content_type) as image:
                uploads.check_pixels(image)
                return gps_point(image)
        except uploads.UploadRefused:
            raise
        except Exception as exc:
            raise uploads.unreadable(detected.content_type, exc) from None
        finally:
            upload.seek(0)
