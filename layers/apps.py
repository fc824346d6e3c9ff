from django.apps import AppConfig


class LayersConfig(AppConfig):
    name = "layers"
    verbose_name = "Layers: publishing spatial data to GIS tools and web maps"

    def ready(self):
        # The layers Imbizo publishes (layers/published/) register themselves when imported.
        import layers.published  # noqa: F401
