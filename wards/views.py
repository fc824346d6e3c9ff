from django.http import Http404
from django.shortcuts import get_object_or_404, render

from toolkit.conf import imbizo_setting
from wards.models import Municipality


def home(request):
    """The home page of the default municipality (Municipality.objects.default())."""
    chosen = Municipality.objects.default()
    if chosen is None:
        raise Http404("No municipality has been set up yet: run ./imbizo run or import_areas.")
    return municipality_home(request, chosen.code)


def municipality_home(request, code: str):
    """What the site is for and what a resident can do here."""
    municipality = get_object_or_404(Municipality.objects.defer("boundary"), code=code)
    return render(request, "wards/home.html", {"municipality": municipality})


def municipality_map(request, code: str):
    municipality = get_object_or_404(Municipality, code=code)
    return render(request, "wards/municipality_map.html", {
        "municipality": municipality,
        "tile_url": imbizo_setting("TILE_URL"),
        "others": Municipality.objects.exclude(pk=municipality.pk).exclude(boundary=None).order_by("name"),
    })
