import phonenumbers
from django.contrib.auth.models import Group, Permission
from django.db import transaction

from accounts.roles import ROLE_PERMISSIONS
from toolkit.conf import imbizo_setting


@transaction.atomic
def roles_sync() -> dict[str, int]:
    """Create each role's group and give it exactly the permissions ROLE_PERMISSIONS lists.

    A listed permission that does not exist is a programming error and raises: a role silently
    missing a permission is how staff end up locked out on day one.
    """
    wanted = {perm for perms in ROLE_PERMISSIONS.values() for perm in perms}
    by_name = {
        f"{app_label}.{codename}": permission
        for permission, app_label, codename in (
            (p, p.content_type.app_label, p.codename)
            for p in Permission.objects.select_related("content_type")
        )
    }
    unknown = sorted(wanted - by_name.keys())
    if unknown:
        raise LookupError(f"roles name permissions that do not exist: {', '.join(unknown)}")
    counts = {}
    for role, perms in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        group.permissions.set([by_name[perm] for perm in perms])
        counts[role] = len(perms)
    return counts


def normalise_phone(raw: str, *, country: str | None = None) -> str:
    """A phone number in E.164 ('+27821234567'), read the way people write numbers in `country`
    (ISO 3166 alpha-2; the installation's DEFAULT_COUNTRY when not given): '082 123 4567' in South
    Africa, '(213) 555-1234' in the United States. Raises ValueError naming the input when it is
    not a valid number there."""
    region = (country or imbizo_setting("DEFAULT_COUNTRY")).upper()
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        raise ValueError(f"'{raw}' is not a phone number") from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError(f"'{raw}' is not a phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
