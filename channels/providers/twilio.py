"""Twilio: SMS (and WhatsApp through Twilio) out with the `twilio` SDK; webhooks are form posts
signed in `X-Twilio-Signature`, checked with the SDK's RequestValidator against the URL Twilio
called (set `webhook_base` in the secrets when a proxy changes the scheme or host).

Inbound fields: `MessageSid, From, To, Body, NumMedia, MediaUrl0, MediaContentType0` and, for a
WhatsApp location, `Latitude, Longitude`. Status callbacks: `MessageSid, MessageStatus, ErrorCode`.
"""

from django.http import HttpResponse
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from channels.providers.base import Incoming, Parsed, Provider, Receipt, Sent, e164, rand, required

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


class TwilioProvider(Provider):
    name = "twilio"

    def send(self, *, to: str, text: str) -> Sent:
        client = Client(self.secrets["account_sid"], self.secrets["auth_token"])
        message = client.messages.create(to=to, from_=self.account.address, body=text)
        cost = rand(f"{message.price_unit} {message.price}") if message.price and message.price_unit else None
        return Sent(message_id=message.sid, cost=cost)

    def verify(self, request) -> bool:
        token = self.secrets.get("auth_token", "")
        signature = request.headers.get("X-Twilio-Signature", "")
        if not token or not signature:
            return False
        base = self.secrets.get("webhook_base", "").rstrip("/")
        url = base + request.get_full_path() if base else request.build_absolute_uri()
        return RequestValidator(token).validate(url, request.POST.dict(), signature)

    def parse_inbound(self, request) -> Parsed:
        data = request.POST
        media = {}
        if int(data.get("NumMedia") or 0) > 0:
            media = {"url": data.get("MediaUrl0", ""), "mime_type": data.get("MediaContentType0", "")}
        latitude, longitude = data.get("Latitude"), data.get("Longitude")
        return Parsed(messages=[Incoming(
            message_id=required(data, "MessageSid"), phone=e164(required(data, "From")), text=data.get("Body", ""),
            latitude=float(latitude) if latitude else None, longitude=float(longitude) if longitude else None,
            media=media, to=data.get("To", "").removeprefix("whatsapp:"),
        )])

    def parse_status(self, request) -> Parsed:
        data = request.POST
        return Parsed(receipts=[Receipt(message_id=required(data, "MessageSid"), status=required(data, "MessageStatus"),
                                        error=data.get("ErrorCode", ""))])

    def acknowledge(self, request, parsed=None) -> HttpResponse:
        return HttpResponse(EMPTY_TWIML, content_type="text/xml")
