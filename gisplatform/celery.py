"""The project's Celery app: every background task runs on it (docs/operations.md, "Background work").

Settings come from Django's settings under the CELERY_ namespace (gisplatform/settings.py); tasks are
the `tasks` modules of the installed apps plus CELERY_IMPORTS. Workers and beat start with
`celery -A gisplatform worker|beat`, which `./imbizo run` does beside the web server.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gisplatform.settings")

app = Celery("imbizo")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
