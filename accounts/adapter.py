"""django-allauth's adapter for Imbizo's user (accounts.User: an email address, a phone number in
E.164, or both; never a username).

What this layer cannot know is supplied from above (the project's adapter subclasses this one):
which country a number is read in (`phone_country`, from the municipality) and how a message
reaches a person (`deliver`, through the platform's one outbound interface).
"""

from allauth.account.adapter import DefaultAccountAdapter
from django.contrib.auth import get_user_model
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from accounts.forms import PhoneNumberField
from accounts.services import normalise_phone
from toolkit.conf import imbizo_setting
from toolkit.ratelimit import client_ip

# Sessions made by allauth log in through the project's own backend (email or phone, any case).
LOGIN_BACKEND = "accounts.backends.EmailOrPhoneBackend"


class AccountAdapter(DefaultAccountAdapter):
    def phone_country(self) -> str:
        """The ISO country numbers are read in; the project's adapter answers with the municipality's."""
        return imbizo_setting("DEFAULT_COUNTRY")

    def deliver(self, *, email: str = "", phone: str = "", subject: str, body: str) -> None:
        """Send one message to one address; the project's adapter sends through the outbox."""
        raise NotImplementedError

    def get_client_ip(self, request) -> str:
        """The address allauth's rate limits count: the same one the platform's limits and the
        log-in lockout use (X-Forwarded-For believed only for IMBIZO_TRUSTED_PROXIES)."""
        return client_ip(request)

    # --- phone numbers -------------------------------------------------------------------------
    def phone_form_field(self, **kwargs):
        kwargs.pop("validators", None)
        return PhoneNumberField(country=self.phone_country(), **kwargs)

    def clean_phone(self, phone: str) -> str:
        try:
            return normalise_phone(phone, country=self.phone_country())
        except ValueError:
            raise self.validation_error("invalid_phone") from None

    def set_phone(self, user, phone: str, verified: bool) -> None:
        user.phone, user.phone_verified = phone, verified
        if user.pk:  # a user being signed up is saved once, whole, by save_user
            user.save(update_fields=["phone", "phone_verified"])

    def get_phone(self, user) -> tuple[str, bool] | None:
        return (user.phone, user.phone_verified) if user.phone else None

    def set_phone_verified(self, user, phone: str) -> None:
        get_user_model().objects.filter(pk=user.pk, phone=phone).update(phone_verified=True)
        user.phone_verified = True

    def get_user_by_phone(self, phone: str):
        return get_user_model().objects.filter(phone=phone).order_by("pk").first()

    def send_verification_code_sms(self, user, phone: str, code: str, **kwargs) -> None:
        body = render_to_string("accounts/sms/verification_code.txt", {"code": code, "user": user}).strip()
        self.deliver(phone=phone, subject=_("Your Imbizo code"), body=body)

    def send_unknown_account_sms(self, phone: str, **kwargs) -> None:
        self.deliver(phone=phone, subject=_("Imbizo"),
                     body=_("Someone asked for an Imbizo log-in code for this number, which has no account. "
                            "Sign up on the municipality's site if it was you."))

    def send_account_already_exists_sms(self, phone: str) -> None:
        self.deliver(phone=phone, subject=_("Imbizo"),
                     body=_("This number already has an Imbizo account: log in with it instead of signing up."))

    # --- email -----------------------------------------------------------------------------------
    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        from allauth.core import context as allauth_context
        from django.contrib.sites.shortcuts import get_current_site

        request = allauth_context.request
        message = self.render_mail(template_prefix, email, {
            "request": request, "email": email, "current_site": get_current_site(request), **context,
        })
        self.deliver(email=email, subject=message.subject, body=message.body)

    # --- the user row ----------------------------------------------------------------------------
    def save_user(self, request, user, form, commit=True):
        user = super().save_user(request, user, form, commit=False)  # sets the phone (unverified) too
        # The user table keeps a missing email or phone as NULL (both are unique), never "".
        user.email = user.email or None
        user.phone = user.phone or None
        if commit:
            user.save()
        return user

    def login(self, request, user) -> None:
        if not hasattr(user, "backend"):
            user.backend = LOGIN_BACKEND
        super().login(request, user)
