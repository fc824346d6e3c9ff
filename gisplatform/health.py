"""/healthz: for load balancers and monitoring (is the app up, does the database answer?).
A plain Django view with one `SELECT 1`, so it is also the floor every API request stands on
(the benchmarks print it beside their figures)."""

from django.db import connection
from django.http import JsonResponse


def healthz(request):
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # noqa: BLE001 - any database failure is what this reports
        return JsonResponse({"ok": False, "database": f"{type(exc).__name__}"}, status=503)
    return JsonResponse({"ok": True, "database": True})


def readyz(request):
    """/readyz: may a load balancer send this process traffic? The database answers, Redis answers,
    and no queue holds more than READY_QUEUE_LIMIT tasks (the workers are not keeping up). 503 naming
    every reason otherwise. With a read replica, its health and lag in seconds are reported too."""
    import redis

    from gisplatform.queues import queue_lengths
    from toolkit.conf import imbizo_setting

    reasons, body = [], {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        body["database"] = True
    except Exception as exc:  # noqa: BLE001 - any database failure is what this reports
        body["database"] = False
        reasons.append(f"database: {type(exc).__name__}")
    try:
        body["queues"] = queue_lengths()
        body["redis"] = True
    except redis.RedisError as exc:
        body["redis"] = False
        reasons.append(f"redis: {type(exc).__name__}")
    else:
        limit = imbizo_setting("READY_QUEUE_LIMIT")
        reasons += [f"queue {name}: {length} tasks waiting (more than {limit})"
                    for name, length in body["queues"].items() if length > limit]
    from toolkit.replica import replica_configured, replica_status

    if replica_configured():
        # Reported, never a reason to refuse traffic: reads fall back to the primary meanwhile.
        status = replica_status()
        body["replica"] = {"healthy": status["healthy"], "lag_seconds": status["lag"], "reason": status["reason"]}
    return JsonResponse({"ready": not reasons, "reasons": reasons, **body}, status=503 if reasons else 200)
