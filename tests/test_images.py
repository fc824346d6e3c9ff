"""Images uploaded through the admin (municipality logos, facility photos) are sized up from their
header and refused when too large, as issue photos are (triage/tests/test_media.py)."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.forms import modelform_factory
from PIL import Image

from assets.models import FacilityPhoto
from tests.support import huge_png
from wards.models import Municipality


def small_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 32), "green").save(buffer, "PNG")
    return buffer.getvalue()


@pytest.mark.parametrize(("model", "field"), [(Municipality, "logo"), (FacilityPhoto, "image")])
def test_an_admin_image_with_too_many_pixels_is_refused_naming_the_field(model, field, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    form_class = modelform_factory(model, fields=[field])
    refused = form_class(data={}, files={field: SimpleUploadedFile("huge.png", huge_png(9400), "image/png")})
    assert refused.errors == {field: ["The image is 9,400 × 9,400 pixels; at most 50,000,000 pixels "
                                      "(50 megapixels) are taken."]}
    taken = form_class(data={}, files={field: SimpleUploadedFile("small.png", small_png(), "image/png")})
    assert taken.is_valid(), taken.errors
