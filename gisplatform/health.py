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
