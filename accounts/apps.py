from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "People and departments"

    def ready(self):
        from accounts.services import roles_sync

        # Roles are groups whose permissions name models of every app: set them up after the
        # whole project has migrated, so each app's permissions exist by then.
        def sync_after_last_app(app_config, **kwargs):
            with_models = [config for config in app_config.apps.get_app_configs() if config.models_module]
            if with_models and app_config is with_models[-1]:
                roles_sync()

        post_migrate.connect(sync_after_last_app, dispatch_uid="imbizo-roles-sync", weak=False)
