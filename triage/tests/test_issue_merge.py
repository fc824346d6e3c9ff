"""issue_merge and issue_unmerge: children become duplicates of the parent, every reporter of a
child (account, bare email, bare phone) and every follower hears of it and of the parent's later
updates; nothing said or sent about a child is lost; separating them undoes exactly that."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from notices.models import OutboundMessage
from triage.intake.services import Report, issue_create
from triage.issues.models import Category, Comment, Follower, Issue, IssueEvent
from triage.issues.services import ActionRefused, issue_comment_add, issue_follow, issue_merge, issue_transition, issue_unmerge
from triage.issues.workflow import Status
from triage.media.models import Media
from triage.media.services import media_attach
from triage.tests.conftest import HEIDELBERG

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def file(category, **fields) -> Issue:
    answers = {"size": "small"} if category.questions.filter(code="size").exists() else {}
    return issue_create(report=Report(category=category, location=HEIDELBERG, answers=answers, **fields)).issue


def photo() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(buffer, "PNG")
    return SimpleUploadedFile("hole.png", buffer.getvalue(), content_type="image/png")


def addresses(**filters) -> set[str]:
    return set(OutboundMessage.objects.filter(**filters).values_list("address", flat=True))


@pytest.fixture
def family(pothole, resident):
    """A parent reported by one person and three children: by an account, by email only, by SMS only."""
    parent = file(pothole, reporter_email="first@example.org")
    by_account = file(pothole, reporter=resident)
    by_email = file(pothole, reporter_name="Anon", reporter_email="Second@Example.org")
    by_phone = file(pothole, reporter_phone="+27825550101")
    return parent, [by_account, by_email, by_phone]


def test_children_become_duplicates_and_every_reporter_follows_the_parent(family, dispatcher, resident):
    parent, children = family
    issue_merge(parent=parent, children=children, actor=dispatcher)
    for child in children:
        child.refresh_from_db()
        assert (child.status, child.duplicate_of) == (Status.DUPLICATE, parent)
        assert child.events.filter(to_status="duplicate", actor=dispatcher).exists()
    followers = parent.followers.all()
    assert {(f.user_id, f.email, f.phone) for f in followers} == {
        (resident.pk, "", ""), (None, "second@example.org", ""), (None, "", "+27825550101")}
    assert {f.merged_from for f in followers} == set(children)
    event = parent.events.get(action=IssueEvent.Action.MERGED)
    assert event.detail["children"] == [c.reference for c in sorted(children, key=lambda c: c.pk)]
    assert event.actor == dispatcher


def test_reporters_of_children_are_told_and_hear_of_the_parents_later_updates(family, dispatcher, resident):
    parent, children = family
    OutboundMessage.objects.all().delete()
    issue_merge(parent=parent, children=children, actor=dispatcher)
    told = OutboundMessage.objects.filter(subject__contains="merged")
    assert {m.address for m in told} == {resident.email, "second@example.org", "+27825550101"}
    assert all(parent.reference in m.body for m in told)
    OutboundMessage.objects.all().delete()
    issue_transition(issue=parent, to_status="acknowledged", actor=dispatcher, public_note="Crew booked for Tuesday.")
    issue_comment_add(issue=parent, body="Cones are up.", author=dispatcher)
    for address in (resident.email, "second@example.org", "+27825550101", "first@example.org"):
        assert OutboundMessage.objects.filter(address=address, topic=f"issue:{parent.reference}").count() == 2, address
    issue_comment_add(issue=parent, body="Internal: bring the big roller", author=dispatcher, internal=True)
    assert not OutboundMessage.objects.filter(body__contains="big roller").exists()


def test_followers_of_a_child_follow_the_parent_too(family, dispatcher):
    parent, children = family
    issue_follow(issue=children[0], email="neighbour@example.org")
    issue_merge(parent=parent, children=children[:1], actor=dispatcher)
    assert parent.followers.filter(email="neighbour@example.org", merged_from=children[0]).exists()


def test_no_comment_or_media_is_lost_and_the_parent_shows_them(family, dispatcher, client):
    parent, children = family
    child = children[1]
    issue_comment_add(issue=child, body="It is by the bus stop.", author=None)
    issue_comment_add(issue=child, body="Checked: 1 m wide.", author=dispatcher, internal=True)
    media_attach(issue=child, upload=photo())
    before = (Comment.objects.filter(issue=child).count(), Media.objects.filter(issue=child).count())
    issue_merge(parent=parent, children=children, actor=dispatcher)
    assert (Comment.objects.filter(issue=child).count(), Media.objects.filter(issue=child).count()) == before
    client.force_login(dispatcher)
    detail = client.get(f"/api/v1/board/issues/{parent.reference}").json()
    merged = {m["reference"]: m for m in detail["merged"]}
    assert [c["body"] for c in merged[child.reference]["comments"]] == ["It is by the bus stop.", "Checked: 1 m wide."]
    assert len(merged[child.reference]["media"]) == 1
    issue_unmerge(issue=child, actor=dispatcher)
    assert (Comment.objects.filter(issue=child).count(), Media.objects.filter(issue=child).count()) == before


def test_unmerge_reopens_the_child_tells_its_reporter_and_takes_off_only_its_followers(family, dispatcher, resident):
    parent, children = family
    by_account, by_email, _ = children
    issue_follow(issue=parent, email="second@example.org")  # followed the parent before the merge
    issue_merge(parent=parent, children=children, actor=dispatcher)
    OutboundMessage.objects.all().delete()
    issue_unmerge(issue=by_account, actor=dispatcher)
    by_account.refresh_from_db()
    assert (by_account.status, by_account.duplicate_of) == (Status.REOPENED, None)
    assert not parent.followers.filter(user=resident).exists()
    assert parent.followers.filter(phone="+27825550101").exists()  # still merged
    assert addresses(topic=f"issue:{by_account.reference}") == {resident.email}
    assert parent.events.get(action=IssueEvent.Action.UNMERGED).detail == {"child": by_account.reference}
    assert by_account.events.filter(from_status="duplicate", to_status="reopened").exists()
    issue_unmerge(issue=by_email, actor=dispatcher)
    assert parent.followers.filter(email="second@example.org", merged_from=None).exists()  # their own follow stays


def test_issues_merged_into_a_child_move_up_to_the_parent(pothole, dispatcher):
    parent, child, grandchild = (file(pothole, reporter_email=f"r{n}@example.org") for n in range(3))
    issue_merge(parent=child, children=[grandchild], actor=dispatcher)
    issue_merge(parent=parent, children=[child], actor=dispatcher)
    grandchild.refresh_from_db()
    assert grandchild.duplicate_of == parent
    assert set(parent.followers.values_list("email", "merged_from")) == {
        ("r1@example.org", child.pk), ("r2@example.org", grandchild.pk)}
    assert not child.followers.exists()


def test_merge_is_all_or_none(family, dispatcher):
    parent, children = family
    issue_transition(issue=children[2], to_status="rejected", actor=dispatcher, public_note="Not a pothole.")
    with pytest.raises(ActionRefused) as refused:
        issue_merge(parent=parent, children=children, actor=dispatcher)
    assert refused.value.field == "issues" and children[2].reference in str(refused.value)
    assert not Issue.objects.filter(duplicate_of=parent).exists()
    assert not parent.followers.exists()


def test_merge_refuses_a_closed_parent_an_empty_group_and_another_municipality(pothole, dispatcher, neighbour, roads):
    parent, child = file(pothole), file(pothole)
    with pytest.raises(ActionRefused, match="at least one"):
        issue_merge(parent=parent, children=[parent], actor=dispatcher)
    elsewhere = Category.objects.create(municipality=neighbour, code="pothole", name="Pothole")
    foreign = file(elsewhere)
    with pytest.raises(ActionRefused, match="another municipality"):
        issue_merge(parent=parent, children=[foreign], actor=dispatcher)
    issue_transition(issue=parent, to_status="rejected", actor=dispatcher, public_note="Private road.")
    with pytest.raises(ActionRefused) as refused:
        issue_merge(parent=parent, children=[child], actor=dispatcher)
    assert refused.value.field == "parent"


def test_unmerge_refuses_an_issue_that_is_not_merged(pothole, dispatcher):
    with pytest.raises(ActionRefused, match="not merged"):
        issue_unmerge(issue=file(pothole), actor=dispatcher)


def test_a_duplicate_set_by_status_carries_followers_too(pothole, dispatcher):
    parent, child = file(pothole), file(pothole, reporter_email="c@example.org")
    issue_transition(issue=child, to_status="duplicate", actor=dispatcher, duplicate_of=parent)
    assert parent.followers.filter(email="c@example.org", merged_from=child).exists()
    issue_transition(issue=child, to_status="reopened", actor=dispatcher)
    assert not Follower.objects.filter(issue=parent).exists()
