"""Phone numbers as residents write them in the municipality's country ("016 492 3000" in South
Africa), checked with Google's libphonenumber rules and stored in E.164 ("+27164923000")."""

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


def phone_e164(raw: str, *, country: str) -> str:
    """The number in E.164, or "" for a blank one; ValidationError naming the number otherwise."""
    text = (raw or "").strip()
    if not text:
        return ""
    try:
        number = phonenumbers.parse(text, country)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise ValidationError(
            _("'%(number)s' is not a valid phone number in %(country)s (e.g. 016 492 3000 or +27 16 492 3000).")
            % {"number": text[:40], "country": country})
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_display(e164: str, *, country: str) -> str:
    """How the number is written at home ("016 492 3000"), or internationally when it is abroad."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    home = phonenumbers.region_code_for_number(number) == country
    style = phonenumbers.PhoneNumberFormat.NATIONAL if home else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    return phonenumbers.format_number(number, style)
