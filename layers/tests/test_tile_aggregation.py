"""Vector tiles of a point layer with many features: grid cells with counts at low zoom, points with
trimmed properties in between, every property up close. Decoded with mapbox-vector-tile."""

import uuid
from dataclasses import replace

import mapbox_vector_tile
import pytest
from django.contrib.gis.db.models import Extent
from django.db import connection

from layers import features, tiles
from layers.registry import registry
from layers.tests.test_vector_tiles import decode, position_in_tile, tile_of
from triage.issues.models import Category, Issue

pytestmark = pytest.mark.django_db

ISSUES = 3000


@pytest.fixture
def many_issues(lesedi):
    """3,000 issues spread over Lesedi (seeded), a tenth in a private category, a few duplicates."""
    public = Category.objects.create(municipality=lesedi, code="pothole", name="Pothole")
    private = Category.objects.create(municipality=lesedi, code="unsafe-premises", name="Unsafe premises",
                                      is_private=True)
    with connection.cursor() as cursor:
        cursor.execute("""
            INSERT INTO triage_issue (municipality_id, reference, token, tracking_key, category_id, kind, location,
                address, description, answers, media_url, channel, external_id, reporter_name, reporter_phone,
                reporter_email, priority, status, status_note, rejection_reason, upvotes, created_at, updated_at)
            SELECT m.id, 'GT423-T' || d.path[1], gen_random_uuid(), md5(d.path[1]::text),
                   CASE WHEN d.path[1] %% 10 = 0 THEN %(private)s ELSE %(public)s END, 'fault', d.geom, '', '', '{}',
                   '', 'import', '', 'Someone Private', '+27830000000', '', 'normal',
                   CASE WHEN d.path[1] %% 50 = 1 THEN 'duplicate' WHEN d.path[1] %% 3 = 0 THEN 'closed'
                        ELSE 'submitted' END,
                   '', '', 0, now(), now()
              FROM wards_municipality m, ST_Dump(ST_GeneratePoints(m.boundary, %(count)s, 7)) AS d
             WHERE m.id = %(municipality)s""",
            {"municipality": lesedi.pk, "public": public.pk, "private": private.pk, "count": ISSUES})
        cursor.execute("ANALYZE triage_issue")
    return Issue.objects.public().filter(category__is_private=False)


def tiles_covering(z: int):
    west, south, east, north = Issue.objects.aggregate(extent=Extent("location"))["extent"]
    first_column, first_row = tile_of(west, north, z)
    last_column, last_row = tile_of(east, south, z)
    return [(column, row) for column in range(first_column, last_column + 1) for row in range(first_row, last_row + 1)]


@pytest.mark.parametrize("z", [8, 10, 12])
def test_low_zoom_cells_count_every_public_issue_exactly_once(many_issues, client, z):
    total, cells = 0, 0
    for column, row in tiles_covering(z):
        response = client.get(f"/tiles/issues/{z}/{column}/{row}.mvt")
        assert response.status_code == 200
        layer = decode(response.content).get("issues", {"features": []})
        for cell in layer["features"]:
            assert set(cell["properties"]) == {"count"}
            assert cell["geometry"]["type"] == "Point"
            x, y = cell["geometry"]["coordinates"]
            assert 0 <= x < 4096 and 0 <= y < 4096
            total += cell["properties"]["count"]
            cells += 1
    public = many_issues.count()
    assert 2000 < public < ISSUES  # private ones and duplicates are left out
    assert total == public
    if z <= 10:
        assert cells < public / 4  # aggregated: far fewer features than issues


def test_a_cell_stands_where_its_issues_are(many_issues, client):
    """Each cell's point is the mean position of the issues it counts, in the tile's own units."""
    z = 10
    column, row = max(tiles_covering(z), key=lambda tile: len(client.get("/tiles/issues/{}/{}/{}.mvt".format(z, *tile)).content))
    cells = decode(client.get(f"/tiles/issues/{z}/{column}/{row}.mvt").content)["issues"]["features"]
    positions = [position_in_tile(issue.location.x, issue.location.y, z, column, row) for issue in many_issues]
    inside = [p for p in positions if 0 <= p.x < 4096 and 0 <= p.y < 4096]
    assert sum(cell["properties"]["count"] for cell in cells) == len(inside)
    cell_units = 4096 * registry.get("issues").tiles.cell_pixels // 256
    for cell in cells:
        x, y = cell["geometry"]["coordinates"]
        members = [p for p in inside if (p.x // cell_units, p.y // cell_units) == (x // cell_units, y // cell_units)]
        assert len(members) == cell["properties"]["count"]
        assert x == pytest.approx(sum(p.x for p in members) / len(members), abs=1)
        assert y == pytest.approx(sum(p.y for p in members) / len(members), abs=1)


def test_up_close_each_issue_is_a_point_in_its_own_tile(many_issues, client):
    issue = many_issues.order_by("reference").first()
    for z, expected in ((13, {"reference", "status", "category"}), (14, {"reference", "status", "category"}),
                        (16, set(registry.get("issues").properties))):
        column, row = tile_of(issue.location.x, issue.location.y, z)
        drawn = decode(client.get(f"/tiles/issues/{z}/{column}/{row}.mvt").content)["issues"]["features"]
        found = {feature["properties"]["reference"]: feature for feature in drawn}
        assert issue.reference in found, z
        carried = set(found[issue.reference]["properties"])
        # MVT leaves out null values (these generated issues have no ward and are not resolved).
        assert carried <= expected and expected - carried <= {"ward", "resolved_at", "expected_at"}, z
        point = position_in_tile(issue.location.x, issue.location.y, z, column, row)
        x, y = found[issue.reference]["geometry"]["coordinates"]
        assert abs(x - point.x) <= 1 and abs(y - point.y) <= 1
        # Exactly the public issues whose point falls in the tile (its 64-unit buffer aside).
        expected_references = set()
        for other in many_issues:
            p = position_in_tile(other.location.x, other.location.y, z, column, row)
            if 0 <= p.x <= 4096 and 0 <= p.y <= 4096:
                expected_references.add(other.reference)
        inside = {reference for reference, feature in found.items()
                  if 0 <= feature["geometry"]["coordinates"][0] <= 4096
                  and 0 <= feature["geometry"]["coordinates"][1] <= 4096}
        assert inside == expected_references, z


def test_property_filters_apply_to_the_counts(many_issues, client):
    z = 8
    column, row = tiles_covering(z)[0]
    closed = decode(client.get(f"/tiles/issues/{z}/{column}/{row}.mvt", {"status": "closed"}).content)["issues"]
    assert sum(cell["properties"]["count"] for cell in closed["features"]) == many_issues.filter(status="closed").count()


def test_aggregated_tiles_are_read_from_the_grid_index_alone(many_issues):
    """The public filter (status, private categories) and the cells are answered by the grid index: the
    planner can read a z10 tile without visiting the table (the benchmark's figure depends on it)."""
    layer = registry.get("issues")
    sql, params = tiles.tile_sql(layer, features.filtered(layer, features.FeatureFilter()), 10, 592, 603)
    assert "layers_grid_code(" in sql and "ST_Transform" not in sql
    with connection.cursor() as cursor:
        for method in ("seqscan", "bitmapscan", "indexscan"):
            cursor.execute(f"SET LOCAL enable_{method} = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Index Only Scan using layers_issue_tile_grid" in plan, plan


def test_without_a_grid_index_aggregated_tiles_find_points_on_the_geometry_index(many_issues, client):
    """A point layer whose table has no grid index is aggregated from the GiST index, to the same cells."""
    layer = registry.get("issues")
    plain = replace(layer, tiles=replace(layer.tiles, grid_index=False))
    rows = features.filtered(plain, features.FeatureFilter())
    sql, params = tiles.tile_sql(plain, rows, 10, 592, 603)
    assert "ST_Transform(ST_TileEnvelope(" in sql and "ST_Transform(f.layer_geom" not in sql
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "triage_issue_location_" in plan, plan
    column, row = max(tiles_covering(10), key=lambda tile: len(client.get("/tiles/issues/10/{}/{}.mvt".format(*tile)).content))
    from_grid = decode(client.get(f"/tiles/issues/10/{column}/{row}.mvt").content)["issues"]["features"]
    from_gist = decode(tiles.render_tile(plain, rows, 10, column, row))["issues"]["features"]

    def cells(drawn):
        return sorted((cell["geometry"]["coordinates"][0] // 256, cell["geometry"]["coordinates"][1] // 256,
                       cell["properties"]["count"]) for cell in drawn)

    assert cells(from_grid) == cells(from_gist)


def test_tilejson_says_where_the_layer_is_aggregated(db, client):
    description = client.get("/tiles/issues.json").json()
    assert description["imbizo:aggregated_below_zoom"] == 13
    assert description["vector_layers"][0]["fields"]["count"] == "Number"
    assert "bounds" not in description  # a million issues: the extent is not computed per request


def test_a_z10_tile_stays_small(many_issues, client):
    column, row = tile_of(28.3585, -26.5040, 10)
    assert len(client.get(f"/tiles/issues/10/{column}/{row}.mvt").content) < 8_000
    assert mapbox_vector_tile  # decoded above through decode()


def test_aggregated_public_tiles_are_kept_a_minute_with_the_filters_in_the_key(many_issues, client):
    from django.core.cache import caches

    cache = caches["per_process"]

    column, row = tile_of(28.3585, -26.5040, 10)
    url = f"/tiles/issues/10/{column}/{row}.mvt"

    def total(content: bytes) -> int:
        return sum(cell["properties"]["count"] for cell in decode(content)["issues"]["features"])

    first = client.get(url).content
    merged = list(many_issues.values_list("reference", flat=True)[:500])
    Issue.objects.filter(reference__in=merged).update(status="duplicate")
    assert client.get(url).content == first  # the same minute: the worker's copy
    now = total(client.get(url, {"kind": "fault"}).content)  # every issue is a fault; another key: drawn now
    assert now < total(first)
    cache.clear()
    assert total(client.get(url).content) == now


def test_low_zoom_counts_follow_every_change_to_the_issues(many_issues, client):
    """The grid index is kept by PostgreSQL on every write: a new issue, a moved one, one merged away and a
    category made private all show in the next tile drawn, and the tiles always count exactly what the
    public layer (OGC items, downloads) lists."""
    from django.core.cache import caches

    cache = caches["per_process"]

    z = 10
    layer = registry.get("issues")

    def drawn() -> dict[tuple[int, int], int]:
        cache.clear()  # the worker's one-minute copy of public low-zoom tiles is not what is tested here
        counts = {}
        for column, row in tiles_covering(z):
            cells = decode(client.get(f"/tiles/issues/{z}/{column}/{row}.mvt").content).get("issues", {"features": []})
            counts[(column, row)] = sum(cell["properties"]["count"] for cell in cells["features"])
        return counts

    def listed_per_tile() -> dict[tuple[int, int], int]:
        counts = dict.fromkeys(tiles_covering(z), 0)
        for location in layer.queryset().values_list("location", flat=True):
            key = tile_of(location.x, location.y, z)
            counts[key] = counts.get(key, 0) + 1
        return counts

    assert drawn() == listed_per_tile()

    issue = many_issues.order_by("reference").first()
    tiles_before = drawn()
    old_tile = tile_of(issue.location.x, issue.location.y, z)
    other_tile = next(tile for tile, count in tiles_before.items() if tile != old_tile and count)
    somewhere_else = many_issues.exclude(pk=issue.pk).filter(
        location__intersects=tiles_envelope(z, *other_tile)).first().location
    Issue.objects.filter(pk=issue.pk).update(location=somewhere_else)  # moved by a dispatcher
    after_move = drawn()
    assert after_move[old_tile] == tiles_before[old_tile] - 1
    assert after_move[other_tile] == tiles_before[other_tile] + 1

    copy = Issue.objects.get(pk=issue.pk)
    copy.pk, copy.reference, copy.token = None, "GT423-T-NEW", uuid.uuid4()
    copy.save()  # a new report in the same place
    assert drawn()[other_tile] == after_move[other_tile] + 1

    Issue.objects.filter(pk=copy.pk).update(status="duplicate")  # merged away
    assert drawn()[other_tile] == after_move[other_tile]

    Category.objects.filter(code="pothole").update(is_private=True)  # every public category made private
    assert sum(drawn().values()) == 0 == layer.queryset().count()
    Category.objects.filter(code="pothole").update(is_private=False)
    assert drawn() == listed_per_tile()


def tiles_envelope(z: int, column: int, row: int):
    from django.contrib.gis.geos import GEOSGeometry

    with connection.cursor() as cursor:
        cursor.execute("SELECT ST_AsEWKT(ST_Transform(ST_TileEnvelope(%s, %s, %s), 4326))", [z, column, row])
        return GEOSGeometry(cursor.fetchone()[0])


def test_z14_tiles_are_read_from_the_grid_index_alone(many_issues):
    """Up close, a tile is one key range of the grid index too, and the index carries what a z13-14 tile
    shows (reference, status, the category's id): no visit to the table (the benchmark's z14 figure)."""
    layer = registry.get("issues")
    column, row = tile_of(28.3585, -26.5040, 14)
    sql, params = tiles.tile_sql(layer, features.filtered(layer, features.FeatureFilter()), 14, column, row)
    assert "layers_grid_code(" in sql and "ST_Transform" not in sql
    with connection.cursor() as cursor:
        # Nothing disabled: with the scans turned off, their penalties on the join's other side (the categories)
        # decided the plan instead.
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Index Only Scan using layers_issue_tile_grid" in plan, plan


@pytest.mark.parametrize("z", [13, 14])
def test_up_close_every_public_issue_is_drawn_in_exactly_one_tile(many_issues, client, z):
    """Read from the grid, a tile holds the points of its half-open square: a point on a tile edge is drawn
    once, and the tiles over Lesedi together draw every public issue once, where it is."""
    drawn = []
    for column, row in tiles_covering(z):
        layer = decode(client.get(f"/tiles/issues/{z}/{column}/{row}.mvt").content).get("issues", {"features": []})
        for feature in layer["features"]:
            assert set(feature["properties"]) == {"reference", "status", "category"}
            drawn.append((feature["properties"]["reference"], column, row, *feature["geometry"]["coordinates"]))
    references = [reference for reference, *_ in drawn]
    assert len(references) == len(set(references))
    public = {issue.reference: issue for issue in many_issues.select_related("category")}
    assert set(references) == set(public)
    for reference, column, row, x, y in drawn:
        issue = public[reference]
        point = position_in_tile(issue.location.x, issue.location.y, z, column, row)
        assert abs(x - point.x) <= 1 and abs(y - point.y) <= 1
        assert 0 <= x <= 4096 and 0 <= y <= 4096


def test_point_tiles_follow_every_change_to_the_issues(many_issues, client):
    """z14 tiles are read from the grid index, kept by PostgreSQL on every write: a new issue, a moved one, a
    changed status, one merged away and a category made private all show in the next tile drawn."""
    z = 14
    issue = many_issues.order_by("reference").first()
    home = tile_of(issue.location.x, issue.location.y, z)

    def drawn(tile) -> dict[str, dict]:
        layer = decode(client.get("/tiles/issues/{}/{}/{}.mvt".format(z, *tile)).content).get("issues", {"features": []})
        return {feature["properties"]["reference"]: feature["properties"] for feature in layer["features"]}

    before = drawn(home)
    assert before[issue.reference]["status"] == issue.status
    away = next(tile for tile in tiles_covering(z) if tile != home and drawn(tile))
    somewhere_else = many_issues.filter(location__intersects=tiles_envelope(z, *away)).first().location
    Issue.objects.filter(pk=issue.pk).update(location=somewhere_else)  # moved by a dispatcher
    assert issue.reference not in drawn(home) and issue.reference in drawn(away)

    copy = Issue.objects.get(pk=issue.pk)
    copy.pk, copy.reference, copy.token = None, "GT423-T-NEW", uuid.uuid4()
    copy.save()  # a new report in the same place
    assert "GT423-T-NEW" in drawn(away)
    Issue.objects.filter(pk=copy.pk).update(status="closed")
    assert drawn(away)["GT423-T-NEW"]["status"] == "closed"
    Issue.objects.filter(pk=copy.pk).update(status="duplicate")  # merged away
    assert "GT423-T-NEW" not in drawn(away)

    Category.objects.filter(code="pothole").update(is_private=True)  # every public category made private
    assert drawn(away) == {} == drawn(home)
    Category.objects.filter(code="pothole").update(is_private=False)
    assert set(drawn(home)) == set(before) - {issue.reference}


@pytest.mark.parametrize("z", [10, 14, 16])
@pytest.mark.parametrize("feature_filter", [
    features.FeatureFilter(),
    features.FeatureFilter(properties={"status": "closed"}),
    features.FeatureFilter(properties={"status": "submitted", "kind": "fault"}),
    features.FeatureFilter(bbox=(28.30, -26.55, 28.40, -26.45)),
])
def test_prepared_tiles_equal_the_tiles_compiled_for_each_request(many_issues, z, feature_filter):
    """Tiles are built from SQL prepared once per shape: each tile, whatever its values, has the same bytes as
    its SQL compiled by the ORM for the request."""
    layer = registry.get("issues")
    for column, row in tiles_covering(z)[:6]:
        prepared = tiles.filtered_tile(layer, feature_filter, z=z, x=column, y=row)
        compiled = tiles.render_tile(layer, features.filtered(layer, feature_filter), z, column, row)
        assert prepared == compiled, (column, row)


def test_the_same_tile_shape_with_other_values_gives_their_own_answers(many_issues, client):
    z = 14
    issue = many_issues.order_by("reference").first()
    column, row = tile_of(issue.location.x, issue.location.y, z)
    url = f"/tiles/issues/{z}/{column}/{row}.mvt"
    for status in ("closed", "submitted", "closed"):
        drawn = decode(client.get(url, {"status": status}).content).get("issues", {"features": []})["features"]
        assert drawn and {feature["properties"]["status"] for feature in drawn} == {status}
    neighbour = decode(client.get(f"/tiles/issues/{z}/{column + 1}/{row}.mvt").content).get("issues", {"features": []})
    here = decode(client.get(url).content)["issues"]
    assert {f["properties"]["reference"] for f in here["features"]}.isdisjoint(
        f["properties"]["reference"] for f in neighbour["features"])


@pytest.mark.parametrize("z", [10, 14])
def test_prepared_tiles_without_a_grid_index_equal_the_compiled_ones(many_issues, z):
    """A point layer without a grid index finds its points on the GiST index, prepared or compiled alike."""
    layer = registry.get("issues")
    plain = replace(layer, tiles=replace(layer.tiles, grid_index=False))
    assert tiles.tile_kind(plain, z) in (tiles.CELLS, tiles.POINTS)
    for feature_filter in (features.FeatureFilter(), features.FeatureFilter(properties={"status": "closed"})):
        for column, row in tiles_covering(z)[:4]:
            prepared = tiles.filtered_tile(plain, feature_filter, z=z, x=column, y=row)
            assert prepared == tiles.render_tile(plain, features.filtered(plain, feature_filter), z, column, row)
