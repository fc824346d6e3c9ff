"""An issue as people may see it. The public view is built from an allow-list of fields, so a
field added to the model later never leaks by default; staff with the right permission get the
reporter's contact details, answers and internal notes on top."""

from toolkit.clock import elapsed
from triage.issues.permissions import can_see_internal, is_reporter
from triage.media.selectors import media_for, public_media, sees_more_than_public_media


def _seconds(duration) -> int | None:
    return int(duration.total_seconds()) if duration is not None else None


def public_issue(issue, *, now, media: list | None = None) -> dict:
    private = issue.category.is_private
    return {
        "reference": issue.reference,
        "status": issue.status,
        "status_label": issue.get_status_display(),
        "status_note": issue.status_note,
        "is_open": issue.is_open,
        "municipality": {"code": issue.municipality.code, "name": issue.municipality.title},
        "category": {"id": issue.category_id, "code": issue.category.code, "name": issue.category.local_name},
        "kind": issue.kind,
        "description": issue.description,
        "address": "" if private else issue.address,
        "location": None if private else {"lat": round(issue.location.y, 6), "lon": round(issue.location.x, 6)},
        "location_hidden": private,
        "ward": {"number": issue.ward.number, "code": issue.ward.code} if issue.ward_id else None,
        "suburb": {"name": issue.suburb.name, "code": issue.suburb.code} if issue.suburb_id else None,
        "asset": None if private or not issue.asset_id else {
            "external_id": issue.asset.external_id, "type": issue.asset.asset_type.name,
            "distance_m": round(issue.asset_distance_m, 1),
        },
        "department": issue.department.name if issue.department_id else None,
        "priority": issue.priority,
        "channel": issue.channel,
        "duplicate_of": issue.duplicate_of.reference if issue.duplicate_of_id else None,
        "rejection_reason": issue.rejection_reason,
        "upvotes": issue.upvotes,
        "created_at": issue.created_at.isoformat(),
        "updated_at": issue.updated_at.isoformat(),
        "acknowledged_at": issue.acknowledged_at.isoformat() if issue.acknowledged_at else None,
        "resolved_at": issue.resolved_at.isoformat() if issue.resolved_at else None,
        "closed_at": issue.closed_at.isoformat() if issue.closed_at else None,
        "expected_at": issue.expected_at.isoformat() if issue.expected_at else None,
        "open_for_seconds": _seconds(elapsed(issue.created_at, issue.resolved_at or issue.closed_at or now)),
        "time_to_acknowledge_seconds": _seconds(issue.time_to_acknowledge),
        "time_to_resolve_seconds": _seconds(issue.time_to_resolve),
        "media": public_media(issue) if media is None else media,  # one query; never a photo's EXIF position
    }


def issue_for(user, issue, *, now, tracking_key: str = "", new: bool = False) -> dict:
    """The public view, plus what this viewer may also see. A `new` issue has no files yet."""
    data = public_issue(issue, now=now, media=[] if new else None)
    if not new and sees_more_than_public_media(user, issue, tracking_key=tracking_key):
        data["media"] = media_for(user, issue, tracking_key=tracking_key)
    if is_reporter(user, issue, tracking_key) or can_see_internal(user, issue):
        data["answers"] = issue.answers
        data["location"] = {"lat": round(issue.location.y, 6), "lon": round(issue.location.x, 6)}
        data["address"] = issue.address
    if can_see_internal(user, issue):
        data["reporter"] = {
            "user_id": issue.reporter_id,
            "name": issue.reporter_name or (issue.reporter.full_name if issue.reporter_id else ""),
            "phone": issue.reporter_phone or (issue.reporter.phone or "" if issue.reporter_id else ""),
            "email": issue.reporter_email or (issue.reporter.email or "" if issue.reporter_id else ""),
        }
        data["assignee"] = str(issue.assignee) if issue.assignee_id else None
    return data


def history_for(user, issue, events) -> list[dict]:
    internal = can_see_internal(user, issue)
    rows = []
    for event in events:
        if not internal and event.action not in event.PUBLIC_ACTIONS:
            continue
        row = {
            "at": event.at.isoformat(), "action": event.action, "by": event.actor_label,
            "from_status": event.from_status or None, "to_status": event.to_status or None,
            "public_note": event.public_note,
        }
        if internal:
            row["internal_note"] = event.internal_note
            row["detail"] = event.detail
            row["actor_id"] = event.actor_id
        rows.append(row)
    return rows


def comment_for(user, comment) -> dict:
    return {
        "id": comment.id, "by": comment.author_label, "body": comment.body,
        "created_at": comment.created_at.isoformat(), "internal": comment.is_internal,
    }
