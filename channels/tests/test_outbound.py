"""Which provider account sends an SMS to a phone that never wrote in: the account of the
municipality the message speaks for (a notice, a daily digest, a log-in code), never the simulator
and never another municipality's; with none active, the message fails saying so. Twilio's HTTP API
is answered by what each test registers: no request leaves the test."""

from decimal import Decimal
from urllib.parse import parse_qs

import pytest
import responses
from django.contrib.gis.geos import MultiPolygon, Point, Polygon

from accounts.models import User
from channels.models import Provider, ProviderAccount
from channels.tests.conftest import HEIDELBERG
from notices.models import OutboundMessage
from notices.notice import Notice
from notices.notice_services import notice_publish, notice_write
from notices.outbound import Recipient, deliver_waiting, notify
from residents import services as residents_services
from residents.models import Place
from triage.intake.services import Report, issue_create
from triage.residents.alerts import send_daily_digests
from wards.models import Municipality, Ward

pytestmark = [pytest.mark.django_db, pytest.mark.shared_data]

LESEDI_SID = "AC00000000000000000000000000000000"
TWILIO_MESSAGES = f"https://api.twilio.com/2010-04-01/Accounts/{LESEDI_SID}/Messages.json"


@pytest.fixture
def twilio_api():
    """Lesedi's Twilio account answers each message it is given; any other request fails the send."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        def created(request):
            fields = parse_qs(request.body)
            sid = f"SM{len(mock.calls):032d}"
            return 201, {}, (f'{{"sid": "{sid}", "status": "queued", "price": null, "to": "{fields["To"][0]}", '
                             f'"from": "{fields["From"][0]}", "account_sid": "{LESEDI_SID}"}}')

        mock.add_callback(responses.POST, TWILIO_MESSAGES, callback=created, content_type="application/json")
        yield mock


def sent_to_twilio(mock) -> dict[str, str]:
    """Each message Twilio was asked to send: number -> text."""
    return {parse_qs(call.request.body)["To"][0]: parse_qs(call.request.body)["Body"][0] for call in mock.calls
            if call.request.url == TWILIO_MESSAGES}


@pytest.fixture
def accounts(lesedi):
    """Made oldest first: another municipality's Twilio account, Lesedi's simulator, then Lesedi's
    Twilio account; so only the message's municipality, leaving the simulator aside, picks the last."""
    square = Polygon.from_bbox((18.9, -33.8, 19.1, -33.6))
    elsewhere = Municipality.objects.create(code="WC023", name="Drakenstein", boundary=MultiPolygon(square, srid=4326))
    other = ProviderAccount.objects.create(
        municipality=elsewhere, key="drakenstein-twilio", provider=Provider.TWILIO, channel="sms",
        address="+27215550100", credentials={"account_sid": "AC11111111111111111111111111111111", "auth_token": "x"})
    simulator = ProviderAccount.objects.create(municipality=lesedi, key="simulator-gt423-sms",
                                               provider=Provider.SIMULATOR, channel="sms")
    lesedi_twilio = ProviderAccount.objects.create(
        municipality=lesedi, key="lesedi-twilio", provider=Provider.TWILIO, channel="sms",
        address="+27165550100", cost_per_message=Decimal("0.3000"),
        credentials={"account_sid": LESEDI_SID, "auth_token": "twilio-auth-token"})
    return {"lesedi": lesedi_twilio, "simulator": simulator, "elsewhere": other}


def phone_only_resident(phone: str, *, home: Point | None = None) -> User:
    user = User.objects.create_user(None, "a-long-passphrase-42", phone=phone, phone_verified=True)
    if home is not None:
        Place.objects.create(user=user, name="Home", is_home=True, point=home)
    return user


def test_a_published_notice_reaches_a_phone_that_never_wrote_in_through_the_municipalitys_account(
        lesedi, accounts, twilio_api):
    phone_only_resident("+27825550201", home=HEIDELBERG)
    notice = notice_write(municipality=lesedi, actor=None, title="Water off in Heidelberg", body="Pipe repairs.",
                          kind=Notice.Kind.WATER_OUTAGE, target=Notice.Target.MUNICIPALITY)
    notice = notice_publish(notice=notice, actor=None)

    deliver_waiting()

    message = OutboundMessage.objects.get(topic__in=notice.topics, address="+27825550201")
    assert (message.channel, message.municipality_id) == ("sms", lesedi.pk)
    assert (message.state, message.provider, message.last_error) == ("sent", "lesedi-twilio", "")
    assert message.provider_message_id.startswith("SM") and message.cost == Decimal("0.3000")
    assert "Water off in Heidelberg" in sent_to_twilio(twilio_api)["+27825550201"]


def test_a_daily_digest_by_sms_goes_through_the_municipalitys_account(lesedi, accounts, categories, twilio_api,
                                                                      committed):
    user = phone_only_resident("+27825550202")
    ward = Ward.objects.current().filter(municipality=lesedi, geom__covers=HEIDELBERG).order_by("number").first()
    residents_services.alert_create(user=user, area={"ward": ward.code}, digest="daily")
    issue = issue_create(report=Report(category=categories["streetlight"], location=HEIDELBERG)).issue

    with committed():
        assert send_daily_digests() == 1

    digest = OutboundMessage.objects.get(topic__startswith="alert-digest:", address="+27825550202")
    assert (digest.municipality_id, digest.state, digest.provider) == (lesedi.pk, "sent", "lesedi-twilio")
    assert issue.reference in sent_to_twilio(twilio_api)["+27825550202"]


def test_a_log_in_code_by_sms_goes_through_the_account_of_the_municipality_the_resident_is_on(
        client, lesedi, accounts, twilio_api):
    phone_only_resident("+27825550203")
    assert client.post("/accounts/login/code/", {"phone": "082 555 0203"}).status_code == 302

    deliver_waiting()

    code = OutboundMessage.objects.get(topic="account", address="+27825550203")
    assert (code.municipality_id, code.state, code.provider) == (lesedi.pk, "sent", "lesedi-twilio")
    assert "+27825550203" in sent_to_twilio(twilio_api)


def test_without_an_active_provider_account_the_message_fails_saying_why(lesedi, accounts, twilio_api):
    ProviderAccount.objects.filter(pk=accounts["lesedi"].pk).update(is_active=False)  # the simulator stays
    notify([Recipient(phone="+27825550204")], "Water off", "Water is off until 18:00.", topic="notice:1:v1",
           municipality=lesedi)

    deliver_waiting()

    message = OutboundMessage.objects.get(address="+27825550204")
    assert message.state == "failed" and message.provider == ""
    assert message.last_error == ("ChannelUnavailable: municipality GT423 has no active sms provider account "
                                  "(the simulator reaches no real phone) to send to +27825550204")
    assert sent_to_twilio(twilio_api) == {}
