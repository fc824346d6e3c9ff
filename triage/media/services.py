"""Attaching a checked file to an issue."""

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from triage.issues.models import Comment, Issue
from triage.media.files import MediaRefused, check_size, detect, media_per_issue, process_photo
from triage.media.models import Media

# --- attaching --------------------------------------------------------------------------------

def _check_room(issue: Issue) -> None:
    count, limit = Media.objects.filter(issue=issue).count(), media_per_issue()
    if count >= limit:
        raise MediaRefused(f"{issue.reference} already has {count} files; at most {limit} may be attached.")


def media_attach(*, issue: Issue, upload, uploaded_by=None, comment: Comment | None = None,
                 internal: bool = False) -> Media:
    """Check, clean and store one file on the issue; MediaRefused (field `file` or `comment`) otherwise.

    The issue row is locked while the files are counted and the row inserted, so two uploads at
    once cannot both take the last place. The (slow) photo re-encoding happens before the lock.
    A file on an internal note is internal. If anything fails after a file was written to storage,
    the file is deleted again; if the caller's own transaction rolls back later, the stored files
    stay behind (Django has no on-rollback hook).
    """
    if comment is not None and comment.issue_id != issue.pk:
        raise MediaRefused(f"Comment {comment.pk} is not on {issue.reference}.", "comment")
    internal = internal or bool(comment is not None and comment.is_internal)
    detected = detect(upload)
    check_size(upload.size, detected.kind)
    _check_room(issue)
    photo = process_photo(upload, detected.content_type) if detected.kind == Media.Kind.IMAGE else None

    stored: list[tuple] = []  # (storage, name) of each file written, to delete if anything fails
    try:
        with transaction.atomic():
            locked = Issue.objects.select_for_update(of=("self",)).get(pk=issue.pk)
            _check_room(locked)
            media = Media(
                issue=locked, comment=comment, kind=detected.kind, content_type=detected.content_type,
                uploaded_by=uploaded_by if getattr(uploaded_by, "is_authenticated", False) else None,
                is_internal=internal, created_at=timezone.now(),
            )
            if photo is not None:
                media.file.save("photo", ContentFile(photo.data), save=False)
                stored.append((media.file.storage, media.file.name))
                media.thumbnail.save("thumbnail", ContentFile(photo.thumbnail), save=False)
                stored.append((media.thumbnail.storage, media.thumbnail.name))
                media.size, media.width, media.height = len(photo.data), photo.width, photo.height
                media.gps_location = photo.location
            else:
                upload.seek(0)
                media.file.save("upload", upload, save=False)
                stored.append((media.file.storage, media.file.name))
                media.size = media.file.size
            media.save()
    except BaseException:
        for storage, name in stored:
            storage.delete(name)
        raise
    return media
