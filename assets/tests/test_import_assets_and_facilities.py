"""The shared importer, for assets and facilities: small hand-made files in fixtures/gis/ and the
real health facilities."""

import pytest
from django.core.management import CommandError, call_command

from assets.models import Asset, AssetType, Facility

pytestmark = pytest.mark.django_db


@pytest.fixture
def streetlight(lesedi):
    return AssetType.objects.create(municipality=lesedi, code="streetlight", name="Streetlight", geometry_kind="point")


@pytest.fixture
def gis(fixtures_dir):
    return fixtures_dir / "gis"


def import_streetlights(path, **options):
    call_command("import_assets", str(path), municipality="GT423", type="streetlight", id_field=["asset_no"],
                 lon_field="lon", lat_field="lat", verbosity=0, **options)


def test_csv_with_lat_lon_imports_and_reimport_is_idempotent(streetlight, gis):
    path = gis / "streetlights.csv"  # SL001 to SL005, SLn at (28.35 + n/1000, -26.50 - n/1000)
    import_streetlights(path)
    first = sorted(Asset.objects.values_list("pk", "external_id"))
    assert len(first) == 5
    light = Asset.objects.get(external_id="SL002")
    assert (round(light.geom.x, 6), round(light.geom.y, 6)) == (28.352, -26.502)
    assert light.attributes == {"pole_height": "9"}
    import_streetlights(path)
    assert sorted(Asset.objects.values_list("pk", "external_id")) == first


def test_a_bad_row_names_the_row_and_changes_nothing(streetlight, gis):
    import_streetlights(gis / "streetlights.csv")
    before = sorted(Asset.objects.values_list("external_id", "geom"))
    # The same lights and three more; SL001 moved to -26.9 (a change that must not land), SL007 at 'south'.
    with pytest.raises(CommandError) as error:
        import_streetlights(gis / "streetlights_with_a_bad_row.csv")
    assert "row 7 (line 8): lon/lat '28.357000', 'south' are not numbers" in str(error.value)
    assert "nothing was changed" in str(error.value)
    assert sorted(Asset.objects.values_list("external_id", "geom")) == before


def test_point_type_refuses_lines_and_names_the_feature(streetlight, gis):
    with pytest.raises(CommandError, match="feature 2: is a LineString, but Streetlight assets are points"):
        call_command("import_assets", str(gis / "streetlight_and_a_line.gpkg"), municipality="GT423", type="streetlight",
                     id_field=["asset_no"], verbosity=0)
    assert not Asset.objects.exists()


def test_line_assets_from_a_projected_shapefile(lesedi, gis):
    AssetType.objects.create(municipality=lesedi, code="water-main", name="Water main", geometry_kind="line")
    # One main from (28.35, -26.50) to (28.36, -26.51), stored in UTM zone 35S.
    call_command("import_assets", str(gis / "water_main_utm35s.shp"), municipality="GT423", type="water-main",
                 id_field=["main_id"], verbosity=0)
    main = Asset.objects.get(external_id="WM1")
    assert main.geom.geom_type == "LineString"
    assert main.geom.coords[0] == pytest.approx((28.35, -26.50), abs=1e-7)
    assert main.attributes == {"material": "uPVC"}


def test_unknown_asset_type_is_named(lesedi, gis):
    with pytest.raises(CommandError, match="GT423 has no asset type 'lamp'"):
        call_command("import_assets", str(gis / "streetlights.csv"), municipality="GT423",
                     type="lamp", lon_field="lon", lat_field="lat", verbosity=0)


def test_real_facilities_import_with_spatial_municipality_and_duplicate_report(health_facilities_file, lesedi,
                                                                                capsys):
    options = {"name_field": "name", "default_name": "{type}", "type_field": "facility_type",
               "address_field": "street_address", "source_field": "dataset"}
    with pytest.raises(CommandError, match="feature 52: external id .* is already used by feature 47"):
        call_command("import_facilities", str(health_facilities_file), verbosity=0, **options)
    assert not Facility.objects.exists()

    call_command("import_facilities", str(health_facilities_file), skip_repeated_ids=True, verbosity=1, **options)
    out = capsys.readouterr().out
    assert "54 read, 53 created" in out
    assert "feature 52 skipped: same external id as feature 47" in out
    assert "possible duplicate: 'Rensburg Clinic' and 'Rensburg Clinic', 4 m apart" in out
    # Only Lesedi is loaded here: its 21 facilities find it; the Drakenstein ones find none.
    assert Facility.objects.filter(municipality__code="GT423").count() == 21
    assert {f.facility_type.code for f in Facility.objects.filter(name="Heidelberg Hospital")} == {"hospital"}
    assert Facility.objects.filter(name="Pharmacy").count() == 1  # the unnamed one, named by its type

    before = sorted(Facility.objects.values_list("pk", "external_id"))
    call_command("import_facilities", str(health_facilities_file), skip_repeated_ids=True, verbosity=0, **options)
    assert sorted(Facility.objects.values_list("pk", "external_id")) == before
