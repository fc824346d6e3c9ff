"""Residents sign up and log in by email (password or code) or by mobile number (SMS code), through
django-allauth's pages; every code and link leaves through the outbox (notices.outbound.notify)."""

import re

import pytest
from django.contrib.auth import get_user_model

from notices.models import OutboundMessage

pytestmark = pytest.mark.django_db


def last_message(address: str) -> OutboundMessage:
    return OutboundMessage.objects.filter(address=address).latest("id")


def code_in(message: OutboundMessage) -> str:
    return re.search(r"\b(\d{6})\b", message.body).group(1)


def test_sign_up_by_mobile_number_written_locally_is_confirmed_by_an_sms_code(client):
    page = client.post("/accounts/signup/", {"phone": "082 123 4567", "full_name": "Thandi", "consent": "on"})
    assert page.status_code == 302 and page["Location"] == "/accounts/phone/verify/"
    user = get_user_model().objects.get(phone="+27821234567")
    assert (user.email, user.phone_verified, user.has_usable_password(), user.is_staff) == (None, False, False, False)
    sms = last_message("+27821234567")
    assert sms.channel == OutboundMessage.Channel.SMS and sms.user_id is None

    wrong = client.post("/accounts/phone/verify/", {"code": "000000"})
    assert wrong.status_code == 200 and not client.session.get("_auth_user_id")
    done = client.post("/accounts/phone/verify/", {"code": code_in(sms)})
    assert done.status_code == 302
    user.refresh_from_db()
    assert user.phone_verified and client.session["_auth_user_id"] == str(user.pk)


def test_phone_numbers_are_read_in_the_municipalitys_country(client, settings):
    settings.IMBIZO = {**settings.IMBIZO, "DEFAULT_COUNTRY": "US"}
    client.post("/accounts/signup/", {"phone": "(213) 555-1234", "consent": "on"})
    assert get_user_model().objects.filter(phone="+12135551234").exists()


def test_a_number_that_is_no_number_is_refused_naming_the_field(client):
    page = client.post("/accounts/signup/", {"phone": "12"})
    assert page.status_code == 200 and page.context["form"].errors["phone"]
    assert not get_user_model().objects.exists()


def test_sign_up_needs_consent_recorded_per_channel_with_its_wording(client):
    refused = client.post("/accounts/signup/", {"phone": "082 123 4567"})
    assert refused.status_code == 200 and refused.context["form"].errors["consent"]
    client.post("/accounts/signup/", {"phone": "082 123 4567", "email": "both@example.org", "consent": "on"})
    user = get_user_model().objects.get(phone="+27821234567")
    consents = {consent.channel: consent for consent in user.consents.all()}
    assert set(consents) == {"email", "sms"} and "contacts me" in consents["sms"].wording
    assert consents["sms"].given_at is not None and consents["sms"].withdrawn_at is None


def test_sign_up_needs_an_email_or_a_number(client):
    page = client.post("/accounts/signup/", {"full_name": "Nobody"})
    assert page.status_code == 200 and "Give an email address or a mobile number." in page.content.decode()


def test_sign_up_by_email_sends_a_verification_link_and_logs_in_by_password(client):
    page = client.post("/accounts/signup/", {"email": "Lerato@Example.org", "password1": "a-long-passphrase-42", "consent": "on"})
    assert page.status_code == 302
    user = get_user_model().objects.get(email="lerato@example.org")
    mail = last_message("lerato@example.org")
    assert mail.channel == OutboundMessage.Channel.EMAIL and "/accounts/confirm-email/" in mail.body
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", mail.body).group(0)
    client.logout()
    client.post(link.split("testserver", 1)[-1])
    assert user.emailaddress_set.get().verified

    client.logout()
    assert client.post("/accounts/login/", {"login": "lerato@example.org", "password": "wrong"}).status_code == 200
    assert client.post("/accounts/login/", {"login": "LERATO@example.org", "password": "a-long-passphrase-42"}).status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


def test_log_in_by_code_sent_to_a_mobile_number(client, django_user_model):
    user = django_user_model.objects.create_user(phone="+27821112222", phone_verified=True)
    page = client.post("/accounts/login/code/", {"phone": "082 111 2222"})
    assert page.status_code == 302
    sms = last_message("+27821112222")
    assert client.post("/accounts/login/code/confirm/", {"code": code_in(sms)}).status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


def test_code_attempts_are_limited(client, django_user_model):
    django_user_model.objects.create_user(phone="+27821112222", phone_verified=True)
    client.post("/accounts/login/code/", {"phone": "+27821112222"})
    for _ in range(3):
        client.post("/accounts/login/code/confirm/", {"code": "XXXXXX"})
    # After the allowed wrong attempts the code is spent: even the right one no longer logs in.
    right = code_in(last_message("+27821112222"))
    client.post("/accounts/login/code/confirm/", {"code": right})
    assert not client.session.get("_auth_user_id")


def test_password_reset_by_emailed_link(client, django_user_model):
    django_user_model.objects.create_user("sipho@example.org", "old-passphrase-1234")
    assert client.post("/accounts/password/reset/", {"email": "sipho@example.org"}).status_code == 302
    link = re.search(r"https?://\S+/accounts/password/reset/key/\S+/", last_message("sipho@example.org").body).group(0)
    form = client.get(link.split("testserver", 1)[-1], follow=True)
    done = client.post(form.redirect_chain[-1][0], {"password1": "new-passphrase-5678", "password2": "new-passphrase-5678"})
    assert done.status_code == 302
    assert django_user_model.objects.get(email="sipho@example.org").check_password("new-passphrase-5678")


def test_the_staff_admin_login_still_works_and_refuses_residents(client, django_user_model):
    django_user_model.objects.create_user("resident@example.org", "a-long-passphrase-42")
    django_user_model.objects.create_user("staff@example.org", "a-long-passphrase-42", is_staff=True)
    resident = client.post("/admin/login/", {"username": "resident@example.org", "password": "a-long-passphrase-42"})
    assert resident.status_code == 200 and not client.session.get("_auth_user_id")
    staff = client.post("/admin/login/", {"username": "staff@example.org", "password": "a-long-passphrase-42"})
    assert staff.status_code == 302


def test_account_pages_use_the_site_layout(client):
    page = client.get("/accounts/signup/").content.decode()
    assert 'class="brand-bar"' in page and "accounts/pages.css" in page and 'name="phone"' in page
