"""The layer registry: what apps declare, and the declarations it refuses."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from accounts.models import User
from layers.registry import Layer, LayerRegistry, Style, registry, resolve_path
from wards.models import Suburb, Ward


def test_the_areas_are_declared_by_wards_and_found_at_start_up():
    assert {"municipalities", "wards", "ward-demarcations", "suburbs"} <= {layer.key for layer in registry}
    wards = registry.get("wards")
    assert wards.public and wards.properties["year"] == "boundary_set__year"
    assert wards.geometry_type() == "MultiPolygon"


def test_no_public_layer_reads_a_persons_record():
    for layer in registry:
        if layer.public:
            assert layer.model is not User
            for path in layer.properties.values():
                assert all(User not in (field.model, field.related_model) for field in resolve_path(layer.model, path))


def declare(**overrides):
    declaration = {"key": "test-suburbs", "title": "Test", "queryset": lambda: Suburb.objects.all(),
                   "geometry": "geom", "properties": {"name": "name"}}
    declaration.update(overrides)
    return LayerRegistry().register(Layer(**declaration))


@pytest.mark.parametrize(("overrides", "message"), [
    ({"geometry": "name"}, "not a geometry column"),
    ({"geometry": "shape"}, "has no field named 'shape'"),
    ({"properties": {"limit": "name"}}, "query parameters"),
    ({"properties": {"Name": "name"}}, "lower-case identifier"),
    ({"properties": {"town": "municipality__town"}}, "property 'town'"),
    ({"key": "Test Suburbs"}, "lower case"),
    ({"style": Style(label="colour")}, "not published"),
])
def test_a_declaration_that_would_fail_later_is_refused_at_once(overrides, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        declare(**overrides)


@pytest.mark.parametrize(("queryset", "geometry", "properties"), [
    (lambda: Ward.objects.all(), "geom", {"councillor_email": "municipality__staff__email"}),
    (lambda: User.objects.all(), "home_location", {"municipality": "municipality__code"}),
])
def test_a_public_layer_may_not_publish_personal_data(queryset, geometry, properties):
    with pytest.raises(ImproperlyConfigured, match="never carry personal data"):
        LayerRegistry().register(Layer(key="people", title="People", queryset=queryset, geometry=geometry,
                                       properties=properties))
    # The same declaration kept to staff is allowed.
    LayerRegistry().register(Layer(key="people", title="People", queryset=queryset, geometry=geometry,
                                   properties=properties, public=False))
