"""import_areas on the real Lesedi wards and on small hand-made files in fixtures/gis/."""

import json
import zipfile

import geopandas
import pytest
from django.contrib.gis.geos import Point
from django.core.management import CommandError, call_command
from shapely.geometry import shape

from tests.support import import_lesedi_wards
from wards.models import BoundarySet, Municipality, Suburb, Ward

pytestmark = pytest.mark.django_db


def ward_snapshot():
    return sorted(Ward.objects.values_list("pk", "code", "number", "boundary_set__year"))


def test_imports_every_lesedi_ward_with_the_counts_of_the_official_list(lesedi, shared_data):
    official = (shared_data / "za_ward_attributes" / "Wards2011_GT423_WC023.csv").read_text().splitlines()
    official_gt423 = [line for line in official if ",GT423," in line]
    assert lesedi.name == "Lesedi"
    assert Ward.objects.filter(municipality=lesedi).count() == len(official_gt423) == 13
    assert sorted(Ward.objects.values_list("number", flat=True)) == list(range(1, 14))
    assert set(Ward.objects.values_list("code", flat=True)) == {str(74203000 + n) for n in range(1, 14)}
    assert BoundarySet.objects.get(municipality=lesedi).year == 2011


def test_municipality_boundary_is_the_union_of_its_wards(lesedi, lesedi_wards_file):
    from shapely.ops import unary_union

    wards = [shape(f["geometry"]) for f in json.loads(lesedi_wards_file.read_text())["features"]]
    expected = unary_union(wards)
    lesedi.refresh_from_db()
    assert lesedi.boundary_source == Municipality.BoundarySource.WARDS
    stored = shape(json.loads(lesedi.boundary.geojson))
    assert stored.symmetric_difference(expected).area < 1e-9 * expected.area


def test_reimporting_the_same_file_updates_in_place(lesedi, lesedi_wards_file):
    before = ward_snapshot()
    import_lesedi_wards(lesedi_wards_file)
    assert ward_snapshot() == before
    assert Municipality.objects.count() == 1 and BoundarySet.objects.count() == 1


def test_reimport_reports_updates_not_creations(lesedi, lesedi_wards_file, capsys):
    import_lesedi_wards(lesedi_wards_file, verbosity=1)
    out = capsys.readouterr().out
    assert "13 read, 0 created, 13 updated, 0 geometries repaired" in out


def test_a_new_demarcation_becomes_current_and_the_old_one_stays(lesedi, lesedi_wards_file):
    old_ward_1 = Ward.objects.get(code="74203001")
    import_lesedi_wards(lesedi_wards_file, year_field=None, year=2016)
    sets = {s.year: s.is_current for s in BoundarySet.objects.filter(municipality=lesedi)}
    assert sets == {2011: False, 2016: True}
    assert Ward.objects.current().filter(municipality=lesedi).count() == 13
    assert Ward.objects.of_year(2011).filter(municipality=lesedi).count() == 13
    old_ward_1.refresh_from_db()  # history kept, not rewritten
    assert old_ward_1.boundary_set.year == 2011
    # Importing an older year afterwards does not take "current" away from the newer one.
    import_lesedi_wards(lesedi_wards_file, year_field=None, year=2006)
    assert BoundarySet.objects.get(municipality=lesedi, is_current=True).year == 2016


def test_a_bad_feature_names_itself_and_leaves_the_database_unchanged(lesedi, lesedi_wards_file, tmp_path):
    before = ward_snapshot()
    collection = json.loads(lesedi_wards_file.read_text())
    collection["features"][4]["properties"]["WardNumber"] = "five"
    for feature in collection["features"]:
        feature["properties"]["Year"] = 2016
    broken = tmp_path / "broken.geojson"
    broken.write_text(json.dumps(collection))
    with pytest.raises(CommandError) as error:
        import_lesedi_wards(broken)
    message = str(error.value)
    assert "broken.geojson" in message and "feature 5" in message and "'five'" in message
    assert "nothing was changed" in message
    assert ward_snapshot() == before
    assert not BoundarySet.objects.filter(year=2016).exists()


def test_a_missing_field_is_named_with_the_fields_there_are(db, lesedi_wards_file):
    with pytest.raises(CommandError) as error:
        import_lesedi_wards(lesedi_wards_file, number_field="WardNo")
    assert "'WardNo' not found" in str(error.value) and "WardNumber" in str(error.value)
    assert not Ward.objects.exists()


def test_a_file_gdal_cannot_read_is_named(db, fixtures_dir):
    not_gis = fixtures_dir / "gis" / "unreadable_wards.geojson"
    with pytest.raises(CommandError, match="wards.geojson: GDAL cannot open"):
        call_command("import_areas", str(not_gis), level="suburb", name_field="name", municipality="GT423")


def test_an_unknown_crs_stops_the_import_and_names_the_file(db, fixtures_dir):
    no_prj = fixtures_dir / "gis" / "suburb_square_no_prj.shp"
    assert not no_prj.with_suffix(".prj").exists()  # a Shapefile's CRS is its .prj
    with pytest.raises(CommandError, match="no_prj.shp: .*no coordinate reference system.*--srid"):
        call_command("import_areas", str(no_prj), level="suburb", name_field="name", municipality="GT423", verbosity=0)
    call_command("import_areas", str(no_prj), level="suburb", name_field="name", municipality="GT423", srid=4326,
                 verbosity=0)
    assert Suburb.objects.get().name == "A"


def test_invalid_geometry_is_repaired_and_reported(db, fixtures_dir, capsys):
    path = fixtures_dir / "gis" / "suburbs_square_and_bowtie.geojson"
    call_command("import_areas", str(path), level="suburb", name_field="name", municipality="GT423", verbosity=1)
    out = capsys.readouterr().out
    assert "1 geometries repaired" in out
    assert "repaired feature 2: Self-intersection" in out
    bowtie_suburb = Suburb.objects.get(name="Bowtie")
    assert bowtie_suburb.geom.valid
    assert bowtie_suburb.geom.geom_type == "MultiPolygon" and len(bowtie_suburb.geom) == 2
    assert Suburb.objects.get(name="Fine").geom.valid


@pytest.mark.parametrize("driver,suffix", [("ESRI Shapefile", ".shp"), ("GPKG", ".gpkg")])
def test_any_crs_is_reprojected_to_wgs84(lesedi_wards_file, tmp_path, driver, suffix, db):
    """The real wards, written in UTM zone 35S, come back where they belong."""
    wards = geopandas.read_file(lesedi_wards_file)
    utm = wards.to_crs(32735)
    path = tmp_path / f"lesedi_utm{suffix}"
    utm.to_file(path, driver=driver)
    if suffix == ".shp":  # and zipped, as municipalities usually send them
        zipped = tmp_path / "lesedi_utm.zip"
        with zipfile.ZipFile(zipped, "w") as archive:
            for part in tmp_path.glob("lesedi_utm.*"):
                if part.suffix != ".zip":
                    archive.write(part, part.name)
        path = zipped
    import_lesedi_wards(path)
    assert Ward.objects.count() == 13
    for row in wards.itertuples():
        stored = Ward.objects.get(code=row.WardID)
        centroid = shape(json.loads(stored.geom.geojson)).centroid
        assert centroid.distance(row.geometry.centroid) < 1e-6  # about 10 cm


def test_levels_check_their_required_fields(db, lesedi_wards_file):
    with pytest.raises(CommandError, match="--year or --year-field is required"):
        call_command("import_areas", str(lesedi_wards_file), level="ward", code_field="WardID",
                     number_field="WardNumber", municipality="GT423", verbosity=0)


def test_municipality_level_import_keeps_its_own_boundary(db, fixtures_dir, lesedi_wards_file):
    path = fixtures_dir / "gis" / "lesedi_municipality_square.geojson"
    call_command("import_areas", str(path), level="municipality", code_field="CAT_B", name_field="MUNICNAME",
                 verbosity=0)
    import_lesedi_wards(lesedi_wards_file)
    municipality = Municipality.objects.get(code="GT423")
    assert municipality.boundary_source == Municipality.BoundarySource.FILE
    assert municipality.boundary.covers(Point(28.05, -26.05, srid=4326))  # the file's square, not the wards


def test_duplicate_codes_in_one_file_are_refused(db, fixtures_dir):
    path = fixtures_dir / "gis" / "suburbs_with_a_repeated_name.geojson"
    with pytest.raises(CommandError, match="feature 2: suburb code same is already used by feature 1"):
        call_command("import_areas", str(path), level="suburb", name_field="name", municipality="GT423", verbosity=0)
    assert not Suburb.objects.exists()


@pytest.mark.django_db
def test_a_new_municipality_is_set_up_from_the_command_line_with_its_countrys_defaults(fixtures_dir):
    path = fixtures_dir / "gis" / "lesedi_municipality_square.geojson"
    call_command("import_areas", str(path), level="municipality", code_field="CAT_B", name_field="MUNICNAME",
                 country="us", timezone="America/Los_Angeles", verbosity=0)
    made = Municipality.objects.get(code="GT423")
    assert (made.country, made.timezone, made.emergency_number) == ("US", "America/Los_Angeles", "911")


@pytest.mark.django_db
@pytest.mark.parametrize(("options", "message"), [
    ({"timezone": "America/Los Angeles"}, "--timezone: 'America/Los Angeles' is not a time zone name"),
    ({"country": "XX"}, "--country: 'XX' is not an ISO 3166 alpha-2 country code"),
    ({"country": "US"}, "--country: US has"),  # several zones: which one must be said
])
def test_bad_municipality_settings_stop_the_import_naming_the_option(fixtures_dir, options, message):
    path = fixtures_dir / "gis" / "lesedi_municipality_square.geojson"
    with pytest.raises(CommandError, match=message):
        call_command("import_areas", str(path), level="municipality", code_field="CAT_B", name_field="MUNICNAME",
                     verbosity=0, **options)
    assert not Municipality.objects.exists()


@pytest.mark.django_db
def test_a_municipality_with_one_time_zone_takes_it_from_its_country(fixtures_dir):
    path = fixtures_dir / "gis" / "lesedi_municipality_square.geojson"
    call_command("import_areas", str(path), level="municipality", code_field="CAT_B", name_field="MUNICNAME",
                 country="KE", verbosity=0)
    assert Municipality.objects.get(code="GT423").timezone == "Africa/Nairobi"
