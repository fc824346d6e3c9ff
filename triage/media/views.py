"""Serving an issue's files: /media/issues/<id>/file and /media/issues/<id>/thumbnail.

Nothing serves MEDIA_ROOT directly, so every file passes the same visibility rule as the API
(triage.media.selectors.can_see_media). Files are immutable (a new upload is a new row), so each response
carries an ETag and may be cached; files that not everyone may see are cached privately only.
Byte ranges are answered by toolkit.ranges (206), because Safari plays a video only from ranges.
"""

import hashlib

from django.http import Http404, HttpResponse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_safe

from toolkit import ranges
from triage.media.models import Media
from triage.media.selectors import can_see_media


@require_safe
def media_file(request, media_id: int):
    return _serve(request, media_id, thumbnail=False)


@require_safe
def media_thumbnail(request, media_id: int):
    return _serve(request, media_id, thumbnail=True)


def _refusal(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    patch_vary_headers(response, ["Cookie", "X-Tracking-Key"])
    return response


def _serve(request, media_id: int, *, thumbnail: bool):
    media = Media.objects.select_related("issue__category").filter(pk=media_id).first()
    if media is None:
        raise Http404("No such file.")
    tracking_key = request.headers.get("X-Tracking-Key", "")
    if not can_see_media(request.user, media, tracking_key=tracking_key):
        if media.is_internal:  # staff-only files are not even admitted to exist
            return _refusal(HttpResponse("No such file.", status=404, content_type="text/plain; charset=utf-8"))
        return _refusal(HttpResponse(
            "This issue is in a private category: only its reporter (logged in, or sending the X-Tracking-Key "
            "header) and municipal staff may see its files.", status=403, content_type="text/plain; charset=utf-8"))
    stored = media.thumbnail if thumbnail else media.file
    if not stored:
        raise Http404("This file has no thumbnail.")
    restricted = media.is_internal or media.issue.category.is_private
    etag = '"' + hashlib.sha256(stored.name.encode()).hexdigest()[:32] + '"'
    headers = {
        "Cache-Control": "private, max-age=3600" if restricted else "public, max-age=3600",
        "X-Content-Type-Options": "nosniff",
    }
    if media.kind != Media.Kind.PDF or thumbnail:
        # Nothing in a photo, video or sound may run or load anything (browsers' PDF viewers
        # refuse to start under such a policy, so PDFs go without it).
        headers["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'"
    try:
        size = stored.storage.size(stored.name)
    except FileNotFoundError:
        raise Http404("The file is missing from storage.") from None
    extension = ".jpg" if thumbnail else media.extension
    response = ranges.ranged_response(
        request, open_file=lambda: stored.storage.open(stored.name, "rb"), size=size,
        content_type="image/jpeg" if thumbnail else media.content_type, etag=etag,
        filename=f"{media.issue.reference}-{media.pk}{'-thumbnail' if thumbnail else ''}{extension}",
        as_attachment=False, headers=headers)
    if restricted:
        patch_vary_headers(response, ["Cookie", "X-Tracking-Key"])
    return response
