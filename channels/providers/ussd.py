"""A USSD gateway in the common form (Africa's Talking and most aggregators): a form POST with
`sessionId, serviceCode, phoneNumber, text` (everything typed in this session, `*`-separated,
e.g. `1*2*Heidelberg`), answered in the response body with `CON <menu>` to go on or `END <text>`
to finish. Sessions are short (about 2 minutes, 20 s idle), so menus stay short and the answer
comes from the request itself. Gateways do not sign: the webhook address carries a shared secret.
"""

import hashlib

from django.http import HttpResponse

from channels.providers.base import Incoming, Parsed, Provider, e164, required


class UssdProvider(Provider):
    name = "ussd"
    synchronous = True

    def parse_inbound(self, request) -> Parsed:
        data = request.POST
        session, text = required(data, "sessionId"), data.get("text", "")
        # One message per step of a session: the same step posted again is a replay.
        step = hashlib.sha256(f"{session}\0{text}".encode()).hexdigest()[:40]
        return Parsed(messages=[Incoming(
            message_id=f"{session[:80]}:{step}", phone=e164(required(data, "phoneNumber")),
            text=text.split("*")[-1] if text else "", to=data.get("serviceCode", ""), session_id=session,
        )])

    def answer(self, text: str, *, finished: bool) -> HttpResponse:
        return HttpResponse(("END " if finished else "CON ") + text, content_type="text/plain; charset=utf-8")
