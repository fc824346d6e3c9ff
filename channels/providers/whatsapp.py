"""WhatsApp Cloud API, from its documented webhook format (no SDK needed for three calls).

- Verification: Meta GETs the webhook with `hub.mode=subscribe`, `hub.verify_token` and
  `hub.challenge`; we echo the challenge when the token is the account's `verify_token`.
- Every POST is signed: `X-Hub-Signature-256: sha256=<HMAC-SHA256 of the raw body with the app secret>`.
- The body: `entry[].changes[].value` with `metadata.phone_number_id`, `messages[]` (type `text`,
  `location`, `image`, `interactive`, ...) and `statuses[]` (sent, delivered, read, failed).
- Sending: `POST /{phone-number-id}/messages` with the access token; free-form text is allowed
  within 24 hours of the resident's last message (later, an approved template is needed).

`pywa` was considered: it brings its own web-server integration and async client; the three calls
above are all we need, and the webhook stays on Django's request like every other provider's.
"""

import hashlib
import hmac

import requests
from django.http import HttpResponse

from channels.providers.base import (
    TIMEOUT,
    Incoming,
    Malformed,
    Parsed,
    Provider,
    Receipt,
    SendFailed,
    Sent,
    e164,
    json_body,
    required,
)

GRAPH = "https://graph.facebook.com/v21.0"


class WhatsAppProvider(Provider):
    name = "whatsapp"

    def _headers(self) -> dict:
        return {"Authorization": f"Bearer {self.secrets['access_token']}"}

    def send(self, *, to: str, text: str) -> Sent:
        response = requests.post(
            f"{GRAPH}/{self.account.address}/messages", headers=self._headers(), timeout=TIMEOUT,
            json={"messaging_product": "whatsapp", "recipient_type": "individual", "to": to.lstrip("+"),
                  "type": "text", "text": {"preview_url": False, "body": text}},
        )
        if response.status_code >= 300:
            raise SendFailed(f"WhatsApp answered {response.status_code}: {response.text[:300]}")
        messages = response.json().get("messages") or []
        if not messages:
            raise SendFailed("WhatsApp gave no message id")
        return Sent(message_id=messages[0]["id"], cost=self.account.cost_per_message)

    def verify(self, request) -> bool:
        secret = self.secrets.get("app_secret", "")
        header = request.headers.get("X-Hub-Signature-256", "")
        if not secret or not header.startswith("sha256="):
            return False
        expected = hmac.new(secret.encode(), request.body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, header.removeprefix("sha256="))

    def verification_challenge(self, request) -> HttpResponse:
        token = self.secrets.get("verify_token", "")
        given = request.GET.get("hub.verify_token", "")
        if request.GET.get("hub.mode") == "subscribe" and token and hmac.compare_digest(token.encode(), given.encode()):
            return HttpResponse(request.GET.get("hub.challenge", ""), content_type="text/plain")
        return HttpResponse(status=403)

    def parse_inbound(self, request) -> Parsed:
        data = json_body(request)
        if not isinstance(data, dict) or data.get("object") != "whatsapp_business_account":
            raise Malformed("object", "must be 'whatsapp_business_account'")
        parsed = Parsed()
        for entry in _list(data, "entry"):
            for change in _list(entry, "changes"):
                value = change.get("value") if isinstance(change, dict) else None
                if not isinstance(value, dict):
                    raise Malformed("entry.changes.value", "is required")
                to = str((value.get("metadata") or {}).get("phone_number_id", ""))
                parsed.messages += [_message(item, to) for item in _list(value, "messages")]
                parsed.receipts += [_receipt(item) for item in _list(value, "statuses")]
        return parsed

    parse_status = parse_inbound  # Meta posts statuses to the same webhook

    def fetch_media(self, media_id: str) -> tuple[bytes, str]:
        found = requests.get(f"{GRAPH}/{media_id}", headers=self._headers(), timeout=TIMEOUT)
        found.raise_for_status()
        meta = found.json()
        content = requests.get(meta["url"], headers=self._headers(), timeout=TIMEOUT)
        content.raise_for_status()
        return content.content, meta.get("mime_type", "")


def _list(data, name: str) -> list:
    value = data.get(name, []) if isinstance(data, dict) else None
    if not isinstance(value, list):
        raise Malformed(name, "must be a list")
    return value


def _message(item, to: str) -> Incoming:
    if not isinstance(item, dict):
        raise Malformed("messages", "each message must be an object")
    kind = item.get("type")
    message = Incoming(message_id=required(item, "id"), phone=e164(required(item, "from")), to=to)
    if kind == "text":
        message.text = str((item.get("text") or {}).get("body", ""))
    elif kind == "location":
        place = item.get("location") or {}
        try:
            message.latitude, message.longitude = float(place["latitude"]), float(place["longitude"])
        except (KeyError, TypeError, ValueError):
            raise Malformed("location", "needs latitude and longitude") from None
        message.text = " ".join(str(place.get(key, "")) for key in ("name", "address")).strip()
    elif kind in ("image", "document"):
        media = item.get(kind) or {}
        message.media = {"id": str(media.get("id", "")), "mime_type": str(media.get("mime_type", ""))}
        message.text = str(media.get("caption", ""))
    elif kind == "button":
        message.text = str((item.get("button") or {}).get("text", ""))
    elif kind == "interactive":
        reply = item.get("interactive") or {}
        chosen = reply.get("button_reply") or reply.get("list_reply") or {}
        message.text = str(chosen.get("id") or chosen.get("title") or "")
    # Other kinds (audio, sticker, reaction, ...) arrive with no text: the conversation answers with help.
    return message


def _receipt(item) -> Receipt:
    if not isinstance(item, dict):
        raise Malformed("statuses", "each status must be an object")
    errors = item.get("errors") or []
    error = str(errors[0].get("title", "")) if errors and isinstance(errors[0], dict) else ""
    return Receipt(message_id=required(item, "id"), status=required(item, "status"), error=error)
