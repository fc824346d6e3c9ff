"""Each provider's webhooks with recorded payloads (fixtures/channels/): verification, parsing,
storing once, delivery receipts; and sending through each provider with its HTTP API faked."""

import hashlib
import hmac
import json
from decimal import Decimal

import pytest
import responses
from twilio.request_validator import RequestValidator

from channels.models import InboundMessage, Provider, ProviderAccount
from channels.outbound import SmsChannel, WhatsAppChannel
from channels.tests.conftest import payload
from notices.models import OutboundMessage
from triage.issues.models import Issue

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def http():
    """No request leaves the test: each provider's API is answered by what the test registers."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.post("https://graph.facebook.com/v21.0/106540352242922/messages", json=payload("whatsapp/send_response.json"))
        yield mock

APP_SECRET = "whatsapp-app-secret"
AUTH_TOKEN = "twilio-auth-token"


@pytest.fixture
def whatsapp(lesedi):
    return ProviderAccount.objects.create(
        municipality=lesedi, key="lesedi-whatsapp", provider=Provider.WHATSAPP, channel="whatsapp",
        address="106540352242922", cost_per_message=Decimal("0.1500"),
        credentials={"app_secret": APP_SECRET, "verify_token": "lesedi-verify", "access_token": "EAAG-test"})


@pytest.fixture
def twilio(lesedi):
    return ProviderAccount.objects.create(
        municipality=lesedi, key="lesedi-twilio", provider=Provider.TWILIO, channel="sms", address="+27165550100",
        credentials={"account_sid": "AC00000000000000000000000000000000", "auth_token": AUTH_TOKEN})


@pytest.fixture
def africastalking(lesedi):
    return ProviderAccount.objects.create(
        municipality=lesedi, key="lesedi-at", provider=Provider.AFRICASTALKING, channel="sms", address="31234",
        credentials={"username": "lesedi", "api_key": "at-key", "webhook_secret": "at-secret"})


@pytest.fixture
def ussd(lesedi):
    return ProviderAccount.objects.create(
        municipality=lesedi, key="lesedi-ussd", provider=Provider.USSD, channel="ussd", address="*120*5151#",
        credentials={"webhook_secret": "ussd-secret"})


def signed(body: bytes, secret: str = APP_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def post_whatsapp(client, data, *, signature=None, path="inbound"):
    body = json.dumps(data).encode()
    headers = {} if signature is False else {"HTTP_X_HUB_SIGNATURE_256": signature or signed(body)}
    return client.post(f"/channels/whatsapp/{path}", body, content_type="application/json", **headers)


def post_twilio(client, fields, *, path="inbound", token=AUTH_TOKEN):
    url = f"http://testserver/channels/twilio/{path}"
    signature = RequestValidator(token).compute_signature(url, fields)
    return client.post(f"/channels/twilio/{path}", fields, HTTP_X_TWILIO_SIGNATURE=signature)


# --- WhatsApp Cloud API ------------------------------------------------------------------------------

def test_whatsapp_verification_echoes_the_challenge_only_for_the_right_token(client, whatsapp):
    answer = client.get("/channels/whatsapp/inbound",
                        {"hub.mode": "subscribe", "hub.verify_token": "lesedi-verify", "hub.challenge": "1158201444"})
    assert (answer.status_code, answer.content) == (200, b"1158201444")
    wrong = client.get("/channels/whatsapp/inbound",
                       {"hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "1158201444"})
    assert wrong.status_code == 403 and b"1158201444" not in wrong.content


@pytest.mark.parametrize("signature", [False, "sha256=" + "0" * 64, signed(b"another body")])
def test_whatsapp_unsigned_or_wrongly_signed_is_refused_and_nothing_stored(client, whatsapp, signature):
    assert post_whatsapp(client, payload("whatsapp/text.json"), signature=signature).status_code == 403
    assert not InboundMessage.objects.exists()


@pytest.mark.parametrize("name, expected", [
    ("whatsapp/text.json", {"text": "hi", "location": None, "media": {}}),
    ("whatsapp/location.json", {"text": "", "location": (28.3585, -26.504), "media": {}}),
    ("whatsapp/image.json", {"text": "the hole", "location": None,
                             "media": {"id": "1213553719764712", "mime_type": "image/jpeg"}}),
])
def test_whatsapp_messages_are_stored_as_sent(client, whatsapp, categories, django_capture_on_commit_callbacks,
                                              name, expected):
    with django_capture_on_commit_callbacks(execute=True):
        answer = post_whatsapp(client, payload(name))
    assert answer.status_code == 200
    message = InboundMessage.objects.get()
    found = {"text": message.text, "media": message.media,
             "location": (round(message.location.x, 4), round(message.location.y, 4)) if message.location else None}
    assert found == expected
    assert (message.phone, message.channel, message.account, message.handled_at is not None) == (
        "+27825550101", "whatsapp", whatsapp, True)


def test_whatsapp_replay_is_answered_but_stored_and_handled_once(client, whatsapp, categories,
                                                                 django_capture_on_commit_callbacks):
    for _ in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            assert post_whatsapp(client, payload("whatsapp/text.json")).status_code == 200
    assert InboundMessage.objects.count() == 1
    assert OutboundMessage.objects.filter(address="+27825550101").count() == 1  # one menu sent, not three


@pytest.mark.parametrize("broken, field", [
    ({"object": "page"}, "object"),
    ({"object": "whatsapp_business_account", "entry": "x"}, "entry"),
    ({"object": "whatsapp_business_account", "entry": [{"changes": [{"value": {"messages": [{"type": "text"}]}}]}]}, "id"),
    ({"object": "whatsapp_business_account", "entry": [{"changes": [{"value": {"messages": [
        {"id": "wamid.x", "from": "not a phone", "type": "text"}]}}]}]}, "phone"),
])
def test_whatsapp_malformed_is_a_400_naming_the_field(client, whatsapp, broken, field):
    answer = post_whatsapp(client, broken)
    assert answer.status_code == 400 and field in answer.json()
    assert not InboundMessage.objects.exists()


def test_whatsapp_send_and_delivery_receipt(client, whatsapp, categories, http):
    message = OutboundMessage.objects.create(channel="whatsapp", address="+27825550101", body="Hello",
                                             topic="conversation:lesedi-whatsapp")
    WhatsAppChannel().deliver(message)
    sent = json.loads(http.calls[0].request.body)
    assert http.calls[0].request.headers["Authorization"] == "Bearer EAAG-test"
    assert sent == {"messaging_product": "whatsapp", "recipient_type": "individual", "to": "27825550101",
                    "type": "text", "text": {"preview_url": False, "body": "Hello"}}
    message.refresh_from_db()
    assert (message.provider, message.delivery_status, message.cost) == ("lesedi-whatsapp", "sent", Decimal("0.1500"))
    assert post_whatsapp(client, payload("whatsapp/status_delivered.json"), path="status").status_code == 200
    message.refresh_from_db()
    assert message.delivery_status == "delivered"


def test_whatsapp_photo_is_fetched_and_attached_to_the_report(client, whatsapp, categories, suburbs, http,
                                                              django_capture_on_commit_callbacks):
    from io import BytesIO

    from PIL import Image

    image = BytesIO()
    Image.new("RGB", (40, 30), "red").save(image, "JPEG")

    def say(**message):
        data = payload("whatsapp/text.json")
        item = data["entry"][0]["changes"][0]["value"]["messages"][0]
        item.update(id=f"wamid.test-{InboundMessage.objects.count()}", **message)
        with django_capture_on_commit_callbacks(execute=True):
            assert post_whatsapp(client, data).status_code == 200

    for text in ("hi", "1", "1"):
        say(text={"body": text})
    say(type="location", location={"latitude": -26.504, "longitude": 28.3585})
    say(text={"body": "0"})
    image_message = payload("whatsapp/image.json")["entry"][0]["changes"][0]["value"]["messages"][0]
    say(type="image", image=image_message["image"])
    http.get("https://graph.facebook.com/v21.0/1213553719764712",
             json={"url": "https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=1213553719764712",
                   "mime_type": "image/jpeg", "id": "1213553719764712"})
    http.get("https://lookaside.fbsbx.com/whatsapp_business/attachments/", body=image.getvalue(), content_type="image/jpeg")
    say(text={"body": "1"})
    issue = Issue.objects.get()
    assert issue.channel == "whatsapp" and issue.media.count() == 1


# --- Twilio ----------------------------------------------------------------------------------------

def test_twilio_signed_inbound_is_stored_and_answered_with_empty_twiml(client, twilio, categories):
    answer = post_twilio(client, payload("twilio/inbound_sms.json"))
    assert answer.status_code == 200 and answer["Content-Type"].startswith("text/xml")
    assert b"<Response></Response>" in answer.content
    message = InboundMessage.objects.get()
    assert (message.provider_message_id, message.phone, message.text) == (
        "SM5d2c1f0a9e8b7c6d5e4f3a2b1c0d9e8f", "+27825550102", "hi")


def test_twilio_wrong_signature_is_refused(client, twilio):
    assert post_twilio(client, payload("twilio/inbound_sms.json"), token="not-the-token").status_code == 403
    assert client.post("/channels/twilio/inbound", payload("twilio/inbound_sms.json")).status_code == 403
    assert not InboundMessage.objects.exists()


def test_twilio_send_and_status_callback(client, twilio, http):
    message = OutboundMessage.objects.create(channel="sms", address="+27825550102", body="Your report",
                                             topic="issue:GT423-2026-000001")
    created = {"sid": "SM0f1e2d3c4b5a69788796a5b4c3d2e1f0", "status": "queued", "price": None, "price_unit": "USD",
               "to": "+27825550102", "from": "+27165550100", "body": "Your report", "account_sid": twilio.secrets["account_sid"]}
    http.post("https://api.twilio.com/2010-04-01/Accounts/AC00000000000000000000000000000000/Messages.json",
              json=created, status=201)
    SmsChannel().deliver(message)
    message.refresh_from_db()
    assert (message.provider, message.provider_message_id) == ("lesedi-twilio", "SM0f1e2d3c4b5a69788796a5b4c3d2e1f0")
    assert post_twilio(client, payload("twilio/status_delivered.json"), path="status").status_code == 200
    message.refresh_from_db()
    assert message.delivery_status == "delivered"


def test_an_area_alert_by_sms_goes_through_the_issues_municipalitys_account(twilio, http):
    message = OutboundMessage.objects.create(channel="sms", address="+27825550104", body="GT423: new Pothole",
                                             topic="alert:GT423-2026-000001")
    created = {"sid": "SM1f1e2d3c4b5a69788796a5b4c3d2e1f0", "status": "queued", "price": None, "price_unit": "USD",
               "to": "+27825550104", "from": "+27165550100", "body": "GT423: new Pothole",
               "account_sid": twilio.secrets["account_sid"]}
    http.post("https://api.twilio.com/2010-04-01/Accounts/AC00000000000000000000000000000000/Messages.json",
              json=created, status=201)
    SmsChannel().deliver(message)
    message.refresh_from_db()
    assert (message.provider, message.provider_message_id) == ("lesedi-twilio", "SM1f1e2d3c4b5a69788796a5b4c3d2e1f0")


# --- Africa's Talking -------------------------------------------------------------------------------

def test_africastalking_inbound_needs_the_shared_secret(client, africastalking):
    fields = payload("africastalking/inbound_sms.json")
    assert client.post("/channels/africastalking/inbound", fields).status_code == 403
    assert client.post("/channels/africastalking/inbound?secret=wrong", fields).status_code == 403
    assert not InboundMessage.objects.exists()
    assert client.post("/channels/africastalking/inbound?secret=at-secret", fields).status_code == 200
    assert InboundMessage.objects.get().phone == "+27825550103"
    # By the account's key too, when one provider serves several municipalities:
    assert client.post("/channels/lesedi-at/inbound?secret=at-secret", fields).status_code == 200
    assert InboundMessage.objects.count() == 1
    missing = {key: value for key, value in fields.items() if key != "from"}
    answer = client.post("/channels/africastalking/inbound?secret=at-secret", missing)
    assert answer.status_code == 400 and "from" in answer.json()


def test_africastalking_send_records_id_and_cost_and_the_delivery_report(client, africastalking, http):
    message = OutboundMessage.objects.create(channel="sms", address="+27825550103", body="Hello",
                                             topic="issue:GT423-2026-000001")
    http.post("https://api.africastalking.com/version1/messaging", json=payload("africastalking/send_response.json"),
              status=201)
    SmsChannel().deliver(message)
    message.refresh_from_db()
    assert (message.provider, message.provider_message_id, message.cost) == (
        "lesedi-at", "ATXid_5a1b2c3d4e5f60718293a4b5c6d7e8f9", Decimal("0.2400"))
    answer = client.post("/channels/africastalking/status?secret=at-secret", payload("africastalking/delivery_report.json"))
    assert answer.status_code == 200
    message.refresh_from_db()
    assert message.delivery_status == "success"


# --- USSD -------------------------------------------------------------------------------------------

def test_ussd_session_reports_by_ward_number(client, ussd, categories):
    steps = payload("ussd/report_by_ward.json")["steps"]
    screens = []
    for step in steps:
        step = {**step, "text": step["text"].replace("CATEGORY", "1")}
        answer = client.post("/channels/ussd/inbound?secret=ussd-secret", step)
        assert answer.status_code == 200 and answer["Content-Type"].startswith("text/plain")
        screens.append(answer.content.decode())
    assert all(screen.startswith("CON ") for screen in screens[:-1])
    assert "reply 1 to report a problem, 2 to check a report" in screens[0]
    issue = Issue.objects.get()
    assert screens[-1] == (f"END Thank you. Your report is {issue.reference}. Send STATUS {issue.reference} to check on it; "
                           "we will send you its updates.")
    assert (issue.channel, issue.ward.number, issue.reporter_phone) == ("ussd", 8, "+27825550104")
    # The gateway posting the last step again gets the same screen, and nothing is filed twice.
    last = {**steps[-1], "text": steps[-1]["text"].replace("CATEGORY", "1")}
    again = client.post("/channels/ussd/inbound?secret=ussd-secret", last)
    assert again.content.decode() == screens[-1]
    assert Issue.objects.count() == 1


def test_ussd_without_the_secret_is_refused(client, ussd):
    step = payload("ussd/report_by_ward.json")["steps"][0]
    assert client.post("/channels/ussd/inbound", step).status_code == 403
    assert not InboundMessage.objects.exists()


# --- BulkSMS and Clickatell -------------------------------------------------------------------------

@pytest.mark.parametrize("provider, secrets, url, phone", [
    ("bulksms", {"token_id": "id", "token_secret": "secret"}, "https://api.bulksms.com/v1/messages", "+27825550105"),
    ("clickatell", {"api_key": "key"}, "https://platform.clickatell.com/v1/message", "+27825550106"),
])
def test_rest_providers_send_receive_and_take_receipts(client, lesedi, categories, provider, secrets, url, phone, http,
                                                       django_capture_on_commit_callbacks):
    account = ProviderAccount.objects.create(municipality=lesedi, key=f"lesedi-{provider}", provider=provider,
                                             channel="sms", cost_per_message=Decimal("0.1900"),
                                             credentials={**secrets, "webhook_secret": "s3"})
    inbound = json.dumps(payload(f"{provider}/inbound.json"))
    http.post(url, json=payload(f"{provider}/send_response.json"), status=201)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"/channels/{provider}/inbound?secret=s3", inbound, content_type="application/json").status_code == 200
    assert InboundMessage.objects.get().phone == phone
    reply = OutboundMessage.objects.get(address=phone)
    assert (reply.provider, reply.state, reply.cost) == (account.key, "sent", Decimal("0.1900"))
    status = json.dumps(payload(f"{provider}/status.json"))
    assert client.post(f"/channels/{provider}/status?secret=s3", status, content_type="application/json").status_code == 200
    reply.refresh_from_db()
    assert reply.delivery_status in ("delivered", "received_by_recipient")
    assert client.post(f"/channels/{provider}/inbound?secret=s3", "[1", content_type="application/json").status_code == 400


def test_an_unknown_provider_is_404(client):
    assert client.post("/channels/nobody/inbound").status_code == 404


def test_a_message_whose_handling_was_lost_is_answered_by_the_safety_net(client, africastalking, categories,
                                                                        imbizo_settings):
    import datetime

    from django.core.management import call_command
    from django.utils import timezone

    # Stored, but its task never queued: with Celery it is sent after a commit this test never makes.
    imbizo_settings(DELIVERY="celery")
    assert client.post("/channels/africastalking/inbound?secret=at-secret",
                       payload("africastalking/inbound_sms.json")).status_code == 200
    message = InboundMessage.objects.get()
    assert message.handled_at is None
    InboundMessage.objects.update(received_at=timezone.now() - datetime.timedelta(minutes=2))
    call_command("handle_waiting_messages", verbosity=0)
    message.refresh_from_db()
    assert message.handled_at is not None and "reply 1 to report" in message.reply
    call_command("handle_waiting_messages", verbosity=0)
    assert OutboundMessage.objects.filter(address="+27825550103").count() == 1


def test_with_celery_the_webhook_queues_the_handling_and_answers_first(client, africastalking, categories,
                                                                       imbizo_settings, monkeypatch,
                                                                       django_capture_on_commit_callbacks):
    from channels import tasks

    imbizo_settings(DELIVERY="celery")
    queued = []
    monkeypatch.setattr(tasks.handle_inbound, "delay", queued.append)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post("/channels/africastalking/inbound?secret=at-secret",
                           payload("africastalking/inbound_sms.json")).status_code == 200
    message = InboundMessage.objects.get()
    assert queued == [message.pk] and message.handled_at is None
    tasks.handle_inbound(message.pk)  # what the worker runs
    tasks.handle_inbound(message.pk)  # a redelivered task does nothing more
    message.refresh_from_db()
    assert message.handled_at is not None
    assert OutboundMessage.objects.filter(address="+27825550103").count() == 1


def test_with_celery_away_the_webhook_handles_the_message_itself(client, africastalking, categories, imbizo_settings,
                                                                 monkeypatch, django_capture_on_commit_callbacks):
    from channels import tasks

    def broker_away(inbound_id):
        raise ConnectionError("redis is away")

    imbizo_settings(DELIVERY="celery")
    monkeypatch.setattr(tasks.handle_inbound, "delay", broker_away)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post("/channels/africastalking/inbound?secret=at-secret",
                           payload("africastalking/inbound_sms.json")).status_code == 200
    assert InboundMessage.objects.get().handled_at is not None
