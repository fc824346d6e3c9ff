"""Africa's Talking: SMS out through the official SDK, SMS in and delivery reports as form posts.

Africa's Talking does not sign its callbacks: the account's webhook addresses carry a shared
secret (`?secret=`), checked in constant time. Documented callback fields:
inbound `from, to, text, id, date, linkId, networkCode`; delivery report
`id, status, phoneNumber, networkCode, failureReason, retryCount`.
"""

import africastalking

from channels.providers.base import TIMEOUT, Incoming, Parsed, Provider, Receipt, SendFailed, Sent, e164, rand, required

SENT_OK = {100, 101, 102}  # Processed, Sent, Queued


class AfricasTalkingProvider(Provider):
    name = "africastalking"

    def send(self, *, to: str, text: str) -> Sent:
        service = africastalking.SMSService(self.secrets["username"], self.secrets["api_key"])
        answer = service.send(text, [to], sender_id=self.account.address or None, timeout=TIMEOUT)
        recipients = (answer or {}).get("SMSMessageData", {}).get("Recipients") or []
        if not recipients or recipients[0].get("statusCode") not in SENT_OK:
            detail = recipients[0].get("status") if recipients else (answer or {}).get("SMSMessageData", {}).get("Message")
            raise SendFailed(f"Africa's Talking refused the message: {detail}")
        first = recipients[0]
        return Sent(message_id=first["messageId"], cost=rand(first.get("cost")))

    def parse_inbound(self, request) -> Parsed:
        data = request.POST
        return Parsed(messages=[Incoming(message_id=required(data, "id"), phone=e164(required(data, "from")),
                                         text=data.get("text", ""), to=data.get("to", ""))])

    def parse_status(self, request) -> Parsed:
        data = request.POST
        return Parsed(receipts=[Receipt(message_id=required(data, "id"), status=required(data, "status").lower(),
                                        error=data.get("failureReason", ""))])
