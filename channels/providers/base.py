"""The one interface every provider adapter has.

A provider turns our message into its API call (`send`: returns its message id and the cost), and
its webhooks into ours: `verify` says whether a request really came from it (signature or shared
secret), `parse_inbound` and `parse_status` read the body into `Incoming` messages and `Receipt`s.
Adapters know nothing of conversations or issues; `channels.services` does the rest.
"""

from __future__ import annotations

import hmac
import json
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.http import HttpResponse

# Replies over HTTP wait at most this long for a provider's API (seconds: connect, read).
TIMEOUT = (3.05, 10)


class Malformed(Exception):
    """The body is not what the provider documents; `field` names what is missing or wrong."""

    def __init__(self, field_name: str, message: str):
        super().__init__(f"{field_name}: {message}")
        self.field, self.message = field_name, message


class SendFailed(Exception):
    """The provider refused the message (the outbox retries it)."""


@dataclass
class Incoming:
    """One message from a phone."""

    message_id: str
    phone: str  # E.164 with its +
    text: str = ""
    latitude: float | None = None
    longitude: float | None = None
    media: dict = field(default_factory=dict)  # {"id": provider media id, "mime_type": ..., "caption": ...}
    to: str = ""  # our number, short code or WhatsApp phone number id, as the provider names it
    session_id: str = ""  # USSD


@dataclass
class Receipt:
    """A delivery receipt: the provider's message id, its status, and the cost when it says one."""

    message_id: str
    status: str
    cost: Decimal | None = None
    error: str = ""


@dataclass
class Sent:
    message_id: str
    cost: Decimal | None = None  # rand; None when the provider does not say


@dataclass
class Parsed:
    messages: list[Incoming] = field(default_factory=list)
    receipts: list[Receipt] = field(default_factory=list)


class Provider:
    """Subclasses set `name` and override what they support."""

    name = ""
    # USSD answers in the webhook's own response; the others reply with a new message later.
    synchronous = False

    def __init__(self, account):
        self.account = account
        self.secrets = account.secrets

    # --- outbound ---
    def send(self, *, to: str, text: str) -> Sent:
        raise NotImplementedError

    # --- inbound ---
    def verify(self, request) -> bool:
        """Whether the request came from the provider. The default: the shared secret the account
        gave the provider in its webhook address (`?secret=`), compared in constant time."""
        expected = self.secrets.get("webhook_secret", "")
        given = request.GET.get("secret", "")
        return bool(expected) and hmac.compare_digest(expected.encode(), given.encode())

    def parse_inbound(self, request) -> Parsed:
        raise Malformed("body", f"{self.name} sends no inbound messages")

    def parse_status(self, request) -> Parsed:
        raise Malformed("body", f"{self.name} sends no delivery receipts")

    def acknowledge(self, request, parsed: Parsed | None = None) -> HttpResponse:
        """What the webhook answers once the message is stored."""
        return HttpResponse(status=200)

    def verification_challenge(self, request) -> HttpResponse | None:
        """A GET the provider makes to check the webhook address (WhatsApp); None: not supported."""
        return None

    def fetch_media(self, media_id: str) -> tuple[bytes, str]:
        raise NotImplementedError(f"{self.name} has no media to fetch")


def required(data, name: str) -> str:
    value = data.get(name)
    if value is None or str(value).strip() == "":
        raise Malformed(name, "is required")
    return str(value)


def json_body(request):
    try:
        return json.loads(request.body or b"")
    except (ValueError, UnicodeDecodeError):
        raise Malformed("body", "is not JSON") from None


def e164(number: str) -> str:
    """'27821234567' or '+27821234567' → '+27821234567'; providers differ on the plus."""
    number = str(number).strip().replace(" ", "")
    if number.startswith("whatsapp:"):
        number = number[len("whatsapp:"):]
    digits = number.lstrip("+")
    if not digits.isdigit() or not 6 <= len(digits) <= 15:
        raise Malformed("phone", f"'{number[:32]}' is not a phone number")
    return "+" + digits


def rand(amount: str | float | Decimal | None) -> Decimal | None:
    """A provider's cost in rand: '0.2000', 'ZAR 0.2000'; another currency or nothing gives None
    (the account's own cost per message is used instead)."""
    if amount is None or amount == "":
        return None
    text = str(amount).strip()
    if " " in text:
        currency, text = text.split(" ", 1)
        if currency.upper() != "ZAR":
            return None
    try:
        return abs(Decimal(text))
    except InvalidOperation:
        return None
