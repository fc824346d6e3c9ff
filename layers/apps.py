from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class LayersConfig(AppConfig):
    name = "layers"
    verbose_name = "Layers: publishing spatial data to GIS tools and web maps"

    def ready(self):
        # Each app declares what it publishes in <app>/layers.py (wards/layers.py is the example);
        # importing those modules fills the registry, so a new layer needs no change here.
        autodiscover_modules("layers")
