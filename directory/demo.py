"""Demo directory, seeded and repeatable (fixtures/demo/directory.json).

Generated (is_generated): a councillor and a ward committee of ten for every current ward, with names
drawn from common South African first names and surnames; the numbers of departments, services,
offices, after-hours and emergency lines (department names are the municipalities' real business
units); tariff, by-law, IDP and form PDFs made at load time (fpdf2), a short council meeting video,
and the news items of a recorded feed file (the feed itself is not polled: the demo needs no network).
"""

import random

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from directory.models import Contact, Document, Feed
from directory.pdfs import text_pdf
from directory.services.contacts import contact_create
from directory.services.documents import document_create
from directory.services.feeds import feed_ingest
from toolkit.fixtures import FIXTURES_DIR, demo_fixture
from wards.models import Municipality, Ward

COMMITTEE_SIZE = 10


def demo_load_directory(*, log=print) -> None:
    data = demo_fixture("directory")
    for municipality in Municipality.objects.exclude(boundary=None).order_by("code"):
        wards = list(Ward.objects.current().filter(municipality=municipality).order_by("number"))
        if not wards or Contact.objects.filter(municipality=municipality, is_generated=True).exists():
            continue
        log(f"Generating the directory of {municipality.code}: councillors and committees of {len(wards)} wards")
        _load_municipality(municipality, wards, data)


@transaction.atomic
def _load_municipality(municipality: Municipality, wards: list[Ward], data: dict) -> None:
    names = random.Random(f"directory-{municipality.code}")
    taken: set[str] = set()

    def person() -> str:
        while True:
            name = f"{names.choice(data['first_names'])} {names.choice(data['surnames'])}"
            if name not in taken or len(taken) > 700:
                taken.add(name)
                return name

    def mobile() -> str:
        return f"08{names.choice('2347')} {names.randint(100, 999)} {names.randint(1000, 9999)}"

    for ward in wards:
        contact_create(municipality=municipality, kind="councillor", name=person(), ward=ward, is_generated=True,
                       role=f"Ward {ward.number} councillor", phone=mobile(),
                       email=f"ward{ward.number}@{municipality.code.lower()}.example.org")
        for role in data["committee_roles"][:COMMITTEE_SIZE]:
            contact_create(municipality=municipality, kind="committee_member", name=person(), ward=ward,
                           role=role, is_generated=True)
    own = data["municipalities"].get(municipality.code)
    if own is None:
        return
    centre = municipality.boundary.point_on_surface
    for name, description, phone in own["departments"]:
        contact_create(municipality=municipality, kind="department", name=name, description=description, phone=phone,
                       opening_hours="Mo-Fr 07:30-16:00", is_generated=True)
    for name, department, phone in own["services"]:
        contact_create(municipality=municipality, kind="service", name=name, role=department, phone=phone,
                       whatsapp=phone if "meter" in name else "", is_generated=True)
    for name, address, hours in own["offices"]:
        contact_create(municipality=municipality, kind="office", name=name, address=address, opening_hours=hours,
                       phone=own["switchboard"], location=centre, is_generated=True)
    contact_create(municipality=municipality, kind="after_hours", name=own["after_hours"][0], phone=own["after_hours"][1],
                   opening_hours="24/7", is_generated=True)
    contact_create(municipality=municipality, kind="emergency", name=own["emergency"][0], phone=own["emergency"][1],
                   opening_hours="24/7", is_generated=True)
    _documents(municipality, data)
    if own.get("feed"):
        feed = Feed.objects.create(municipality=municipality, title=own["feed"]["title"], url=own["feed"]["url"],
                                   is_active=False, is_generated=True)
        feed_ingest(feed=feed, content=(FIXTURES_DIR / "directory" / own["feed"]["file"]).read_bytes())


def _documents(municipality: Municipality, data: dict) -> None:
    if Document.objects.filter(municipality=municipality, is_generated=True).exists():
        return
    year = timezone.localdate().year
    financial_year = f"{year}/{str(year + 1)[-2:]}"
    for spec in data["documents"]:
        title = spec["title"].format(year=financial_year)
        pdf = text_pdf(f"{municipality.title}: {title}", spec["lines"])
        document_create(municipality=municipality, category=spec["category"], title=title, tags=spec["tags"],
                        upload=SimpleUploadedFile(f"{spec['category']}.pdf", pdf), is_generated=True,
                        description=spec["lines"][0])
    video = data["video"]
    document_create(municipality=municipality, category="media_gallery", title=video["title"], tags=video["tags"],
                    upload=SimpleUploadedFile(video["file"], (FIXTURES_DIR / "directory" / video["file"]).read_bytes()),
                    is_generated=True, description=video["title"])
