"""Demo notices for every demo municipality (fixtures/demo/notices.json): one covering the whole
municipality, one of each kind for chosen suburbs, wards, a line, a point or a drawn area, and one
with a PDF and an image, both generated here. Published through the services, with the messages
recorded and never sent (the demo's residents have made-up addresses). Safe to run again: a
municipality that has notices is left alone."""

import io
from datetime import timedelta

from django.contrib.gis.geos import LineString, Point, Polygon
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw

from accounts.models import Department
from notices import notice_services
from notices.notice import Notice
from notices.notice_targets import NoticeRefused
from notices.outbound import recording_only
from toolkit.conf import storage_srid
from toolkit.fixtures import demo_fixture
from wards.models import Municipality


def demo_load_notices(*, log=print) -> None:
    definitions = demo_fixture("notices")
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    for municipality in Municipality.objects.filter(code__in=[code for code in definitions if not code.startswith("_")]):
        if Notice.objects.filter(municipality=municipality).exists() or municipality.boundary is None:
            continue
        published = 0
        with recording_only():
            for definition in definitions[municipality.code]:
                try:
                    with transaction.atomic():
                        _publish(municipality, definition, now)
                    published += 1
                except NoticeRefused as refused:  # e.g. real boundaries without the demo's suburb names
                    log(f"Skipped the demo notice {definition['title']!r} for {municipality.code}: {refused}")
        log(f"Published {published} demo notices for {municipality.code}")


def _hours(now, hours):
    return None if hours is None else now + timedelta(hours=hours)


def _publish(municipality, definition: dict, now) -> Notice:
    srid = storage_srid()
    starts = _hours(now, definition.get("starts_in_hours"))
    ends = starts + timedelta(hours=definition["duration_hours"]) if starts and "duration_hours" in definition else None
    drawn = None
    if "polygon" in definition:
        drawn = Polygon(definition["polygon"], srid=srid)
    elif "line" in definition:
        drawn = LineString(definition["line"], srid=srid)
    elif "point" in definition:
        drawn = Point(*definition["point"], srid=srid)
    notice = notice_services.notice_write(
        municipality=municipality, actor=None, title=definition["title"], body=definition["body"],
        kind=definition["kind"], severity=definition.get("severity", Notice.Severity.INFO), starts_at=starts, ends_at=ends,
        expires_at=_hours(now, definition.get("expires_in_hours")) or (ends + timedelta(hours=12) if ends else None),
        department=Department.objects.filter(municipality=municipality, code=definition.get("department", "")).first(),
        target=definition["target"], drawn=drawn, radius_m=definition.get("radius_m"),
        wards=municipality.wards.current().filter(number__in=definition.get("wards", [])),
        suburbs=municipality.suburbs.filter(name__in=definition.get("suburbs", [])),
    )
    for kind in definition.get("attachments", []):
        upload = _demo_pdf(definition["title"]) if kind == "pdf" else _demo_image(definition["title"])
        notice_services.notice_attach(notice=notice, upload=upload)
    return notice_services.notice_publish(notice=notice, actor=None, now=now - timedelta(hours=1))


def _demo_pdf(title: str) -> SimpleUploadedFile:
    page = Image.new("RGB", (595, 842), "white")
    draw = ImageDraw.Draw(page)
    draw.rectangle([40, 40, 555, 110], fill="#1b6e3a")
    draw.text((60, 65), "MUNICIPAL NOTICE", fill="white")
    for line, text in enumerate([title, "", "Schedule and affected streets:", "- 09:00 supply off", "- 15:00 supply restored"]):
        draw.text((60, 150 + 24 * line), text, fill="black")
    buffer = io.BytesIO()
    page.save(buffer, "PDF", resolution=72)
    return SimpleUploadedFile("notice.pdf", buffer.getvalue(), "application/pdf")


def _demo_image(title: str) -> SimpleUploadedFile:
    image = Image.new("RGB", (800, 500), "#dfe8ee")
    draw = ImageDraw.Draw(image)
    draw.line([(0, 250), (800, 250)], fill="#7d8b96", width=18)
    draw.ellipse([360, 200, 440, 300], outline="#b3261e", width=8)
    draw.text((20, 20), title[:70], fill="black")
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return SimpleUploadedFile("map.png", buffer.getvalue(), "image/png")
