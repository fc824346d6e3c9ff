"""Whole conversations through the simulator API, as a resident's phone would have them."""

import datetime

import pytest
from django.utils import timezone

from channels.models import Conversation, InboundMessage
from notices.models import OutboundMessage
from triage.issues.models import Issue
from triage.issues.services import issue_transition

pytestmark = pytest.mark.django_db(transaction=False)

SMS_PHONE = "+27825550111"
WA_PHONE = "+27825550112"


def report_streetlight(phone, sender, *, where: str, channel: str = "sms") -> dict:
    assert "reply 1 to report" in phone(sender, "hi", channel=channel)["text"]
    menu = phone(sender, "1", channel=channel)["text"]
    assert "1 Streetlight not working" in menu and "2 Pothole" in menu
    assert "Where is it?" in phone(sender, "1", channel=channel)["text"]
    return phone(sender, where, channel=channel)


def test_report_by_ward_number_files_an_sms_issue_and_answers_with_its_reference(phone, categories, simulator_sms):
    answer = report_streetlight(phone, SMS_PHONE, where="ward 8")
    assert "Describe the problem" in answer["text"]
    confirm = phone(SMS_PHONE, "Light on the corner is off")["text"]
    assert "Streetlight not working at Ward 8" in confirm and "Reply 1 to send" in confirm
    done = phone(SMS_PHONE, "1")
    issue = Issue.objects.get()
    assert done["issue"] == issue.reference and issue.reference in done["text"]
    assert (issue.channel, issue.ward.number, issue.reporter_phone) == ("sms", 8, SMS_PHONE)
    assert issue.description == "Light on the corner is off"
    # One answer carries the reference: intake sends no second "report received" SMS.
    to_phone = OutboundMessage.objects.filter(address=SMS_PHONE)
    assert [message.body for message in to_phone if issue.reference in message.body] == [done["text"]]
    # Each reply went out through the simulator account, with its id and cost recorded.
    assert {(m.channel, m.provider, m.state, str(m.cost)) for m in to_phone} == {("sms", "simulator-gt423-sms", "sent", "0.2500")}
    assert all(m.provider_message_id.startswith("sim-") for m in to_phone)
    assert InboundMessage.objects.filter(phone=SMS_PHONE, issue=issue).count() == 5


def test_report_by_suburb_name_with_a_typo(phone, categories, gazetteer, simulator_sms):
    answer = report_streetlight(phone, SMS_PHONE, where="Heidelburg")
    assert "Describe the problem" in answer["text"], answer["text"]
    assert "Heidelberg" in phone(SMS_PHONE, "0")["text"]
    phone(SMS_PHONE, "yes")
    issue = Issue.objects.get()
    assert issue.suburb.name == "Heidelberg" and issue.address == "Heidelberg"


def test_an_ambiguous_place_is_offered_as_a_choice(phone, categories, gazetteer, simulator_sms):
    answer = report_streetlight(phone, SMS_PHONE, where="the engen garage")
    assert "Which one?" in answer["text"]
    assert "Engen Garage Voortrekker Street (landmark)" in answer["text"]
    assert "Engen Garage Ueckermann Street (landmark)" in answer["text"]
    number = next(line.split()[0] for line in answer["text"].splitlines() if "Ueckermann" in line)
    assert "Describe the problem" in phone(SMS_PHONE, number)["text"]
    phone(SMS_PHONE, "0")
    phone(SMS_PHONE, "1")
    assert Issue.objects.get().address == "Engen Garage Ueckermann Street"


def test_a_landmark_typed_in_a_sentence_is_found(phone, categories, gazetteer, simulator_sms):
    answer = report_streetlight(phone, SMS_PHONE, where="next to the heidelberg taxi rank")
    assert "Describe the problem" in answer["text"], answer["text"]
    phone(SMS_PHONE, "0")
    phone(SMS_PHONE, "1")
    assert Issue.objects.get().address == "Heidelberg Taxi Rank"


def test_report_by_whatsapp_pin_with_the_category_question(phone, categories, suburbs, simulator_sms):
    phone(WA_PHONE, "hi", channel="whatsapp")
    phone(WA_PHONE, "1", channel="whatsapp")
    question = phone(WA_PHONE, "2", channel="whatsapp")["text"]
    assert "How big is it?" in question and "1 Small" in question and "2 Large" in question
    assert "Share your location" in phone(WA_PHONE, "2", channel="whatsapp")["text"]
    assert "Describe" in phone(WA_PHONE, "", latitude=-26.5040, longitude=28.3585)["text"]
    assert "Send a photo" in phone(WA_PHONE, "Deep hole", channel="whatsapp")["text"]
    confirm = phone(WA_PHONE, "0", channel="whatsapp")["text"]
    assert "ward 8" in confirm and "Heidelberg" in confirm
    phone(WA_PHONE, "1", channel="whatsapp")
    issue = Issue.objects.get()
    assert issue.channel == "whatsapp" and issue.answers == {"size": "large"}
    assert (round(issue.location.x, 4), round(issue.location.y, 4)) == (28.3585, -26.504)


def test_a_pin_outside_the_municipality_is_refused(phone, categories, simulator_sms):
    phone(WA_PHONE, "1", channel="whatsapp")
    phone(WA_PHONE, "1", channel="whatsapp")
    answer = phone(WA_PHONE, latitude=-33.9, longitude=18.4)
    assert "outside" in answer["text"]
    assert Conversation.objects.get(phone=WA_PHONE).state == "location"


def test_status_by_reference_alone_or_with_status(phone, categories, simulator_sms):
    report_streetlight(phone, SMS_PHONE, where="8")
    phone(SMS_PHONE, "0")
    reference = phone(SMS_PHONE, "1")["issue"]
    issue = Issue.objects.get()
    expected = timezone.localtime(issue.expected_at, timezone=datetime.timezone(datetime.timedelta(hours=2)))
    for text in (reference, f"status {reference.lower()}", f"STATUS {reference}"):
        answer = phone("+27825550199", text)["text"]
        assert answer.startswith(f"{reference} (Streetlight not working): Submitted.")
        assert f"Expected by {expected:%-d %b %Y}" in answer
    assert "found no report GT423-2026-999999" in phone("+27825550199", "GT423-2026-999999")["text"]


def test_stop_silences_updates_until_start(phone, categories, simulator_sms, staff, committed):
    report_streetlight(phone, SMS_PHONE, where="8")
    phone(SMS_PHONE, "0")
    phone(SMS_PHONE, "1")
    issue = Issue.objects.get()
    assert "no more updates" in phone(SMS_PHONE, "STOP")["text"]
    with committed():
        issue_transition(issue=issue, to_status="acknowledged", actor=staff)
    update = OutboundMessage.objects.get(address=SMS_PHONE, topic=f"issue:{issue.reference}")
    assert (update.delivery_status, update.provider_message_id) == ("opted out", "")
    assert "Updates are on again" in phone(SMS_PHONE, "start")["text"]
    with committed():
        issue_transition(issue=issue, to_status="in_progress", actor=staff)
    latest = OutboundMessage.objects.filter(address=SMS_PHONE, topic=f"issue:{issue.reference}").latest("id")
    assert latest.delivery_status == "sent" and "work has started" in latest.body


def test_an_sms_reporter_hears_of_the_resolution_by_sms_and_a_whatsapp_one_by_whatsapp(phone, categories, simulator_sms,
                                                                                    staff, committed):
    report_streetlight(phone, SMS_PHONE, where="8")
    phone(SMS_PHONE, "0")
    phone(SMS_PHONE, "1")
    phone(WA_PHONE, "1", channel="whatsapp")
    phone(WA_PHONE, "1", channel="whatsapp")
    phone(WA_PHONE, "8", channel="whatsapp")
    phone(WA_PHONE, "0", channel="whatsapp")
    phone(WA_PHONE, "0", channel="whatsapp")
    phone(WA_PHONE, "1", channel="whatsapp")
    for issue in Issue.objects.all():
        with committed():
            issue_transition(issue=issue, to_status="acknowledged", actor=staff)
            issue_transition(issue=issue, to_status="resolved", actor=staff, public_note="New lamp fitted")
    resolved = OutboundMessage.objects.filter(body__contains="resolved")
    assert {(message.address, message.channel, message.state) for message in resolved} == {
        (SMS_PHONE, "sms", "sent"), (WA_PHONE, "whatsapp", "sent")}
    assert all("New lamp fitted" in message.body for message in resolved)


def test_an_unfinished_report_expires_with_a_message(phone, categories, simulator_sms):
    report_streetlight(phone, SMS_PHONE, where="8")
    Conversation.objects.filter(phone=SMS_PHONE).update(expires_at=timezone.now() - datetime.timedelta(minutes=1))
    answer = phone(SMS_PHONE, "1")["text"]
    assert "timed out after 30 minutes; nothing was filed" in answer
    assert "reply 1 to report" in answer
    assert not Issue.objects.exists()


@pytest.mark.parametrize("text", ["", "   ", "🙂" * 600, "x" * 481, "%s%s%n", "1*2*3", "ward 99", "999"])
def test_garbage_gets_a_short_answer_never_an_error(phone, categories, simulator_sms, text):
    phone(SMS_PHONE, "1")
    answer = phone(SMS_PHONE, text)
    assert answer["replies"] and all(len(reply) < 600 for reply in answer["replies"])
    assert not Issue.objects.exists()


def test_help_and_cancel(phone, categories, simulator_sms):
    report_streetlight(phone, SMS_PHONE, where="8")
    assert "STATUS" in phone(SMS_PHONE, "HELP")["text"]
    assert "Cancelled" in phone(SMS_PHONE, "cancel")["text"]
    assert Conversation.objects.get(phone=SMS_PHONE).state == "idle"


def test_one_phone_cannot_flood(phone, categories, simulator_sms, imbizo_settings):
    imbizo_settings(RATE_LIMITS={"channel": {"client": "3/hour"}})
    for _ in range(3):
        assert phone(SMS_PHONE, "hi")["replies"]
    assert phone(SMS_PHONE, "hi")["replies"] == []
    assert InboundMessage.objects.filter(phone=SMS_PHONE).count() == 4  # kept, not answered
    assert phone("+27825550198", "hi")["replies"]


def test_the_simulator_is_for_staff_only(client, categories, simulator_sms):
    response = client.post("/api/v1/channels/simulator/messages", {"from": SMS_PHONE, "text": "hi"},
                           content_type="application/json")
    assert response.status_code == 403
    assert not InboundMessage.objects.exists()


def test_the_simulator_names_a_bad_field(staff_client, categories):
    response = staff_client.post("/api/v1/channels/simulator/messages", {"from": "nope"}, content_type="application/json")
    assert response.status_code == 400 and "from" in response.json()
    response = staff_client.post("/api/v1/channels/simulator/messages", {"from": SMS_PHONE, "latitude": -26.5},
                                 content_type="application/json")
    assert response.status_code == 400 and "longitude" in response.json()


def test_the_issue_page_says_reported_by_sms_without_the_number(client, phone, categories, simulator_sms):
    report_streetlight(phone, SMS_PHONE, where="8")
    phone(SMS_PHONE, "0")
    reference = phone(SMS_PHONE, "1")["issue"]
    page = client.get(f"/track/{reference}/").content.decode()
    assert 'id="reported-by">SMS<' in page
    assert SMS_PHONE not in page and SMS_PHONE[3:] not in page


def test_a_resident_with_an_account_is_answered_in_the_language_of_their_preferences(phone, categories, simulator_sms):
    from accounts.models import User
    from residents.models import Preferences

    user = User.objects.create_user("lerato@example.org", "pw-resident-2", phone=SMS_PHONE)
    Preferences.objects.create(user=user, language="af")
    phone(SMS_PHONE, "hi")
    phone(WA_PHONE, "hi")
    assert Conversation.objects.get(phone=SMS_PHONE).language == "af"
    assert Conversation.objects.get(phone=WA_PHONE).language == "en-za"


def test_a_street_named_in_the_asset_register_is_found_with_a_typo(phone, categories, simulator_sms, lesedi):
    from django.contrib.gis.geos import LineString

    from assets.models import Asset, AssetType

    roads = AssetType.objects.create(municipality=lesedi, code="road", name="Road segment", geometry_kind="line")
    for number, (start, end) in enumerate([((28.3540, -26.5050), (28.3580, -26.5050)),
                                           ((28.3580, -26.5050), (28.3620, -26.5050))]):
        Asset.objects.create(asset_type=roads, municipality=lesedi, external_id=f"R{number}",
                             geom=LineString(start, end, srid=4326), attributes={"street": "Voortrekker Street"})
    answer = report_streetlight(phone, SMS_PHONE, where="Voortreker street")
    assert "Describe the problem" in answer["text"], answer["text"]
    phone(SMS_PHONE, "0")
    phone(SMS_PHONE, "1")
    issue = Issue.objects.get()
    assert issue.address == "Voortrekker Street" and issue.ward.number == 8
