"""Who sees which files of an issue, and how an issue's JSON lists them."""

from django.db.models import QuerySet
from django.urls import reverse

from triage.issues.models import Issue
from triage.issues.permissions import can_see_internal, is_reporter
from triage.media.models import Media

# --- who sees what ----------------------------------------------------------------------------

def can_see_media(user, media: Media, *, tracking_key: str = "") -> bool:
    """Internal files: staff who read internal notes. Files on issues of a private category:
    the reporter, those staff, and whoever uploaded the file. Everything else: anyone."""
    issue = media.issue
    if media.is_internal:
        return can_see_internal(user, issue)
    if issue.category.is_private:
        return (can_see_internal(user, issue) or is_reporter(user, issue, tracking_key)
                or bool(user is not None and user.is_authenticated and media.uploaded_by_id == user.pk))
    return True


def media_visible_to(user, issue: Issue, *, tracking_key: str = "") -> QuerySet:
    """The issue's files this viewer may see, oldest first (the same rule as can_see_media)."""
    media = Media.objects.filter(issue=issue).order_by("created_at", "id")
    staff = can_see_internal(user, issue)
    if staff:
        return media
    media = media.filter(is_internal=False)
    if issue.category.is_private and not is_reporter(user, issue, tracking_key):
        return media.filter(uploaded_by=user) if user is not None and user.is_authenticated else media.none()
    return media


def sees_more_than_public_media(user, issue: Issue, *, tracking_key: str = "") -> bool:
    return can_see_internal(user, issue) or (issue.category.is_private and (
        is_reporter(user, issue, tracking_key) or bool(user is not None and user.is_authenticated)))


def media_file_url(media_id: int) -> str:
    return reverse("issue-media-file", args=[media_id])


def media_thumbnail_url(media_id: int, thumbnail: str) -> str | None:
    return reverse("issue-media-thumbnail", args=[media_id]) if thumbnail else None


def media_summaries(media: QuerySet, *, with_internal_flag: bool = False) -> list[dict]:
    """What an issue's JSON says of its files: one query, no gps_location ever."""
    rows = []
    for row in media.values("id", "kind", "content_type", "thumbnail", "is_internal"):
        summary = {"id": row["id"], "kind": row["kind"], "content_type": row["content_type"],
                   "url": media_file_url(row["id"]), "thumbnail_url": media_thumbnail_url(row["id"], row["thumbnail"])}
        if with_internal_flag:
            summary["internal"] = row["is_internal"]
        rows.append(summary)
    return rows


def public_media(issue: Issue) -> list[dict]:
    """The files anyone may see: none of an issue in a private category, never internal ones."""
    if issue.category.is_private:
        return []
    return media_summaries(Media.objects.filter(issue=issue, is_internal=False).order_by("created_at", "id"))


def media_for(user, issue: Issue, *, tracking_key: str = "") -> list[dict]:
    return media_summaries(media_visible_to(user, issue, tracking_key=tracking_key),
                           with_internal_flag=can_see_internal(user, issue))
