"""The demo directory: a councillor and a committee for every current ward, generated and flagged; real
department names; a water tariff PDF found by a word inside it; the recorded feed; repeatable."""

import pytest

from directory.demo import COMMITTEE_SIZE, demo_load_directory
from directory.models import Contact, Document, FeedItem
from wards.models import Ward

pytestmark = [pytest.mark.django_db, pytest.mark.shared_data]


def test_every_current_ward_gets_a_councillor_and_a_committee_and_it_repeats_cleanly(lesedi, settings, tmp_path, client):
    settings.MEDIA_ROOT = tmp_path
    demo_load_directory(log=lambda message: None)
    wards = Ward.objects.current().filter(municipality=lesedi)
    assert wards.count() == 13
    for ward in wards:
        assert Contact.objects.get(ward=ward, kind="councillor").is_generated
        assert Contact.objects.filter(ward=ward, kind="committee_member", is_generated=True).count() == COMMITTEE_SIZE
    assert Contact.objects.filter(municipality=lesedi, kind="department", name="Financial Services").exists()
    assert not Contact.objects.filter(is_generated=False).exists()
    found = client.get("/api/v1/documents", {"municipality": "GT423", "q": "kilolitre"}).json()
    assert found[0]["title"].startswith("Water and sanitation tariffs")
    assert FeedItem.objects.filter(feed__municipality=lesedi).count() == 3
    counts = (Contact.objects.count(), Document.objects.count(), FeedItem.objects.count())
    demo_load_directory(log=lambda message: None)
    assert (Contact.objects.count(), Document.objects.count(), FeedItem.objects.count()) == counts
