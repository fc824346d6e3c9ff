"""Demo assets and facilities, seeded and repeatable.

Real: the 54 health facilities and 100 school points in ../shared/data/za_facilities, imported
with import_facilities exactly as staff would (not de-duplicated: the import reports the likely
duplicates). Generated (is_generated): asset registers (streetlights, hydrants, water meters,
manholes, refuse bins, traffic signals, water mains, road segments) scattered inside the current
wards, and the libraries, police stations, municipal offices and pay points that the real data
lacks, one of each near the middle of every suburb.

The asset types with their counts and the generated facilities' names and opening hours are data:
fixtures/demo/asset_types.json and facilities.json.
"""

from pathlib import Path

from django.core.management import call_command
from django.db import connection, transaction

from assets.models import AssetType, Facility, FacilityType
from assets.services import facility_opening_hours_replace
from toolkit.fixtures import demo_fixture
from wards.models import Municipality

ASSET_TYPES = [
    (asset_type["code"], asset_type["name"], asset_type["geometry_kind"], asset_type["count_per_municipality"])
    for asset_type in demo_fixture("asset_types")
]
GENERATED_FACILITIES = [
    (facility["type"], facility["name"], facility["opening_hours"]) for facility in demo_fixture("facilities")
]


def demo_load_assets(*, shared_data: Path, log=print) -> None:
    facilities_dir = shared_data / "za_facilities"
    health = facilities_dir / "za_health_facilities_lesedi_drakenstein.geojson"
    schools = facilities_dir / "za_school_points_unattributed_lesedi_drakenstein.geojson"
    if health.exists():
        log(f"Importing the real health facilities from {health}")
        # Keyed by OpenStreetMap/audit identity where the file has it; one hospital is listed
        # twice verbatim (reported and skipped), one pharmacy has no name (named by its type).
        call_command("import_facilities", str(health), name_field="name", default_name="{type}",
                     type_field="facility_type", address_field="street_address", source_field="dataset",
                     skip_repeated_ids=True, verbosity=0)
    if schools.exists():
        log(f"Importing the real school points from {schools}")
        call_command("import_facilities", str(schools), default_name="School", type="school", verbosity=0)
    for municipality in Municipality.objects.exclude(boundary=None):
        _generate_assets(municipality, log)
        _generate_facilities(municipality)


@transaction.atomic
def _generate_assets(municipality: Municipality, log) -> None:
    for code, name, kind, count in ASSET_TYPES:
        asset_type, _ = AssetType.objects.get_or_create(
            municipality=municipality, code=code, defaults={"name": name, "geometry_kind": kind})
        if asset_type.assets.exists():
            continue
        log(f"Generating {count} {name.lower()} assets in {municipality.code}")
        prefix = f"{municipality.code}-{code.upper()[:3]}"
        seed = sum(map(ord, prefix))
        with connection.cursor() as cursor:
            cursor.execute(
                """
                WITH wards AS (SELECT ST_Union(w.geom) AS g FROM wards_ward w
                               JOIN wards_boundaryset b ON b.id = w.boundary_set_id
                               WHERE b.is_current AND w.municipality_id = %(municipality)s),
                     points AS (SELECT d.path[1] AS n, d.geom AS p
                                FROM wards, ST_Dump(ST_GeneratePoints(g, %(count)s, %(seed)s)) AS d)
                INSERT INTO assets_asset (asset_type_id, municipality_id, external_id, geom, status, attributes, is_generated)
                SELECT %(type)s, %(municipality)s, %(prefix)s || '-' || lpad(n::text, 5, '0'),
                       CASE WHEN %(kind)s = 'line'
                            -- a 100-400 m straight run from the point, bearing from the row number
                            THEN ST_MakeLine(p, ST_Project(p::geography, 100 + (n * 37) %% 300,
                                                           radians((n * 53) %% 360))::geometry)
                            ELSE p END,
                       CASE WHEN n %% 23 = 0 THEN 'faulty' ELSE 'in_service' END, '{}'::jsonb, true
                FROM points
                """,
                {"municipality": municipality.pk, "count": count, "seed": seed, "type": asset_type.pk,
                 "prefix": prefix, "kind": kind},
            )


@transaction.atomic
def _generate_facilities(municipality: Municipality) -> None:
    types = {t.code: t for t in FacilityType.objects.filter(code__in=[g[0] for g in GENERATED_FACILITIES])}
    periods = {}
    for suburb in municipality.suburbs.order_by("name"):
        centre = suburb.geom.point_on_surface
        for offset, (type_code, pattern, hours) in enumerate(GENERATED_FACILITIES):
            external_id = f"demo:{municipality.code}:{suburb.code}:{type_code}"
            # Spread the four a few hundred metres apart around the suburb's centre.
            location = centre.clone()
            location.x += 0.003 * (offset % 2) - 0.0015
            location.y += 0.003 * (offset // 2) - 0.0015
            facility, created = Facility.objects.get_or_create(external_id=external_id, defaults={
                "municipality": municipality, "facility_type": types[type_code],
                "name": pattern.format(suburb=suburb.name), "location": location,
                "opening_hours": hours, "is_generated": True, "source": "generated by load_demo",
                "address": f"Main Road, {suburb.name}",
            })
            if created:
                periods[facility.pk] = hours
    facility_opening_hours_replace(facilities_periods=periods)

