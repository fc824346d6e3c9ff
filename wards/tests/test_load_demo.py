import pytest
from django.core.management import call_command

from accounts.models import Department
from notices.models import OutboundMessage
from tests.support import import_lesedi_wards
from triage.issues.models import Issue
from wards.models import BoundarySet, Municipality, Suburb, Ward

pytestmark = pytest.mark.django_db


def test_demo_loads_real_lesedi_and_a_generated_drakenstein_and_is_repeatable(lesedi_wards_file):
    call_command("load_demo", verbosity=0, issues=25)
    snapshot = sorted(Ward.objects.values_list("code", "boundary_set__year", "geom"), key=lambda r: r[:2])
    assert Ward.objects.current().filter(municipality__code="GT423").count() == 13
    drakenstein = Municipality.objects.get(code="WC023")
    assert drakenstein.is_generated
    assert {(s.year, s.wards.count(), s.is_current) for s in BoundarySet.objects.filter(municipality=drakenstein)} \
        == {(2011, 31, False), (2016, 33, True)}
    # Generated wards tile the outline: no gaps, no overlaps.
    current = Ward.objects.current().filter(municipality=drakenstein)
    assert abs(sum(w.geom.area for w in current) - drakenstein.boundary.area) < 1e-9
    assert Suburb.objects.filter(municipality__code="GT423", name="Heidelberg").exists()
    # the seven of wards/demo.py, and the depot and signals unit of its routing rules (triage/demo.py)
    assert Department.objects.filter(municipality=drakenstein).count() == 9

    demo_issues = Issue.objects.filter(municipality__code="GT423")
    assert demo_issues.count() == 25 and not demo_issues.filter(ward=None).exists()
    assert demo_issues.filter(status="submitted").exists() and demo_issues.filter(status__in=["resolved", "closed"]).exists()
    assert not OutboundMessage.objects.exclude(state="skipped").exists()  # made-up addresses are never mailed

    call_command("load_demo", verbosity=0, issues=25)
    assert Issue.objects.count() == 50
    again = sorted(Ward.objects.values_list("code", "boundary_set__year", "geom"), key=lambda r: r[:2])
    assert [(c, y, g.wkb) for c, y, g in again] == [(c, y, g.wkb) for c, y, g in snapshot]


def test_demo_never_overwrites_real_boundaries(lesedi_wards_file):
    """A municipality imported from a real file keeps its wards when the demo runs."""
    import_lesedi_wards(lesedi_wards_file, municipality_field=None, municipality="WC023", year_field=None, year=2016)
    before = sorted(Ward.objects.filter(municipality__code="WC023").values_list("pk", "code"))
    call_command("load_demo", verbosity=0, issues=5)
    assert sorted(Ward.objects.filter(municipality__code="WC023").values_list("pk", "code")) == before
    assert not Municipality.objects.get(code="WC023").is_generated
