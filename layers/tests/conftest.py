"""Fixtures for the layer tests: people of each kind, and a staff-only layer declared the way an
app would declare one."""

import pytest

from layers.registry import Layer, registry
from wards.models import Ward


@pytest.fixture
def staff_client(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("gis@lesedi.example", "a-long-passphrase", is_staff=True))
    return client


@pytest.fixture
def resident_client(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("resident@example.org", "a-long-passphrase"))
    return client


@pytest.fixture
def staff_only_layer():
    """Wards as a staff-only layer with a time (when their demarcation was imported)."""
    layer = registry.register(Layer(
        key="ward-imports", title="Ward imports (staff)", queryset=lambda: Ward.objects.all(), geometry="geom",
        properties={"code": "code", "year": "boundary_set__year"}, datetime_field="boundary_set__imported_at",
        public=False,
    ))
    yield layer
    registry.unregister(layer.key)
