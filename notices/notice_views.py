"""The public notice pages (list and map, one notice, its files) and the staff compose page."""

import hashlib

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_safe

from accounts.models import Department
from notices import notice_permissions as permissions
from notices.notice import Notice, NoticeAttachment
from notices.notice_services import body_as_html
from toolkit.conf import imbizo_setting
from wards.models import Municipality


@require_safe
def notices_page(request, code: str):
    municipality = get_object_or_404(Municipality, code=code.upper())
    notices = (Notice.objects.active().filter(municipality=municipality).newest_first()
               .select_related("department").prefetch_related("suburbs", "wards")[:100])
    return render(request, "notices/notices.html", {
        "municipality": municipality, "notices": notices, "kinds": Notice.Kind.choices,
        "tile_url": imbizo_setting("TILE_URL"),
    })


@require_safe
def notice_page(request, code: str, notice_id: int):
    municipality = get_object_or_404(Municipality, code=code.upper())
    notice = get_object_or_404(Notice.objects.public().select_related("department"), municipality=municipality,
                               pk=notice_id)
    return render(request, "notices/notice.html", {
        "municipality": municipality, "notice": notice, "body": body_as_html(notice.body),
        "attachments": notice.attachments.all(), "versions": notice.versions.all(),
        "wards": notice.wards.order_by("number"), "suburbs": notice.suburbs.order_by("name"),
        "is_active": Notice.objects.active().filter(pk=notice.pk).exists(), "tile_url": imbizo_setting("TILE_URL"),
        "area_geojson": notice.area.geojson if notice.area else "",
    })


@require_safe
def attachment_file(request, attachment_id: int, preview: bool = False):
    """A notice's file: public with its notice, otherwise to its municipality's staff only."""
    attachment = get_object_or_404(NoticeAttachment.objects.select_related("notice"), pk=attachment_id)
    public = Notice.objects.public().filter(pk=attachment.notice_id).exists()
    if not public and not (permissions.is_staff_of(request.user, attachment.notice.municipality_id)
                           and request.user.has_perm("notices.view_notice")):
        raise Http404("No such file.")
    stored = attachment.preview if preview else attachment.file
    if not stored:
        raise Http404("No preview.")
    response = FileResponse(stored.open("rb"), content_type="image/jpeg" if preview else attachment.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["ETag"] = '"' + hashlib.sha256(stored.name.encode()).hexdigest()[:32] + '"'
    response["Cache-Control"] = "public, max-age=3600" if public else "private, no-store"
    if attachment.kind == NoticeAttachment.Kind.PDF and not preview:
        response["Content-Disposition"] = f'inline; filename="notice-{attachment.notice_id}.pdf"'
    else:
        response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"
    return response


@ensure_csrf_cookie
@require_safe
def compose_page(request, code: str, notice_id: int | None = None):
    """The comms staff's page: write, draw the target, attach, preview the audience, publish."""
    municipality = get_object_or_404(Municipality, code=code.upper())
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path(), "/admin/login/")
    if not permissions.is_staff_of(request.user, municipality.pk) or not request.user.has_perm("notices.add_notice"):
        raise PermissionDenied
    notice = None
    if notice_id is not None:
        notice = get_object_or_404(Notice, municipality=municipality, pk=notice_id)
    departments = Department.objects.filter(municipality=municipality)
    if permissions.drafts_for_department_only(request.user):
        departments = departments.filter(members=request.user)
    recent = Notice.objects.filter(municipality=municipality).order_by("-updated_at")[:20]
    return render(request, "notices/compose.html", {
        "municipality": municipality, "notice": notice, "kinds": Notice.Kind.choices,
        "severities": Notice.Severity.choices, "targets": Notice.Target.choices, "departments": departments,
        "wards": municipality.wards.current().order_by("number"), "suburbs": municipality.suburbs.order_by("name"),
        "can_publish": request.user.is_superuser or request.user.has_perm("notices.publish_notice"),
        "recent": recent, "tile_url": imbizo_setting("TILE_URL"), "now": timezone.now(),
    })
