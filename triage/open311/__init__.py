"""Open311 GeoReport v2: a framework-free core (core.py), its renderers (formats.py) and a thin
Django adapter (views.py, urls.py) mounted at /open311/v2/."""
