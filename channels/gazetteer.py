"""Where a resident says they are, in words: a ward number, or a name matched against the
municipality's gazetteer (suburbs, facilities, the streets its assets are on, and staff-added
landmarks) by trigram similarity (PostgreSQL's pg_trgm), so that "Heidelburg" finds Heidelberg.

Each name gets two scores: `word`, the word similarity either way round ("ratanda clinic" within
"near ratanda clinic please", "heidelburg" within "Heidelberg Taxi Rank"), and `whole`, the
similarity of the whole name. A name whose whole is clearly the best (a suburb typed with a typo)
is the answer; otherwise the names within reach of the best word score are offered to choose from.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.gis.db.models.functions import PointOnSurface
from django.contrib.postgres.search import TrigramSimilarity, TrigramWordSimilarity
from django.db.models import F, FloatField, Func, Value
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Greatest
from django.utils.translation import gettext as _

from assets.models import Asset, Facility
from channels.models import Landmark
from wards.models import Suburb, Ward

THRESHOLD = 0.35  # below this, a name is not what was typed
AMBIGUOUS_WITHIN = 0.05  # candidates this close to the best are offered to choose from
WHOLE_NAME = 0.5  # a whole name at least this similar, and ...
WHOLE_NAME_LEAD = 0.1  # ... this far ahead of the next, is what was meant
MAX_CANDIDATES = 5


@dataclass
class Place:
    name: str
    kind: str  # shown to the resident: "suburb", "clinic", "street", "landmark", "ward"
    lon: float
    lat: float
    score: float = 1.0  # word similarity
    whole: float = 1.0  # whole-name similarity

    def as_dict(self) -> dict:
        return {"name": self.name, "kind": self.kind, "lon": self.lon, "lat": self.lat}

    @property
    def label(self) -> str:
        return f"{self.name} ({self.kind})"


def _word_score(field: str, text: str):
    reverse = Func(F(field), Value(text), function="word_similarity", output_field=FloatField())
    return Greatest(TrigramWordSimilarity(text, field), reverse, output_field=FloatField())


def _places(queryset, *, name: str, point, kind, text: str) -> list[Place]:
    rows = (queryset.annotate(score=_word_score(name, text), whole=TrigramSimilarity(name, text), at=point)
            .filter(score__gte=THRESHOLD).order_by("-score", "-whole")[:MAX_CANDIDATES])
    return [Place(name=getattr(row, name), kind=kind(row), lon=row.at.x, lat=row.at.y, score=row.score,
                  whole=row.whole) for row in rows]


def places_matching(municipality, text: str) -> list[Place]:
    """The gazetteer's names like `text`, best first (at most 5, each name once)."""
    text = " ".join(text.split())[:120]
    if len(text) < 3:
        return []
    found = [
        *_places(Suburb.objects.filter(municipality=municipality), name="name", point=PointOnSurface("geom"),
                 kind=lambda row: _("suburb"), text=text),
        *_places(Facility.objects.filter(municipality=municipality).select_related("facility_type"), name="name",
                 point=F("location"), kind=lambda row: row.facility_type.name.lower(), text=text),
        *_places(Landmark.objects.filter(municipality=municipality), name="name", point=F("location"),
                 kind=lambda row: _("landmark"), text=text),
        *_places(Asset.objects.filter(municipality=municipality)
                 .annotate(street=KeyTextTransform("street", "attributes")).exclude(street=None).exclude(street=""),
                 name="street", point=PointOnSurface("geom"), kind=lambda row: _("street"), text=text),
    ]
    found.sort(key=lambda place: (-place.score, -place.whole))
    unique, seen = [], set()
    for place in found:
        key = (place.name.lower(), place.kind)
        if key not in seen:
            seen.add(key)
            unique.append(place)
    return unique[:MAX_CANDIDATES]


def best_or_choices(places: list[Place]) -> list[Place]:
    """One place when it clearly beats the rest; else those within reach of the best, to choose from."""
    if not places:
        return []
    by_whole = sorted(places, key=lambda place: -place.whole)
    runner_up = by_whole[1].whole if len(by_whole) > 1 else 0.0
    if by_whole[0].whole >= WHOLE_NAME and by_whole[0].whole - runner_up >= WHOLE_NAME_LEAD:
        return [by_whole[0]]
    best = places[0].score
    return [place for place in places if place.score >= best - AMBIGUOUS_WITHIN]


def ward_place(municipality, number: int) -> Place | None:
    """A point inside the current ward with that number (the report's approximate place)."""
    ward = (Ward.objects.current().filter(municipality=municipality, number=number)
            .annotate(at=PointOnSurface("geom")).values("number", "at").first())
    if ward is None:
        return None
    return Place(name=_("Ward %(number)s") % {"number": ward["number"]}, kind=_("ward"),
                 lon=ward["at"].x, lat=ward["at"].y)
