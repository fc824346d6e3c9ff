"""The demo's notices (notices/demo.py): a new user sees every kind, in both municipalities, at once."""

import pytest
from django.core.management import call_command
from django.utils import timezone

from notices.models import OutboundMessage
from notices.notice import Notice
from wards.models import Municipality


@pytest.mark.shared_data
def test_the_demo_publishes_notices_of_every_kind_in_both_municipalities(shared_data, transactional_db, client):
    call_command("load_demo", verbosity=0, issues=5)
    now = timezone.now()
    for municipality in Municipality.objects.filter(code__in=["GT423", "WC023"]):
        notices = Notice.objects.active(now).filter(municipality=municipality)
        assert set(notices.values_list("kind", flat=True)) == set(Notice.Kind.values), municipality.code
        assert notices.filter(target=Notice.Target.MUNICIPALITY).exists()
        assert notices.filter(kind=Notice.Kind.EVENT, starts_at__gt=now).exists()
        with_files = notices.filter(attachments__kind="pdf").filter(attachments__kind="image").get()
        assert with_files.attachments.get(kind="pdf").preview
        assert not notices.filter(area=None).exists()
        page = client.get(f"/m/{municipality.code}/notices/").content.decode()
        assert with_files.title in page
    # Demo residents have made-up addresses: messages are recorded, never sent.
    assert not OutboundMessage.objects.filter(topic__startswith="notice:").exclude(state=OutboundMessage.State.SKIPPED).exists()
    call_command("load_demo", verbosity=0, issues=5)  # again: nothing doubles
    assert Notice.objects.filter(municipality__code="GT423").count() == 7
