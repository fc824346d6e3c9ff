from django.apps import AppConfig
from django.core.management import call_command
from django.db.models.signals import post_migrate


class GisplatformConfig(AppConfig):
    name = "gisplatform"
    verbose_name = "Imbizo"

    def ready(self):
        # The database cache's table (CACHE_URL's default) is made by every migrate, so a new
        # deployment or test database has it before the first request counts a rate limit.
        # post_migrate is sent per app with models (this one has none): act on the last.
        def create_cache_table(app_config, using="default", **kwargs):
            with_models = [config for config in app_config.apps.get_app_configs() if config.models_module]
            if with_models and app_config is with_models[-1]:
                call_command("createcachetable", database=using, verbosity=0)
                # The periodic tasks' default schedules, editable in the admin afterwards.
                from gisplatform.schedules import ensure_schedules

                ensure_schedules(using)

        post_migrate.connect(create_cache_table, dispatch_uid="imbizo-createcachetable", weak=False)

        # Which requests get CORS headers: the public read APIs only (gisplatform.cors).
        from corsheaders.signals import check_request_enabled

        from gisplatform.cors import public_read

        check_request_enabled.connect(public_read, dispatch_uid="imbizo-cors-public-read")
        # Deleting a municipality in the admin goes through the batched purge (gisplatform/admin_purge.py).
        from django.contrib import admin

        from gisplatform.admin_purge import install
        install(admin.site)
