"""The residents' account adapter as the project wires it: accounts' adapter (which knows the user)
given the country of the municipality the resident is on (wards, through residents) and the
platform's one outbound interface (notices), which no app below them may import."""

from accounts.adapter import AccountAdapter as BaseAccountAdapter
from notices.outbound import Recipient, notify
from residents.selectors import municipality_of_request
from residents.services import consent_give


class AccountAdapter(BaseAccountAdapter):
    def phone_country(self) -> str:
        municipality = municipality_of_request(self.request)
        return municipality.country if municipality else super().phone_country()

    def deliver(self, *, email: str = "", phone: str = "", subject: str, body: str) -> None:
        # Codes and links are for this address alone: a recipient without a user id is never
        # matched to anyone else's address book. Email goes first when both are given; a code by
        # SMS goes out through the account of the municipality whose pages the resident is on.
        notify([Recipient(email=email, phone=phone)], subject, body, topic="account", sms_body=body,
               municipality=municipality_of_request(self.request))

    def save_user(self, request, user, form, commit=True):
        user = super().save_user(request, user, form, commit=commit)
        if commit and "consent" in form.cleaned_data:
            # The consent (POPIA) is recorded per channel given, with the words the form showed.
            wording = str(form.fields["consent"].label)
            for channel, address in (("email", user.email), ("sms", user.phone)):
                if address:
                    consent_give(user=user, channel=channel, wording=wording)
        return user
