"""A notice as the API and pages show it: public fields only, staff fields for staff."""

import json

from django.urls import reverse

from notices.notice import Notice
from notices.notice_services import body_as_html, body_as_text, notice_url


def attachment_url(attachment, *, preview: bool = False) -> str:
    return reverse("notice-attachment-preview" if preview else "notice-attachment", args=[attachment.pk])


def _iso(moment) -> str | None:
    return moment.isoformat() if moment else None


def notice_detail(notice: Notice, *, staff: bool = False) -> dict:
    detail = {
        "id": notice.pk, "url": notice_url(notice), "municipality": notice.municipality.code,
        "title": notice.title, "body_html": body_as_html(notice.body), "body_text": body_as_text(notice.body),
        "kind": notice.kind, "kind_name": str(notice.get_kind_display()), "severity": notice.severity,
        "starts_at": _iso(notice.starts_at), "ends_at": _iso(notice.ends_at), "publish_at": _iso(notice.publish_at),
        "expires_at": _iso(notice.expires_at), "state": notice.state, "version": notice.version,
        "department": notice.department.name if notice.department_id else None,
        "target": notice.target, "target_name": str(notice.get_target_display()),
        "wards": list(notice.wards.order_by("number").values_list("number", flat=True)),
        "suburbs": list(notice.suburbs.order_by("name").values_list("name", flat=True)),
        "area": json.loads(notice.area.geojson) if notice.area else None,
        "related_issues": notice.related_issues,
        "attachments": [{"id": attachment.pk, "kind": attachment.kind, "title": attachment.title,
                         "content_type": attachment.content_type, "size": attachment.size, "url": attachment_url(attachment),
                         "preview": attachment_url(attachment, preview=True) if attachment.preview else None}
                        for attachment in notice.attachments.all()],
        "versions": [{"number": version.number, "title": version.title, "replaced_at": _iso(version.created_at)}
                     for version in notice.versions.all()],
    }
    if staff:
        detail.update({
            "drawn": json.loads(notice.drawn.geojson) if notice.drawn else None, "radius_m": notice.radius_m,
            "notified_versions": notice.notified_versions,
            "department_id": notice.department_id,
        })
    return detail
