import pytest
from django.contrib.gis.geos import MultiPolygon, Polygon

from wards.models import BoundarySet, Municipality, Ward


def box(west: float, south: float, east: float, north: float) -> MultiPolygon:
    return MultiPolygon(Polygon.from_bbox((west, south, east, north)), srid=4326)


@pytest.fixture
def town(db):
    """A municipality of two side-by-side wards you can check by eye: ward 1 west of 28.2, ward 2 east of it."""
    municipality = Municipality.objects.create(code="TT001", name="Testville", boundary=box(28.0, -26.6, 28.4, -26.2))
    demarcation = BoundarySet.objects.create(municipality=municipality, year=2021, is_current=True)
    for number, west in ((1, 28.0), (2, 28.2)):
        Ward.objects.create(boundary_set=demarcation, municipality=municipality, number=number,
                            code=f"9990000{number}", geom=box(west, -26.6, west + 0.2, -26.2))
    return municipality


def ward(municipality, number: int) -> Ward:
    return Ward.objects.current().get(municipality=municipality, number=number)
