"""Forms of residents' accounts (django-allauth's pages use them): a phone number field read the
way the municipality's country writes numbers, and sign-up by email or by mobile number."""

from allauth.account.forms import SignupForm as AllauthSignupForm
from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.services import normalise_phone


class PhoneNumberField(forms.CharField):
    """A mobile number as people write it in `country` ('082 123 4567' in South Africa), cleaned to
    E.164 ('+27821234567') with Google's libphonenumber rules."""

    def __init__(self, *, country: str | None = None, **kwargs):
        self.country = country
        kwargs.setdefault("label", _("Mobile number"))
        kwargs.setdefault("max_length", 32)
        kwargs.setdefault("widget", forms.TextInput(attrs={"type": "tel", "autocomplete": "tel", "inputmode": "tel"}))
        super().__init__(**kwargs)

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return value
        try:
            return normalise_phone(value, country=self.country)
        except ValueError:
            raise forms.ValidationError(_("This is not a mobile number we can send a code to."),
                                        code="invalid_phone") from None


class SignupForm(AllauthSignupForm):
    """Sign up with an email address (a password is optional: without one, log in by emailed
    code) or with a mobile number alone (a code by SMS confirms it). One of the two is needed."""

    full_name = forms.CharField(label=_("Your name (optional)"), max_length=150, required=False)
    consent = forms.BooleanField(label=_("I agree that the municipality contacts me at this email address or mobile "
                                         "number about my reports, my alerts and its notices. I can change this in my "
                                         "preferences at any time."))
    field_order = ["full_name", "email", "phone", "password1", "consent"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].label = _("Email address")
        self.fields["email"].required = False
        if "password1" in self.fields:
            self.fields["password1"].required = False
            self.fields["password1"].label = _("Password (optional: without one, log in with a code)")

    def clean(self):
        data = super().clean()
        if not data.get("email") and not data.get("phone") and not self.errors.get("phone"):
            raise forms.ValidationError(_("Give an email address or a mobile number."), code="no_login")
        return data

    def signup(self, request, user):
        if self.cleaned_data.get("full_name"):
            user.full_name = self.cleaned_data["full_name"]
            user.save(update_fields=["full_name"])
