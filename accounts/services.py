from django.contrib.auth.models import Group, Permission
from django.db import transaction

from accounts.roles import ROLE_PERMISSIONS


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


def normalise_phone(raw: str, *, country_code: str = "27") -> str:
    """South African numbers as E.164: '082 123 4567' and '+27 82 123 4567' both give
    '+27821234567'. Raises ValueError naming the input when it cannot be a phone number."""
    digits = "".join(ch for ch in raw if ch.isdigit())
    if raw.strip().startswith("+"):
        normalised = "+" + digits
    elif digits.startswith("00"):
        normalised = "+" + digits[2:]
    elif digits.startswith("0"):
        normalised = f"+{country_code}{digits[1:]}"
    else:
        normalised = "+" + digits
    if not 9 <= len(normalised) - 1 <= 15:
        raise ValueError(f"'{raw}' is not a phone number")
    return normalised
