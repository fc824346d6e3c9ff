"""/readyz for load balancers and /metrics for Prometheus: what each says when things are well, when
Redis is away or a queue is backing up, and who may read the metrics."""

import re

import pytest
from django.db import transaction

from gisplatform.celery import app
from notices.models import OutboundMessage
from notices.outbound import Recipient, notify
from tests.background import wait_until


def metric(text: str, name: str, **labels) -> float | None:
    label_text = ",".join(f'{key}="{value}"' for key, value in labels.items())
    pattern = re.escape(name) + (r"\{" + re.escape(label_text) + r"\}" if labels else "") + r" ([0-9.e+-]+)$"
    found = re.search(pattern, text, re.MULTILINE)
    return float(found.group(1)) if found else None


@pytest.mark.django_db
def test_ready_when_the_database_and_redis_answer(client, redis_queues):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"ready": True, "reasons": [], "database": True, "redis": True,
                               "queues": {"messages": 0, "fanout": 0, "reports": 0, "maintenance": 0}}


@pytest.mark.django_db
def test_not_ready_while_redis_is_away(client, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:9/15"  # nothing listens there
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["reasons"] == ["redis: ConnectionError"]
    assert client.get("/healthz").status_code == 200  # the process itself is up


@pytest.mark.django_db
def test_not_ready_while_a_queue_backs_up(client, redis_queues, imbizo_settings):
    imbizo_settings(READY_QUEUE_LIMIT=2)
    redis_queues.rpush("fanout", "a", "b", "c")
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["reasons"] == ["queue fanout: 3 tasks waiting (more than 2)"]


@pytest.mark.django_db
def test_metrics_are_for_the_machine_itself_unless_allowed(client, redis_queues, imbizo_settings):
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 403
    imbizo_settings(METRICS_ALLOW=["127.0.0.1/32", "10.0.0.0/8"])
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="192.168.1.9").status_code == 403


@pytest.mark.django_db
def test_metrics_time_each_view_and_count_the_queues_and_the_outbox(client, redis_queues, imbizo_settings):
    imbizo_settings(DELIVERY="worker")  # nothing sends them: they wait
    notify([Recipient(email="a@example.org"), Recipient(email="b@example.org")], "Notice", "Text.")
    redis_queues.rpush("reports", "a task")
    client.get("/healthz")
    text = client.get("/metrics").content.decode()
    assert metric(text, "django_http_requests_latency_seconds_by_view_method_count", method="GET", view="healthz") >= 1
    assert metric(text, "imbizo_queue_length", queue="reports") == 1
    assert metric(text, "imbizo_queue_length", queue="messages") == 0
    assert metric(text, "imbizo_outbox_waiting", state="queued") == 2
    assert metric(text, "imbizo_redis_up") == 1


@pytest.mark.django_db(transaction=True)
def test_metrics_count_what_the_workers_sent_and_the_tasks_that_failed(client, celery_workers):
    celery_workers.start()
    with transaction.atomic():
        notify([Recipient(email="a@example.org"), Recipient(email="b@example.org")], "Notice", "Text.")
    app.send_task("imbizo.forget_old_log_ins", kwargs={"age_days": "a month"})  # a TypeError in the worker
    assert wait_until(lambda: not OutboundMessage.objects.exclude(state="sent").exists()), celery_workers.output()

    def scraped():
        return client.get("/metrics").content.decode()

    assert wait_until(lambda: metric(scraped(), "imbizo_task_failures_total", task="imbizo.forget_old_log_ins") == 1)
    assert metric(scraped(), "imbizo_messages_sent_total", channel="email") == 2
