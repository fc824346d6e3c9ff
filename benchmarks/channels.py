"""Channels: an inbound message's webhook until its reply is ready, and a sustained inbound rate.

The site runs behind granian with 2 workers (benchmarks/support.py), DELIVERY "worker": the webhook
stores the message, answers, and the conversation runs after the commit and queues its reply in
the outbox (no provider is called: the reply waits for the delivery worker, which is not running).

1. Latency, one client: POST /channels/<account>/inbound (a JSON message, shared secret) from a
   new phone each time, until the response; the reply is in the outbox by then. Also a USSD step
   (its reply is the response itself). Baseline in the same run: GET /healthz (Django + SELECT 1).
2. Sustained rate: 8 clients send --messages messages as fast as the server takes them, a tenth of
   them sent twice (providers retry); then every message must be stored exactly once, handled, and
   answered exactly once.

Targets (issue 22): p95 under 50 ms; 200 messages/s sustained without loss.
Synthetic rows belong to a municipality 'ZZ998' made for the run and removed at the end.
Usage: ./imbizo bench channels [--messages 4000] [--calls 500]
"""

import argparse
import http.client
import json
import sys
import threading
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.support import floor_figures, setup_django, summary, timed, wsgi_server  # noqa: E402

CODE = "ZZ998"
SECRET = "bench-secret"
CLIENTS = 8


def set_up():
    from django.contrib.gis.geos import MultiPolygon, Polygon

    from channels.models import ProviderAccount
    from wards.models import Municipality

    tear_down()
    box = Polygon.from_bbox((28.2, -26.7, 28.9, -26.2))
    box.srid = 4326
    municipality = Municipality.objects.create(code=CODE, name="Benchmark", boundary=MultiPolygon(box, srid=4326))
    ProviderAccount.objects.create(municipality=municipality, key="bench-sms", provider="simulator", channel="sms",
                                   credentials={"webhook_secret": SECRET})
    ProviderAccount.objects.create(municipality=municipality, key="bench-ussd", provider="ussd", channel="ussd",
                                   credentials={"webhook_secret": SECRET})


def tear_down():
    from channels.models import Conversation, InboundMessage, ProviderAccount
    from notices.models import OutboundMessage
    from wards.models import Municipality

    keys = ["bench-sms", "bench-ussd"]
    OutboundMessage.objects.filter(topic__in=[f"conversation:{key}" for key in keys]).delete()
    InboundMessage.objects.filter(account__key__in=keys).delete()
    Conversation.objects.filter(account__key__in=keys).delete()
    ProviderAccount.objects.filter(key__in=keys).delete()
    Municipality.objects.filter(code=CODE).delete()


class Client:
    def __init__(self, port: int):
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def post(self, path: str, body: bytes, content_type: str) -> tuple[int, bytes]:
        self.connection.request("POST", path, body=body, headers={"Content-Type": content_type})
        response = self.connection.getresponse()
        return response.status, response.read()


def sms(client: Client, number: int, message_id: str) -> None:
    body = json.dumps({"id": message_id, "from": f"+2799{number:07d}", "text": "hi"}).encode()
    status, answer = client.post(f"/channels/bench-sms/inbound?secret={SECRET}", body, "application/json")
    assert status == 200, (status, answer[:200])


def ussd(client: Client, number: int) -> None:
    body = urllib.parse.urlencode({"sessionId": f"bench-{number}", "serviceCode": "*120*998#",
                                   "phoneNumber": f"+2798{number:07d}", "text": ""}).encode()
    status, answer = client.post(f"/channels/bench-ussd/inbound?secret={SECRET}", body,
                                 "application/x-www-form-urlencoded")
    assert status == 200 and answer.startswith(b"CON "), (status, answer[:200])


def sustained(port: int, messages: int) -> dict:
    """CLIENTS threads share the messages; every tenth is sent a second time by another thread."""
    plan = [(number, f"bench-rate-{number}") for number in range(1_000_000, 1_000_000 + messages)]
    plan += [plan[index] for index in range(0, messages, 10)]
    failures: list[str] = []

    def work(share):
        client = Client(port)
        for number, message_id in share:
            try:
                sms(client, number, message_id)
            except Exception as exc:  # noqa: BLE001 - counted and reported, the run goes on
                failures.append(repr(exc))
                client = Client(port)

    threads = [threading.Thread(target=work, args=(plan[index::CLIENTS],)) for index in range(CLIENTS)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    return {"posted": len(plan), "unique": messages, "seconds": elapsed, "failures": failures}


def check_exactly_once(unique: int) -> dict:
    from django.db.models import Count

    from channels.models import InboundMessage
    from notices.models import OutboundMessage

    stored = InboundMessage.objects.filter(provider_message_id__startswith="bench-rate-")
    replies = (OutboundMessage.objects.filter(topic="conversation:bench-sms", address__startswith="+27991")
               .values("address").annotate(n=Count("id")))
    return {
        "stored": stored.count(),
        "handled": stored.filter(handled_at__isnull=False).count(),
        "phones_answered": replies.count(),
        "phones_answered_twice": sum(1 for row in replies if row["n"] > 1),
        "expected": unique,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=4000)
    parser.add_argument("--calls", type=int, default=500)
    options = parser.parse_args()
    setup_django()
    set_up()
    try:
        with wsgi_server(workers=2, environment={"IMBIZO_DELIVERY": "worker"}) as port:
            floor = floor_figures(port, options.calls)
            client = Client(port)
            for number in range(50):  # warm-up: each worker's first requests import and connect
                sms(client, number, f"bench-warm-{number}")
            numbers = range(100, 100 + options.calls)
            webhook = summary("POST /channels/<sms>/inbound until the reply is queued",
                              timed(lambda n=n: sms(client, n, f"bench-lat-{n}") for n in numbers))
            summary("POST /channels/<ussd>/inbound, the menu screen", timed(lambda n=n: ussd(client, n) for n in numbers))
            rate = sustained(port, options.messages)
        outcome = check_exactly_once(options.messages)
        per_second = rate["posted"] / rate["seconds"]
        print(f"sustained: {rate['posted']} posts ({rate['unique']} messages, a tenth sent twice) by {CLIENTS} clients "
              f"in {rate['seconds']:.1f} s = {per_second:.0f} posts/s; failures {len(rate['failures'])}")
        print(f"exactly once: stored {outcome['stored']}, handled {outcome['handled']}, phones answered "
              f"{outcome['phones_answered']} (twice: {outcome['phones_answered_twice']}) of {outcome['expected']}")
        ok = (webhook["p95_ms"] < 50 and per_second >= 200 and not rate["failures"]
              and outcome["stored"] == outcome["handled"] == outcome["phones_answered"] == outcome["expected"]
              and outcome["phones_answered_twice"] == 0)
        print(f"targets (p95 < 50 ms, >= 200/s, every message once): {'met' if ok else 'NOT met'}; "
              f"floor p95 {floor['p95_ms']:.2f} ms")
    finally:
        tear_down()


if __name__ == "__main__":
    main()
