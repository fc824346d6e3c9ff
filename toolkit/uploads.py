"""What an uploaded file is, judged by its bytes, and photos cleaned before anyone may fetch them.

What a file is comes from its bytes, never from its name or the browser's content type: the
`filetype` package reads the signature, then photos are decoded for real by Pillow (restricted to
the one format the signature named) and PDFs must start with `%PDF-`. Anything else is refused
with the type that was found.

Photos are never stored as uploaded: their EXIF GPS position is read first (for the caller to
keep privately or drop), the EXIF orientation is applied, colours are converted to sRGB, and the
pixels are encoded again with no EXIF, XMP, ICC profile or comment. PDFs get a first-page preview
image (pypdfium2). Issue media (triage.media) and notice attachments (notices) both use this module.
"""

import io
import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass

import filetype
from django.contrib.gis.geos import Point
from django.utils.translation import gettext as _
from PIL import Image, ImageCms

from toolkit.conf import DEFAULTS, imbizo_setting, storage_srid
from toolkit.images import too_many_pixels

logger = logging.getLogger(__name__)

IMAGE, VIDEO, AUDIO, PDF = "image", "video", "audio", "pdf"

# The signatures `filetype` reports that we take, with the kind and the content type we store and
# serve (filetype says audio/x-wav; browsers and RFC 2361 agree on audio/wav).
ACCEPTED: dict[str, tuple[str, str]] = {
    "image/jpeg": (IMAGE, "image/jpeg"),
    "image/png": (IMAGE, "image/png"),
    "image/webp": (IMAGE, "image/webp"),
    "video/mp4": (VIDEO, "video/mp4"),
    "video/webm": (VIDEO, "video/webm"),
    "audio/mpeg": (AUDIO, "audio/mpeg"),
    "audio/ogg": (AUDIO, "audio/ogg"),
    "audio/mp4": (AUDIO, "audio/mp4"),
    "audio/x-wav": (AUDIO, "audio/wav"),
    "application/pdf": (PDF, "application/pdf"),
}
PILLOW_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}

THUMBNAIL_SIDE = 320
SIGNATURE_BYTES = 8192  # as much as filetype reads

# EXIF tags: the GPS sub-IFD and its latitude/longitude with their N/S and E/W references; the
# orientation tag and the transpose that puts each of its eight values upright.
EXIF_GPS_IFD = 0x8825
GPS_LATITUDE_REF, GPS_LATITUDE, GPS_LONGITUDE_REF, GPS_LONGITUDE = 1, 2, 3, 4
EXIF_ORIENTATION = 0x0112
UPRIGHT = {
    2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180, 4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE, 6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


class UploadRefused(ValueError):
    """The file is not taken: the message says why; `field` is the input at fault (`file` mostly)."""

    def __init__(self, message: str, field: str = "file"):
        super().__init__(message)
        self.field = field


def kind_names() -> dict[str, str]:
    return {IMAGE: _("photo"), VIDEO: _("video"), AUDIO: _("audio file"), PDF: _("PDF")}


def what_is_accepted(kinds) -> str:
    """The accepted kinds in words, for a refusal."""
    words = {IMAGE: _("a photo (JPEG, PNG, WebP)"), VIDEO: _("a video (MP4, WebM)"),
             AUDIO: _("audio (MP3, OGG, M4A, WAV)"), PDF: _("a PDF")}
    named = [words[kind] for kind in (IMAGE, VIDEO, AUDIO, PDF) if kind in kinds]
    return named[0] if len(named) == 1 else _("%(some)s or %(last)s") % {"some": ", ".join(named[:-1]), "last": named[-1]}


def upload_limits() -> dict[str, int]:
    """The largest upload per kind, in bytes (IMBIZO["MEDIA_LIMITS"])."""
    return {**DEFAULTS["MEDIA_LIMITS"], **imbizo_setting("MEDIA_LIMITS")}


def human_size(size: int) -> str:
    if size >= 2**20:
        return f"{size / 2**20:.1f}".removesuffix(".0") + " MB"
    if size >= 2**10:
        return f"{size / 2**10:.1f}".removesuffix(".0") + " KB"
    return f"{size} bytes"


# --- what a file is ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Detected:
    kind: str
    content_type: str


def detect(upload, kinds=(IMAGE, VIDEO, AUDIO, PDF)) -> Detected:
    """The kind and content type of an upload, from its first bytes, if it is one of `kinds`;
    UploadRefused otherwise."""
    upload.seek(0)
    head = upload.read(SIGNATURE_BYTES)
    upload.seek(0)
    if not head:
        raise UploadRefused(_("The file is empty."))
    try:
        found = filetype.guess(head)
    except Exception:  # a matcher tripping on odd bytes: treat as unrecognised
        found = None
    if found is None or found.mime not in ACCEPTED or ACCEPTED[found.mime][0] not in kinds:
        raise UploadRefused(_("The file's content is %(found)s, whatever its name says; send %(accepted)s.")
                            % {"found": describe(head, found), "accepted": what_is_accepted(kinds)})
    kind, content_type = ACCEPTED[found.mime]
    if kind == PDF and not head.startswith(b"%PDF-"):
        raise UploadRefused(_("The file does not start with a PDF header (%PDF-): it is not a PDF document."))
    return Detected(kind=kind, content_type=content_type)


def describe(head: bytes, found) -> str:
    """Name what was found, for the refusal message."""
    if found is not None:
        return f"{found.extension.upper()} ({found.mime})"
    start = head[:2048].removeprefix(b"\xef\xbb\xbf").lstrip().lower()
    if start.startswith(b"#!"):
        return _("a script (text)")
    if b"<svg" in start:
        return _("an SVG drawing (image/svg+xml), which can carry scripts")
    if start.startswith((b"<!doctype html", b"<html", b"<head", b"<body", b"<script")) or b"<html" in start:
        return _("an HTML page (text/html)")
    if start.startswith(b"<?xml"):
        return _("XML (text/xml)")
    sample = head[:2048]
    if any(byte < 0x20 and byte not in b"\t\n\f\r" for byte in sample):
        return _("of an unrecognised type")
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as exc:
        if len(sample) < len(head) and len(sample) - exc.start <= 3:
            return _("plain text")  # only a character cut at the end of the sample
        return _("of an unrecognised type")
    return _("plain text")


def check_size(size: int, kind: str, limits: Mapping[str, int] | None = None) -> None:
    limit = (limits or upload_limits())[kind]
    if size > limit:
        raise UploadRefused(_("The file is %(size)s; a %(kind)s may be at most %(limit)s.")
                            % {"size": human_size(size), "kind": kind_names()[kind], "limit": human_size(limit)})


# --- photos -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Photo:
    data: bytes
    width: int
    height: int
    thumbnail: bytes
    location: Point | None


def check_pixels(image) -> None:
    """Refuse a photo with too many pixels from its header, before anything decodes them."""
    message = too_many_pixels(image.width, image.height)
    if message:
        raise UploadRefused(message)


def open_image(upload, content_type: str):
    upload.seek(0)
    return Image.open(upload, formats=[PILLOW_FORMATS[content_type]])


def unreadable(content_type: str, exc: Exception) -> UploadRefused:
    if isinstance(exc, Image.DecompressionBombError):
        return UploadRefused(_("The photo has too many pixels to decode safely (%(error)s).") % {"error": exc})
    logger.info("photo refused: %r", exc)
    name = PILLOW_FORMATS[content_type].replace("WEBP", "WebP")
    return UploadRefused(_("The file could not be read as a %(format)s photo: it is damaged or truncated (%(error)s).")
                         % {"format": name, "error": exc})


def process_photo(upload, content_type: str) -> Photo:
    """Decode the photo fully, read its GPS position, and encode it again upright and bare."""
    try:
        with open_image(upload, content_type) as probe:
            check_pixels(probe)
            probe.verify()
        with open_image(upload, content_type) as image:
            check_pixels(image)
            location = gps_point(image)
            orientation = _orientation(image)
            image.load()
            icc_profile = image.info.get("icc_profile")
            has_alpha = image.mode in ("RGBA", "LA", "PA", "La", "RGBa") or "transparency" in image.info
            upright = image.transpose(UPRIGHT[orientation]) if orientation in UPRIGHT else image.copy()
        upright = _to_srgb(upright, icc_profile)
        output_format = PILLOW_FORMATS[content_type]
        upright = _publishable_mode(upright, output_format, has_alpha)
        upright.info = {}  # nothing of the original's metadata goes out: not EXIF, XMP, ICC nor comments
        data = _encode(upright, output_format)
        thumbnail = make_thumbnail(upright)
    except UploadRefused:
        raise
    except Exception as exc:  # any decoder failure is a bad file, never a 500
        raise unreadable(content_type, exc) from None
    finally:
        upload.seek(0)
    return Photo(data=data, width=upright.width, height=upright.height, thumbnail=thumbnail, location=location)


def _orientation(image) -> int:
    try:
        return int(image.getexif().get(EXIF_ORIENTATION, 1))
    except Exception:  # garbage EXIF: leave the pixels as stored
        return 1


def _to_srgb(image, icc_profile: bytes | None):
    """Convert to sRGB when the photo declares another colour space (phones write Display P3),
    so dropping the profile does not shift the colours. A broken profile is ignored."""
    if not icc_profile or image.mode not in ("RGB", "RGBA", "CMYK") or "transparency" in image.info:
        return image
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc_profile))
        output_mode = "RGB" if image.mode == "CMYK" else image.mode
        return ImageCms.profileToProfile(image, source, ImageCms.createProfile("sRGB"), outputMode=output_mode)
    except Exception:
        return image


def _publishable_mode(image, output_format: str, has_alpha: bool):
    """A mode the output format writes, keeping transparency where the format can."""
    if output_format == "JPEG":
        return image if image.mode in ("RGB", "L") else image.convert("RGB")
    if has_alpha:
        keep_alpha = ("RGBA", "LA") if output_format == "PNG" else ("RGBA",)
        return image if image.mode in keep_alpha and "transparency" not in image.info else image.convert("RGBA")
    keep = ("1", "L", "RGB") if output_format == "PNG" else ("RGB",)
    return image if image.mode in keep else image.convert("RGB")


def _encode(image, output_format: str) -> bytes:
    buffer = io.BytesIO()
    options = {"JPEG": {"quality": 90, "optimize": True}, "PNG": {"optimize": False}, "WEBP": {"quality": 90}}
    image.save(buffer, output_format, **options[output_format])
    return buffer.getvalue()


def make_thumbnail(image, side: int = THUMBNAIL_SIDE) -> bytes:
    """A JPEG at most `side` pixels wide and high, transparency on white, with no metadata."""
    small = image.copy()
    small.thumbnail((side, side))
    if small.mode in ("RGBA", "LA"):
        background = Image.new("RGB", small.size, "white")
        background.paste(small, mask=small.getchannel("A"))
        small = background
    small = small.convert("RGB")
    small.info = {}
    buffer = io.BytesIO()
    small.save(buffer, "JPEG", quality=80, optimize=True)
    return buffer.getvalue()


def pdf_preview(upload, side: int = THUMBNAIL_SIDE * 2) -> bytes:
    """The first page of a PDF as a JPEG (pypdfium2 renders it); UploadRefused when it cannot be read."""
    import pypdfium2

    upload.seek(0)
    data = upload.read()
    upload.seek(0)
    try:
        document = pypdfium2.PdfDocument(data)
        try:
            if len(document) == 0:
                raise UploadRefused(_("The PDF has no pages."))
            page = document[0]
            width, height = page.get_size()
            scale = min(side / max(width, height, 1), 4)
            image = page.render(scale=scale).to_pil()
            page.close()
        finally:
            document.close()
    except UploadRefused:
        raise
    except Exception as exc:  # a damaged or encrypted PDF is a bad file, never a 500
        raise UploadRefused(_("The file could not be read as a PDF document (%(error)s).") % {"error": exc}) from None
    return make_thumbnail(image, side)


def gps_point(image) -> Point | None:
    """Where the EXIF says the photo was taken, or None when it does not say or says nonsense."""
    try:
        gps = image.getexif().get_ifd(EXIF_GPS_IFD)
        latitude = _signed_degrees(gps.get(GPS_LATITUDE), gps.get(GPS_LATITUDE_REF), {"N": 1, "S": -1})
        longitude = _signed_degrees(gps.get(GPS_LONGITUDE), gps.get(GPS_LONGITUDE_REF), {"E": 1, "W": -1})
    except Exception:  # a damaged EXIF block: no position, the photo itself may still be fine
        return None
    if latitude is None or longitude is None:
        return None
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None
    if latitude == 0 and longitude == 0:  # receivers without a fix write zeros
        return None
    return Point(longitude, latitude, srid=storage_srid())


def _signed_degrees(value, reference, signs: dict[str, int]) -> float | None:
    """Degrees, minutes, seconds (EXIF rationals) and a hemisphere letter, as signed degrees.
    Without the letter the sign is unknown, and south of the equator a guess of north is 3,000 km out."""
    if isinstance(reference, bytes):
        reference = reference.decode("ascii", "ignore")
    if not isinstance(reference, str):
        return None
    sign = signs.get(reference.strip("\x00 ").upper()[:1])
    if sign is None or not isinstance(value, tuple | list) or not 1 <= len(value) <= 3:
        return None
    parts = [float(part) for part in value]
    if not all(math.isfinite(part) and part >= 0 for part in parts):  # a zero denominator reads as NaN
        return None
    degrees, minutes, seconds = (*parts, 0.0, 0.0)[:3]
    if minutes >= 60 or seconds >= 60:
        return None
    return sign * (degrees + minutes / 60 + seconds / 3600)
