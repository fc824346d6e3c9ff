"""The dispatcher board page (/board/<municipality code>/): a shell with the filter choices; the
browser reads and acts through /api/v1/board/ (triage/dispatch/board_api.py). Staff only: anonymous people
are sent to log in, residents and other staff get 403, and a dispatcher sees only the board of the
municipality they work for."""

from django.contrib.auth.views import redirect_to_login
from django.contrib.gis.db.models import Extent
from django.db.models import Q
from django.http import HttpResponseForbidden
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.csrf import ensure_csrf_cookie

from accounts.models import Department, User
from toolkit.conf import imbizo_setting
from triage.dispatch import board
from triage.issues.models import Category, Channel, Priority
from triage.issues.permissions import can_log_staff_issue
from triage.issues.workflow import Status
from wards.models import Municipality, Ward

FORBIDDEN = "The dispatcher board is for municipal staff: dispatchers and department staff."


def _refuse(request):
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    return HttpResponseForbidden(FORBIDDEN)


def board_home(request):
    """/board/: the board of the municipality the staff member works for."""
    if not board.may_use_board(request.user):
        return _refuse(request)
    if request.user.municipality_id:
        code = Municipality.objects.filter(pk=request.user.municipality_id).values_list("code", flat=True).get()
    else:  # a superuser without a municipality: the first with categories
        code = (Category.objects.order_by("municipality__code").values_list("municipality__code", flat=True).first()
                or Municipality.objects.order_by("code").values_list("code", flat=True).first())
        if code is None:
            return HttpResponseForbidden("No municipality has been set up yet.")
    return redirect("board", code=code)


@ensure_csrf_cookie
def board_page(request, code: str):
    if not board.may_use_board(request.user):
        return _refuse(request)
    municipality = get_object_or_404(Municipality.objects.defer("boundary"), code=code)
    if not request.user.is_superuser and request.user.municipality_id != municipality.pk:
        return HttpResponseForbidden("The board shows only the issues of the municipality you work for.")
    dispatcher = board.is_dispatcher(request.user)
    # The box PostgreSQL keeps with the boundary, not the polygon itself.
    extent = Municipality.objects.filter(pk=municipality.pk).aggregate(extent=Extent("boundary"))["extent"]
    staff = (User.objects.filter(municipality=municipality, is_active=True)
             .filter(Q(groups__name__in=["dispatcher", "department staff"]) | Q(is_superuser=True)).distinct()
             .order_by("full_name", "email").only("id", "full_name", "email", "phone"))
    return render(request, "dispatch/board.html", {
        "brand": municipality,
        "board_municipality": municipality,
        "map_extent": ",".join(str(value) for value in extent) if extent else "",
        "tile_url": imbizo_setting("TILE_URL"),
        "is_dispatcher": dispatcher,
        "wards": Ward.objects.current().filter(municipality=municipality).order_by("number").values_list("number", flat=True),
        "departments": Department.objects.filter(municipality=municipality).order_by("name"),
        "categories": Category.objects.filter(municipality=municipality).order_by("group", "order", "name"),
        "staff": staff,
        "statuses": [(s.value, s.label) for s in Status],
        "priorities": [(p.value, p.label) for p in Priority],
        "channels": [(c.value, c.label) for c in Channel],
        "worker_statuses": [(s.value, s.label) for s in (Status.IN_PROGRESS, Status.RESOLVED)],
        # A phone call or a walk-in logged by staff, through the same intake as every report.
        "can_log_reports": can_log_staff_issue(request.user, municipality),
        "intake_channels": [(c.value, c.label) for c in (Channel.PHONE, Channel.WALK_IN, Channel.STAFF)],
    })
