"""Pages of features built from SQL prepared once per filter shape (layers/features.py, filtered_page):
the same answers as the ORM compiled for each request, whatever values come in."""

import datetime as dt

import pytest

from layers import features
from layers.registry import registry
from wards.models import Ward

pytestmark = pytest.mark.django_db

ITEMS = "/ogc/collections/wards/items"


def codes(body: dict) -> list[str]:
    return [feature["properties"]["code"] for feature in body["features"]]


def test_the_same_filter_shape_with_other_values_gives_their_own_answers(lesedi, client):
    """Each request binds its own values into the shared SQL: no answer is left over from another."""
    for number in (9, 3, 9, 12):
        body = client.get(ITEMS, {"number": number}).json()
        assert codes(body) == list(Ward.objects.current().filter(number=number).values_list("code", flat=True))
    for code in ("74203009", "74203001"):
        inside = Ward.objects.get(code=code).geom.point_on_surface
        tiny = f"{inside.x - 1e-5},{inside.y - 1e-5},{inside.x + 1e-5},{inside.y + 1e-5}"
        assert codes(client.get(ITEMS, {"bbox": tiny}).json()) == [code]


def orm_page(layer, feature_filter, **kwargs) -> features.Page:
    return features.page(layer, features.filtered(layer, feature_filter), **kwargs)


@pytest.mark.parametrize("feature_filter", [
    features.FeatureFilter(),
    features.FeatureFilter(bbox=(28.30, -26.55, 28.40, -26.45)),
    features.FeatureFilter(properties={"number": "9"}),
    features.FeatureFilter(bbox=(28.0, -27.0, 29.0, -26.0), properties={"municipality": "GT423", "year": "2011"}),
])
def test_prepared_pages_equal_the_orm_pages_forwards_and_back(lesedi, feature_filter):
    layer = registry.get("wards")
    ids = sorted(Ward.objects.current().values_list("pk", flat=True))
    for kwargs in ({}, {"after": ids[3]}, {"before": ids[10]}, {"after": ids[-1]}):
        prepared = features.filtered_page(layer, feature_filter, limit=4, **kwargs)
        assert prepared == orm_page(layer, feature_filter, limit=4, **kwargs), kwargs


def test_a_datetime_interval_is_bound_like_any_other_value(lesedi, staff_only_layer):
    imported = Ward.objects.values_list("boundary_set__imported_at", flat=True).first()
    for interval in ((imported - dt.timedelta(hours=1), None), (None, imported - dt.timedelta(hours=1)),
                     (imported - dt.timedelta(hours=1), imported + dt.timedelta(hours=1))):
        feature_filter = features.FeatureFilter(interval=interval)
        prepared = features.filtered_page(staff_only_layer, feature_filter, limit=100)
        assert prepared == orm_page(staff_only_layer, feature_filter, limit=100)
        assert len(prepared.features) in (0, 13)


def test_a_bad_property_value_is_still_a_400_naming_it(lesedi, client):
    body = client.get(ITEMS, {"number": "nine"}).json()
    assert body["code"] == "InvalidParameterValue" and "number" in body["description"]


def test_every_layer_compiles_to_the_same_sql_at_every_call(db):
    """Prepared pages compile a layer's own rows once: a layer whose SQL changed from call to call (a value
    computed in Python when the queryset is built) would be served stale rows."""
    for layer in registry:
        first, second = (str(layer.queryset().query) for _ in range(2))
        assert first == second, layer.key
