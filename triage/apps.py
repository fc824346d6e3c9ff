from django.apps import AppConfig


class TriageConfig(AppConfig):
    name = "triage"
    verbose_name = "Issues: intake, lifecycle and triage"

    def ready(self):
        from triage.category_cache import connect_signals

        connect_signals()
