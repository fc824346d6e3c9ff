"""The planners' dashboard: a page shell that draws everything from /api/v1/heatmaps/."""

from functools import cache
from pathlib import Path

import folium
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe

from accounts.models import Department
from heatmaps.figures import FIGURES
from heatmaps.grid import HEX_SIZES
from toolkit.conf import imbizo_setting
from triage.issues.models import Category, Channel, Kind
from triage.issues.workflow import Status
from wards.models import Municipality


@login_required
def dashboard(request, code: str):
    municipality = get_object_or_404(Municipality.objects.defer("boundary"), code=code)
    user = request.user
    if not (user.is_staff and user.has_perm("heatmaps.view_figures")):
        raise PermissionDenied("The planning dashboard is for municipal staff with the planner role.")
    if not (user.is_superuser or user.municipality_id == municipality.id):
        raise PermissionDenied(f"You may read the figures of your own municipality, not {municipality.code}.")
    municipality = Municipality.objects.get(pk=municipality.pk)  # with its boundary, for the map extent
    return render(request, "heatmaps/dashboard.html", {
        "municipality": municipality,
        "tile_url": imbizo_setting("TILE_URL"),
        "figures": FIGURES,
        "hex_sizes": HEX_SIZES,
        "categories": Category.objects.filter(municipality=municipality).order_by("group", "order", "name"),
        "departments": Department.objects.filter(municipality=municipality).order_by("name"),
        "channels": Channel.choices,
        "kinds": Kind.choices,
        "statuses": Status.choices,
    })


@cache
def leaflet_heat_source() -> bytes:
    """Leaflet.heat (MIT, Vladimir Agafonkin) as the pinned folium package ships it: the dashboard's
    density layer and the offline map use this one file, served from here rather than a CDN."""
    return (Path(folium.__file__).parent / "templates" / "leaflet_heat.min.js").read_bytes()


@require_safe
def leaflet_heat(request):
    response = HttpResponse(leaflet_heat_source(), content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "public, max-age=86400"
    return response
