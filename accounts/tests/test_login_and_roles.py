import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.models import Group
from django.db import IntegrityError

from accounts.models import User
from accounts.roles import ROLE_PERMISSIONS
from accounts.services import normalise_phone, roles_sync

pytestmark = pytest.mark.django_db


def test_residents_log_in_with_email_in_any_case_or_phone_in_any_spelling(rf):
    by_email = User.objects.create_user("Thandi@Example.org", "a-long-passphrase")
    by_phone = User.objects.create_user(phone="+27821234567", password="another-passphrase")
    # Every log-in is checked with its request: failures count towards the lockout (accounts.lockout).
    request = rf.post("/admin/login/")
    assert authenticate(request, username="thandi@example.org", password="a-long-passphrase") == by_email
    assert authenticate(request, username="082 123 4567", password="another-passphrase") == by_phone
    assert authenticate(request, username="+27 82 123 4567", password="another-passphrase") == by_phone
    assert authenticate(request, username="0821234567", password="wrong") is None
    assert authenticate(request, username="nobody@example.org", password="x") is None


def test_a_user_needs_an_email_or_a_phone():
    with pytest.raises(ValueError):
        User.objects.create_user(password="x")
    with pytest.raises(IntegrityError):
        User.objects.create(full_name="Nobody")


@pytest.mark.parametrize("raw,expected", [
    ("082 123 4567", "+27821234567"), ("+27 82 123 4567", "+27821234567"),
    ("0027821234567", "+27821234567"), ("27821234567", "+27821234567"),
])
def test_phone_numbers_are_kept_in_e164(raw, expected):
    assert normalise_phone(raw) == expected


def test_phone_number_that_is_not_one_is_refused():
    with pytest.raises(ValueError, match="'12' is not a phone number"):
        normalise_phone("12")


def test_every_role_is_a_group_with_exactly_its_permissions():
    roles_sync()
    for role, permissions in ROLE_PERMISSIONS.items():
        group = Group.objects.get(name=role)
        granted = {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")}
        assert granted == set(permissions)
    administrator = User.objects.create_user("admin@lesedi.example", "x-passphrase-1")
    administrator.groups.add(Group.objects.get(name="municipal administrator"))
    assert administrator.has_perm("wards.import_areas")
    resident = User.objects.create_user("resident@example.org", "x-passphrase-2")
    resident.groups.add(Group.objects.get(name="resident"))
    assert not resident.has_perm("wards.change_ward")


@pytest.mark.parametrize(("raw", "country", "expected"), [
    ("082 123 4567", "ZA", "+27821234567"),
    ("+27 82 123 4567", "US", "+27821234567"),
    ("(213) 555-1234", "US", "+12135551234"),
])
def test_phone_numbers_are_read_the_way_the_country_writes_them(raw, country, expected):
    from accounts.services import normalise_phone

    assert normalise_phone(raw, country=country) == expected


@pytest.mark.parametrize(("raw", "country"), [("(213) 555-1234", "ZA"), ("12", "ZA"), ("not a number", "US")])
def test_a_number_that_is_not_valid_in_the_country_is_refused_by_name(raw, country):
    from accounts.services import normalise_phone

    with pytest.raises(ValueError, match="is not a phone number"):
        normalise_phone(raw, country=country)
