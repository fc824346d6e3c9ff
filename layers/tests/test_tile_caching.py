"""Tiles and TileJSON over HTTP as map clients fetch them: gzip when the client accepts it, weak ETags,
If-None-Match (weak comparison, lists and `*`) answered 304, cache headers on TileJSON too."""

import gzip

import mapbox_vector_tile
import pytest

from layers.tests.test_vector_tiles import tile_of
from wards.models import Ward

pytestmark = pytest.mark.django_db


@pytest.fixture
def tile_url(lesedi) -> str:
    """The z10 tile over Lesedi: all 13 wards, some 2 KB."""
    inside = Ward.objects.get(code="74203009").geom.point_on_surface
    return "/tiles/wards/10/{}/{}.mvt".format(*tile_of(inside.x, inside.y, 10))


def test_tiles_are_gzipped_for_clients_that_accept_it(tile_url, client):
    plain = client.get(tile_url)
    assert plain.status_code == 200 and "Content-Encoding" not in plain
    zipped = client.get(tile_url, HTTP_ACCEPT_ENCODING="gzip, deflate, br")
    assert zipped["Content-Encoding"] == "gzip" and "Accept-Encoding" in zipped["Vary"]
    assert gzip.decompress(zipped.content) == plain.content
    assert len(zipped.content) < len(plain.content), (len(zipped.content), len(plain.content))
    layers = mapbox_vector_tile.decode(gzip.decompress(zipped.content))
    assert "wards" in layers
    # The same tile either way: one (weak) ETag.
    assert zipped["ETag"] == plain["ETag"] and plain["ETag"].startswith('W/"')


@pytest.mark.parametrize("condition", ["{tag}", "{strong}", "*", '"other", {tag}', '{tag}, "other"'])
def test_if_none_match_answers_304_with_weak_comparison_lists_and_star(tile_url, client, condition):
    tag = client.get(tile_url)["ETag"]
    header = condition.format(tag=tag, strong=tag.removeprefix("W/"))
    again = client.get(tile_url, HTTP_IF_NONE_MATCH=header, HTTP_ACCEPT_ENCODING="gzip")
    assert again.status_code == 304 and again.content == b""
    assert again["ETag"] == tag and again["Cache-Control"] == "public, max-age=300"


def test_a_changed_tile_is_sent_again(tile_url, client):
    assert client.get(tile_url, HTTP_IF_NONE_MATCH='W/"something-else"').status_code == 200


def test_tilejson_carries_cache_headers_and_answers_304(lesedi, client, staff_only_layer):
    first = client.get("/tiles/wards.json")
    assert first.status_code == 200 and first.json()["tilejson"] == "3.0.0"
    assert first["Cache-Control"] == "public, max-age=300" and first["ETag"].startswith('W/"')
    again = client.get("/tiles/wards.json", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304 and again["ETag"] == first["ETag"]
    zipped = client.get("/tiles/wards.json", HTTP_ACCEPT_ENCODING="gzip")
    assert zipped["Content-Encoding"] == "gzip" and gzip.decompress(zipped.content) == first.content
