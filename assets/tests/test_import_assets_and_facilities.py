"""The shared importer, for assets and facilities."""

import csv

import geopandas
import pytest
from django.core.management import CommandError, call_command
from shapely.geometry import LineString, Point

from assets.models import Asset, AssetType, Facility

pytestmark = pytest.mark.django_db


@pytest.fixture
def streetlight(lesedi):
    return AssetType.objects.create(municipality=lesedi, code="streetlight", name="Streetlight", geometry_kind="point")


def write_csv(path, rows):
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def asset_rows(count=5):
    return [{"asset_no": f"SL{n:03d}", "lat": f"{-26.50 - n / 1000:.6f}", "lon": f"{28.35 + n / 1000:.6f}",
             "pole_height": "9"} for n in range(1, count + 1)]


def import_streetlights(path, **options):
    call_command("import_assets", str(path), municipality="GT423", type="streetlight", id_field=["asset_no"],
                 lon_field="lon", lat_field="lat", verbosity=0, **options)


def test_csv_with_lat_lon_imports_and_reimport_is_idempotent(streetlight, tmp_path):
    path = write_csv(tmp_path / "lights.csv", asset_rows())
    import_streetlights(path)
    first = sorted(Asset.objects.values_list("pk", "external_id"))
    assert len(first) == 5
    light = Asset.objects.get(external_id="SL002")
    assert (round(light.geom.x, 6), round(light.geom.y, 6)) == (28.352, -26.502)
    assert light.attributes == {"pole_height": "9"}
    import_streetlights(path)
    assert sorted(Asset.objects.values_list("pk", "external_id")) == first


def test_a_bad_row_names_the_row_and_changes_nothing(streetlight, tmp_path):
    import_streetlights(write_csv(tmp_path / "lights.csv", asset_rows()))
    before = sorted(Asset.objects.values_list("external_id", "geom"))
    rows = asset_rows(8)
    rows[0]["lat"] = "-26.9"  # a change that must not land
    rows[6]["lat"] = "south"
    with pytest.raises(CommandError) as error:
        import_streetlights(write_csv(tmp_path / "lights2.csv", rows))
    assert "row 7 (line 8): lon/lat '28.357000', 'south' are not numbers" in str(error.value)
    assert "nothing was changed" in str(error.value)
    assert sorted(Asset.objects.values_list("external_id", "geom")) == before


def test_point_type_refuses_lines_and_names_the_feature(streetlight, tmp_path):
    frame = geopandas.GeoDataFrame({"asset_no": ["A", "B"]},
                                   geometry=[Point(28.35, -26.5), LineString([(28.35, -26.5), (28.36, -26.5)])],
                                   crs=4326)
    frame.to_file(tmp_path / "mixed.gpkg", driver="GPKG")
    with pytest.raises(CommandError, match="feature 2: is a LineString, but Streetlight assets are points"):
        call_command("import_assets", str(tmp_path / "mixed.gpkg"), municipality="GT423", type="streetlight",
                     id_field=["asset_no"], verbosity=0)
    assert not Asset.objects.exists()


def test_line_assets_from_a_projected_shapefile(lesedi, tmp_path):
    AssetType.objects.create(municipality=lesedi, code="water-main", name="Water main", geometry_kind="line")
    frame = geopandas.GeoDataFrame(
        {"main_id": ["WM1"], "material": ["uPVC"]},
        geometry=[LineString([(28.35, -26.50), (28.36, -26.51)])], crs=4326,
    ).to_crs(32735)
    frame.to_file(tmp_path / "mains.shp")
    call_command("import_assets", str(tmp_path / "mains.shp"), municipality="GT423", type="water-main",
                 id_field=["main_id"], verbosity=0)
    main = Asset.objects.get(external_id="WM1")
    assert main.geom.geom_type == "LineString"
    assert main.geom.coords[0] == pytest.approx((28.35, -26.50), abs=1e-7)
    assert main.attributes == {"material": "uPVC"}


def test_unknown_asset_type_is_named(lesedi, tmp_path):
    with pytest.raises(CommandError, match="GT423 has no asset type 'lamp'"):
        call_command("import_assets", str(write_csv(tmp_path / "x.csv", asset_rows())), municipality="GT423",
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
