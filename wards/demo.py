"""Demo areas, seeded and repeatable.

- Lesedi (GT423): the real 2011 ward polygons from ../shared/data, imported with import_areas
  exactly as a GIS analyst would; its suburbs are generated (Voronoi cells around real place
  names, clipped to the municipality).
- Drakenstein (WC023): no real polygons are available, so its outline is a hand-drawn
  approximation and its wards are a seeded Voronoi tessellation, one cell per real ward code
  (31 in the 2011 demarcation, 33 in 2016). Everything generated is flagged is_generated.
Nothing here overwrites a municipality that was imported from a real file.

The outline, place names, departments and branding are data: fixtures/demo/areas.json,
departments.json and municipalities.json.
"""

import csv
from pathlib import Path

from django.contrib.gis.geos import GEOSGeometry, MultiPolygon, Polygon
from django.core.management import call_command
from django.db import connection, transaction

from accounts.models import Department
from toolkit.conf import STORAGE_SRID, storage_srid
from toolkit.fixtures import demo_fixture
from wards import services
from wards.models import Municipality, Suburb, Ward

DEMO_SEED = 0.4242  # PostGIS setseed() takes -1..1

AREAS = demo_fixture("areas")
# Hand-drawn outline around Paarl, Wellington, Hermon, Gouda and Saron (an approximation).
DRAKENSTEIN_OUTLINE = Polygon(*AREAS["drakenstein_outline"]["coordinates"], srid=STORAGE_SRID)
DRAKENSTEIN_PLACES = AREAS["suburb_places"]["WC023"]
LESEDI_PLACES = AREAS["suburb_places"]["GT423"]
DEPARTMENTS = [(department["code"], department["name"]) for department in demo_fixture("departments")]
# Branding and contact numbers, by municipality code.
MUNICIPALITIES = demo_fixture("municipalities")
# Ward counts per demarcation, from the MDB lists in ../shared/data/za_ward_attributes when there.
DRAKENSTEIN_WARD_COUNTS = {int(year): count for year, count in AREAS["drakenstein_ward_counts"].items()}


def demo_load(*, shared_data: Path, log=print) -> None:
    lesedi_file = shared_data / "za_lesedi_wards_2011" / "lesedi_wards_2011.geojson"
    if lesedi_file.exists():
        log(f"Importing the real Lesedi wards from {lesedi_file}")
        call_command(
            "import_areas", str(lesedi_file), level="ward", code_field="WardID", number_field="WardNumber",
            municipality_field="LocalMunic", municipality_name_field="LocalMun_1", year_field="Year",
            verbosity=0,
        )
        lesedi = Municipality.objects.get(code="GT423")
        _brand(lesedi, **MUNICIPALITIES["GT423"])
        _generate_suburbs(lesedi, LESEDI_PLACES)
        _departments(lesedi)
    else:
        log(f"Skipping the real Lesedi wards: {lesedi_file} is not there.")
    _generate_drakenstein(shared_data, log)


def _brand(municipality: Municipality, **branding) -> None:
    """Fill in branding only where it is still empty: an administrator's edits stay."""
    changed = [name for name, value in branding.items() if not getattr(municipality, name) or
               getattr(municipality, name) == Municipality._meta.get_field(name).default]
    for name in changed:
        setattr(municipality, name, branding[name])
    if changed:
        municipality.save(update_fields=changed)


def _departments(municipality: Municipality) -> None:
    for code, name in DEPARTMENTS:
        Department.objects.get_or_create(municipality=municipality, code=code, defaults={
            "name": name, "email": f"{code}@{municipality.code.lower()}.demo.imbizo.local"})


def drakenstein_ward_codes(shared_data: Path) -> dict[int, list[tuple[int, str]]]:
    """(number, code) of each Drakenstein ward per year: the real MDB lists where present,
    else the MDB numbering (10203000 + ward number)."""
    lists = {
        2011: ("Wards2011_GT423_WC023.csv", "CAT_B", "WARDNO", "WARD_ID"),
        2016: ("MunicipalWards2016_GT423_WC023.csv", "CAT_B", "WardNo", "WardID"),
    }
    codes = {}
    for year, (name, municipality_column, number_column, code_column) in lists.items():
        path = shared_data / "za_ward_attributes" / name
        if path.exists():
            with path.open(newline="", encoding="utf-8-sig") as handle:
                codes[year] = sorted(
                    (int(row[number_column]), row[code_column]) for row in csv.DictReader(handle)
                    if row[municipality_column] == "WC023"
                )
        else:
            codes[year] = [(n, str(10203000 + n)) for n in range(1, DRAKENSTEIN_WARD_COUNTS[year] + 1)]
    return codes


@transaction.atomic
def _generate_drakenstein(shared_data: Path, log) -> None:
    existing = Municipality.objects.filter(code="WC023").first()
    if existing is not None and not existing.is_generated:
        log("Drakenstein (WC023) has real boundaries here; not generating demo ones.")
        return
    if existing is not None and existing.wards.exists():
        log("Drakenstein (WC023) demo wards are already there.")
        return
    log("Generating Drakenstein (WC023) demo wards: Voronoi cells with the real ward codes.")
    drakenstein, _ = Municipality.objects.update_or_create(code="WC023", defaults={
        **MUNICIPALITIES["WC023"], "is_generated": True, "boundary_source": Municipality.BoundarySource.FILE,
        "boundary": _multi(DRAKENSTEIN_OUTLINE),
    })
    for year, codes in drakenstein_ward_codes(shared_data).items():
        boundary_set = services.boundary_set_get_or_create(
            municipality=drakenstein, year=year, source="generated by load_demo", is_generated=True)
        cells = _voronoi_cells(DRAKENSTEIN_OUTLINE, seeds=len(codes), seed=DEMO_SEED + year / 10000)
        Ward.objects.bulk_create(
            Ward(boundary_set=boundary_set, municipality=drakenstein, number=number, code=code, geom=cell)
            for (number, code), cell in zip(codes, cells, strict=True)
        )
    services.boundary_sets_refresh_current(municipality=drakenstein)
    _generate_suburbs(drakenstein, DRAKENSTEIN_PLACES)
    _departments(drakenstein)


def _multi(polygon: Polygon) -> MultiPolygon:
    return MultiPolygon(polygon, srid=polygon.srid)


def _voronoi_cells(outline: Polygon, *, seeds: int, seed: float) -> list[GEOSGeometry]:
    """`seeds` Voronoi cells over the outline, clipped to it, numbered north to south (so ward 1
    is the northernmost, as the counting is repeatable)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(%s)", [seed])
        cursor.execute(
            """
            WITH outline AS (SELECT ST_GeomFromEWKT(%s) AS g),
                 seeds AS (SELECT ST_GeneratePoints(g, %s, %s) AS points FROM outline),
                 cells AS (SELECT (ST_Dump(ST_VoronoiPolygons(points, 0, outline.g))).geom AS cell
                           FROM seeds, outline)
            SELECT ST_AsEWKB(ST_Multi(ST_CollectionExtract(ST_Intersection(cell, outline.g), 3)))
            FROM cells, outline
            ORDER BY ST_Y(ST_Centroid(cell)) DESC, ST_X(ST_Centroid(cell))
            """,
            [outline.ewkt, seeds, int(abs(seed) * 1_000_000)],
        )
        return [GEOSGeometry(memoryview(row[0])) for row in cursor.fetchall()]


def _generate_suburbs(municipality: Municipality, places: dict[str, list[float]]) -> None:
    """Suburbs as Voronoi cells around real place names, clipped to the municipality; made once,
    never over a suburb layer that was imported."""
    if municipality.suburbs.filter(is_generated=False).exists() or municipality.suburbs.exists():
        return
    municipality.refresh_from_db()
    names = list(places)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH boundary AS (SELECT boundary AS g FROM wards_municipality WHERE id = %s),
                 places AS (SELECT n, ST_SetSRID(ST_MakePoint(x, y), %s) AS p
                            FROM unnest(%s::int[], %s::float8[], %s::float8[]) AS t(n, x, y)),
                 cells AS (SELECT (ST_Dump(ST_VoronoiPolygons(ST_Collect(p), 0, (SELECT g FROM boundary)))).geom AS cell
                           FROM places)
            SELECT places.n, ST_AsEWKB(ST_Multi(ST_CollectionExtract(ST_Intersection(cells.cell, boundary.g), 3)))
            FROM cells JOIN places ON ST_Covers(cells.cell, places.p), boundary
            """,
            [municipality.pk, storage_srid(), list(range(len(names))), [places[n][0] for n in names],
             [places[n][1] for n in names]],
        )
        rows = cursor.fetchall()
    from django.utils.text import slugify

    Suburb.objects.bulk_create(
        Suburb(municipality=municipality, name=names[n], code=slugify(names[n]), is_generated=True,
               geom=GEOSGeometry(memoryview(wkb)))
        for n, wkb in rows if wkb is not None
    )
