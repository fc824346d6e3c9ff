from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render

from toolkit.conf import imbizo_setting
from wards.models import Municipality


def home(request):
    """The public map of the default municipality (IMBIZO_DEFAULT_MUNICIPALITY, else the first
    one with real boundaries, else any)."""
    municipalities = Municipality.objects.exclude(boundary=None)
    default = imbizo_setting("DEFAULT_MUNICIPALITY")
    chosen = (
        (default and municipalities.filter(code=default).first())
        or municipalities.filter(is_generated=False).order_by("code").first()
        or municipalities.order_by("code").first()
    )
    if chosen is None:
        raise Http404("No municipality has been set up yet: run ./imbizo run or import_areas.")
    return redirect("municipality-map", code=chosen.code)


def municipality_map(request, code: str):
    municipality = get_object_or_404(Municipality, code=code)
    return render(request, "wards/municipality_map.html", {
        "municipality": municipality,
        "tile_url": imbizo_setting("TILE_URL"),
        "others": Municipality.objects.exclude(pk=municipality.pk).exclude(boundary=None).order_by("name"),
    })
