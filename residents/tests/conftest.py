import json

import pytest
from django.contrib.gis.geos import GEOSGeometry
from shapely.geometry import shape


@pytest.fixture
def resident(django_user_model):
    return django_user_model.objects.create_user("resident@example.org", "a-long-passphrase-42")


@pytest.fixture
def resident_client(client, resident):
    client.force_login(resident)
    return client


@pytest.fixture
def lesedi_features(lesedi_wards_file):
    return json.loads(lesedi_wards_file.read_text())["features"]


def inside_ward(features, number: int):
    """A point well inside a real ward (shapely's representative point)."""
    feature = next(f for f in features if int(f["properties"]["WardNumber"]) == number)
    point = shape(feature["geometry"]).representative_point()
    return GEOSGeometry(point.wkt, srid=4326)
