"""The simulator: a provider with no network, for development, the staff's phone page and tests.

Its outbound messages are recorded (the outbox row is the phone's screen); its inbound messages
come from the staff API (`POST /api/v1/channels/simulator/messages`) or, for scripted tests of the
webhook path, a JSON POST to `/channels/simulator/inbound?secret=...`.
"""

import uuid

from channels.providers.base import Incoming, Malformed, Parsed, Provider, Receipt, Sent, e164, json_body, required


class SimulatorProvider(Provider):
    name = "simulator"

    def send(self, *, to: str, text: str) -> Sent:
        return Sent(message_id=f"sim-{uuid.uuid4().hex}", cost=self.account.cost_per_message)

    def parse_inbound(self, request) -> Parsed:
        data = json_body(request)
        if not isinstance(data, dict):
            raise_malformed()
        return Parsed(messages=[incoming(data)])

    def parse_status(self, request) -> Parsed:
        data = json_body(request)
        if not isinstance(data, dict):
            raise_malformed()
        return Parsed(receipts=[Receipt(message_id=required(data, "id"), status=required(data, "status"))])


def raise_malformed():
    raise Malformed("body", "must be a JSON object")


def incoming(data: dict) -> Incoming:
    """{"id": ..., "from": "+27...", "text": ...} or with "latitude"/"longitude"."""
    latitude, longitude = data.get("latitude"), data.get("longitude")
    try:
        latitude = None if latitude is None else float(latitude)
        longitude = None if longitude is None else float(longitude)
    except (TypeError, ValueError):
        raise Malformed("latitude", "latitude and longitude must be numbers") from None
    if (latitude is None) != (longitude is None):
        raise Malformed("longitude" if longitude is None else "latitude", "a location needs both latitude and longitude")
    return Incoming(
        message_id=str(data.get("id") or f"sim-in-{uuid.uuid4().hex}"),
        phone=e164(required(data, "from")),
        text=str(data.get("text") or ""),
        latitude=latitude,
        longitude=longitude,
        media=data.get("media") or {},
    )
