"""Planners' message counts per ward and channel, costs in the admin, the simulator's screen API,
and the board's channel filter."""

import pytest
from django.contrib.auth.models import Group, Permission

from accounts.models import User
from channels.models import ProviderAccount
from wards.models import Municipality

pytestmark = pytest.mark.django_db

PHONE = "+27825550121"


def file_by_ward(phone, sender: str, ward: str) -> str:
    for text in ("hi", "1", "1", ward, "0"):
        phone(sender, text)
    return phone(sender, "1")["issue"]


@pytest.fixture
def planner(lesedi):
    user = User.objects.create_user("planner@lesedi.example", "pw-planner-1", municipality=lesedi, is_staff=True)
    user.groups.add(Group.objects.get(name="planner"))
    return user


def test_planners_read_messages_per_ward_and_channel_with_their_cost(client, phone, categories, simulator_sms, planner):
    file_by_ward(phone, PHONE, "8")
    file_by_ward(phone, "+27825550122", "3")
    client.force_login(planner)
    rows = client.get("/api/v1/channels/figures").json()["rows"]
    by_ward = {(row["ward"], row["channel"]): row for row in rows}
    assert by_ward[(8, "sms")]["inbound"] == 5 and by_ward[(3, "sms")]["inbound"] == 5
    # Every reply went out through the simulator account at R0.25 each; "hi" got the menu before any report.
    assert by_ward[(None, "sms")]["inbound"] == 2
    assert by_ward[(None, "sms")]["outbound"] == 12
    assert by_ward[(None, "sms")]["cost"] == "3.0000"


def test_message_figures_are_for_planners_of_their_own_municipality(client, lesedi, planner, staff):
    assert client.get("/api/v1/channels/figures").status_code == 403
    client.force_login(staff)  # a dispatcher
    assert client.get("/api/v1/channels/figures").status_code == 403
    Municipality.objects.create(code="WC023", name="Drakenstein")
    client.force_login(planner)
    assert client.get("/api/v1/channels/figures?municipality=WC023").status_code == 403


def test_the_admin_shows_each_account_with_its_messages_and_cost(client, phone, categories, simulator_sms, lesedi):
    file_by_ward(phone, PHONE, "8")
    other = Municipality.objects.create(code="WC023", name="Drakenstein")
    ProviderAccount.objects.create(municipality=other, key="drakenstein-sms", provider="africastalking")
    admin = User.objects.create_user("admin@lesedi.example", "pw-admin-1", municipality=lesedi, is_staff=True)
    admin.groups.add(Group.objects.get(name="municipal administrator"))
    admin.user_permissions.add(*Permission.objects.filter(content_type__app_label="channels"))
    client.force_login(admin)
    page = client.get("/admin/channels/provideraccount/").content.decode()
    assert "simulator-gt423-sms" in page and "drakenstein-sms" not in page
    assert ">6<" in page and ">1.50<" in page  # six replies at R0.25


def test_the_simulator_screen_shows_replies_and_updates_of_simulated_phones_only(staff_client, phone, categories,
                                                                                 simulator_sms):
    phone(PHONE, "hi")
    screen = staff_client.get(f"/api/v1/channels/simulator/messages?phone={PHONE}").json()["messages"]
    assert [(item["direction"], item["update"]) for item in screen] == [("in", False), ("out", False)]
    assert staff_client.get("/api/v1/channels/simulator/messages?phone=x").status_code == 400


def test_the_board_filters_by_the_new_channels(staff_client, phone, categories, simulator_sms):
    reference = file_by_ward(phone, PHONE, "8")
    found = staff_client.get("/api/v1/board/issues?municipality=GT423&channel=sms,whatsapp,ussd").json()
    assert reference in str(found)
    assert reference not in str(staff_client.get("/api/v1/board/issues?municipality=GT423&channel=whatsapp").json())


def test_the_simulator_api_is_in_the_openapi_schema(client):
    schema = client.get("/api/schema/?format=json").json()
    assert "/api/v1/channels/simulator/messages" in schema["paths"]
    assert "/api/v1/channels/figures" in schema["paths"]
