from django.shortcuts import get_object_or_404, render

from assets.models import FacilityType
from toolkit.conf import imbizo_setting
from wards.models import Municipality


def near_me(request, code: str):
    """Residents find the facilities nearest to them (or to a point they click)."""
    municipality = get_object_or_404(Municipality, code=code)
    return render(request, "assets/near_me.html", {
        "municipality": municipality,
        "facility_types": FacilityType.objects.filter(facilities__isnull=False).distinct().order_by("name"),
        "tile_url": imbizo_setting("TILE_URL"),
    })
