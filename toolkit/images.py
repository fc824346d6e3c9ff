"""Images people upload, sized up from their header before Pillow decodes a single pixel: a 107 KB
PNG can declare 9,400 × 9,400 pixels, and decoding it took 4.7 s and 252 MB."""

from django.core.exceptions import ValidationError
from PIL import Image

from toolkit.conf import imbizo_setting


def too_many_pixels(width: int, height: int) -> str | None:
    """Why an image of this size is refused, or None when it is small enough (IMBIZO["IMAGE_MAX_PIXELS"])."""
    limit = imbizo_setting("IMAGE_MAX_PIXELS")
    if width * height <= limit:
        return None
    return (f"The image is {width:,} × {height:,} pixels; at most {limit:,} pixels "
            f"({limit / 1e6:g} megapixels) are taken.")


def validate_pixel_count(value) -> None:
    """A validator for ImageFields: refuse a new upload whose header declares too many pixels."""
    if getattr(value, "_committed", True):  # a file already stored was checked when it came in
        return
    upload = value.file
    upload.seek(0)
    try:
        with Image.open(upload) as image:  # reads the header only
            size = image.size
    except Exception:  # not an image, or one Pillow itself refuses: the form's ImageField says so
        return
    finally:
        upload.seek(0)
    message = too_many_pixels(*size)
    if message:
        raise ValidationError(message, code="too_many_pixels")
