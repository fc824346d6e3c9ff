"""BulkSMS and Clickatell, over their REST APIs with `requests` (neither keeps a maintained SDK).

BulkSMS (JSON API v1): `POST https://api.bulksms.com/v1/messages` with basic auth (token id and
secret); its webhooks post a JSON array of message objects (`id, from, to, body, type` and, for
status, `status.type`). Clickatell (Platform API): `POST https://platform.clickatell.com/v1/message`
with the API key; callbacks are JSON (`messageId, fromNumber, toNumber, text` inbound;
`messageId, status` for delivery). Neither signs its callbacks: a shared secret in the address.
"""

from decimal import Decimal

import requests

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


class BulkSmsProvider(Provider):
    name = "bulksms"
    url = "https://api.bulksms.com/v1/messages"

    def send(self, *, to: str, text: str) -> Sent:
        body = {"to": to, "body": text, **({"from": self.account.address} if self.account.address else {})}
        response = requests.post(self.url, json=body, timeout=TIMEOUT,
                                 auth=(self.secrets["token_id"], self.secrets["token_secret"]))
        if response.status_code >= 300:
            raise SendFailed(f"BulkSMS answered {response.status_code}: {response.text[:300]}")
        first = (response.json() or [{}])[0]
        credits = Decimal(str(first.get("creditCost") or 1))
        return Sent(message_id=str(first["id"]), cost=credits * self.account.cost_per_message)

    def _items(self, request) -> list[dict]:
        data = json_body(request)
        if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
            raise Malformed("body", "must be a JSON array of messages")
        return data

    def parse_inbound(self, request) -> Parsed:
        return Parsed(messages=[Incoming(message_id=required(item, "id"), phone=e164(required(item, "from")),
                                         text=str(item.get("body", "")), to=str(item.get("to", "")))
                                for item in self._items(request)])

    def parse_status(self, request) -> Parsed:
        return Parsed(receipts=[Receipt(message_id=required(item, "id"),
                                        status=str((item.get("status") or {}).get("type", "")).lower() or "unknown")
                                for item in self._items(request)])


class ClickatellProvider(Provider):
    name = "clickatell"
    url = "https://platform.clickatell.com/v1/message"

    def send(self, *, to: str, text: str) -> Sent:
        response = requests.post(self.url, timeout=TIMEOUT, headers={"Authorization": self.secrets["api_key"]},
                                 json={"messages": [{"channel": "sms", "to": to.lstrip("+"), "content": text}]})
        if response.status_code >= 300:
            raise SendFailed(f"Clickatell answered {response.status_code}: {response.text[:300]}")
        first = (response.json().get("messages") or [{}])[0]
        if not first.get("accepted"):
            raise SendFailed(f"Clickatell refused the message: {first.get('error')}")
        return Sent(message_id=str(first["apiMessageId"]), cost=self.account.cost_per_message)

    def _object(self, request) -> dict:
        data = json_body(request)
        if not isinstance(data, dict):
            raise Malformed("body", "must be a JSON object")
        return data

    def parse_inbound(self, request) -> Parsed:
        data = self._object(request)
        return Parsed(messages=[Incoming(message_id=required(data, "messageId"), phone=e164(required(data, "fromNumber")),
                                         text=str(data.get("text", "")), to=str(data.get("toNumber", "")))])

    def parse_status(self, request) -> Parsed:
        data = self._object(request)
        return Parsed(receipts=[Receipt(message_id=required(data, "messageId"), status=str(required(data, "status")).lower())])
