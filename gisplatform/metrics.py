"""Prometheus metrics at /metrics, for the machine itself by default (METRICS_ALLOW).

Request latency per view comes from django-prometheus's middleware (every web process's, summed through
prometheus_client's multiprocess directory when PROMETHEUS_MULTIPROC_DIR is set, as `./imbizo run` does);
the background work's figures are read at each scrape: queue lengths from Redis, task failures and
messages sent per channel from the counters the workers keep there (gisplatform/celery.py), and the
messages waiting in the outbox from the database.
"""

import ipaddress
import os

import prometheus_client
import redis
from django.db.models import Count
from django.http import HttpResponse, JsonResponse
from prometheus_client import multiprocess
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from gisplatform.queues import MESSAGES_SENT, TASK_FAILURES, counters, queue_lengths
from toolkit.conf import imbizo_setting
from toolkit.ratelimit import client_ip


class BackgroundWork:
    """A collector of the queues' and workers' figures, read when scraped."""

    def collect(self):
        from notices.models import OutboundMessage

        up = GaugeMetricFamily("imbizo_redis_up", "1 when the broker answered this scrape")
        try:
            lengths, failures, sent = queue_lengths(), counters(TASK_FAILURES), counters(MESSAGES_SENT)
        except redis.RedisError:
            up.add_metric([], 0)
            yield up
        else:
            up.add_metric([], 1)
            yield up
            queues = GaugeMetricFamily("imbizo_queue_length", "Tasks waiting in each Celery queue", labels=["queue"])
            for name, length in lengths.items():
                queues.add_metric([name], length)
            yield queues
            failed = CounterMetricFamily("imbizo_task_failures", "Celery tasks that raised, by task", labels=["task"])
            for name, number in sorted(failures.items()):
                failed.add_metric([name], number)
            yield failed
            messages = CounterMetricFamily("imbizo_messages_sent", "Messages the workers sent, by channel",
                                           labels=["channel"])
            for channel, number in sorted(sent.items()):
                messages.add_metric([channel], number)
            yield messages
        waiting = GaugeMetricFamily("imbizo_outbox_waiting", "Messages queued or failed, waiting to be sent",
                                    labels=["state"])
        counts = dict.fromkeys(("queued", "failed"), 0)
        # The partial index on dispatched_at holds exactly these rows.
        for state, number in OutboundMessage.objects.filter(state__in=counts).values_list("state").annotate(
                number=Count("pk")).order_by():
            counts[state] = number
        for state, number in counts.items():
            waiting.add_metric([state], number)
        yield waiting


def allowed(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return any(ip in ipaddress.ip_network(network, strict=False) for network in imbizo_setting("METRICS_ALLOW"))


def metrics(request):
    if not allowed(client_ip(request)):
        return JsonResponse({"detail": "Metrics are open only to the addresses in METRICS_ALLOW."}, status=403)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = prometheus_client.CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = prometheus_client.REGISTRY
    background = prometheus_client.CollectorRegistry()
    background.register(BackgroundWork())
    body = prometheus_client.generate_latest(registry) + prometheus_client.generate_latest(background)
    return HttpResponse(body, content_type=prometheus_client.CONTENT_TYPE_LATEST)
