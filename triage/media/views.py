"""Serving an issue's files: /media/issues/<id>/file and /media/issues/<id>/thumbnail.

Nothing serves MEDIA_ROOT directly, so every file passes the same visibility rule as the API
(triage.media.selectors.can_see_media). Files are immutable (a new upload is a new row), so each response
carries an ETag and may be cached; files that not everyone may see are cached privately only.
Single byte ranges are answered (206), because Safari plays a video only from ranges.
"""

import hashlib
import re

from django.http import FileResponse, Http404, HttpResponse, StreamingHttpResponse
from django.utils.cache import get_conditional_response, patch_vary_headers
from django.views.decorators.http import require_safe

from toolkit.ranges import Slice
from triage.media.models import Media
from triage.media.selectors import can_see_media

BYTE_RANGE = re.compile(r"bytes=(\d*)-(\d*)")


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
    headers = {
        "ETag": '"' + hashlib.sha256(stored.name.encode()).hexdigest()[:32] + '"',
        "Cache-Control": "private, max-age=3600" if restricted else "public, max-age=3600",
        "X-Content-Type-Options": "nosniff",
        "Accept-Ranges": "bytes",
    }
    if media.kind != Media.Kind.PDF or thumbnail:
        # Nothing in a photo, video or sound may run or load anything (browsers' PDF viewers
        # refuse to start under such a policy, so PDFs go without it).
        headers["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'"
    not_modified = get_conditional_response(request, etag=headers["ETag"])
    if not_modified is not None:
        return _with(not_modified, headers, restricted)
    try:
        handle = stored.storage.open(stored.name, "rb")
        size = stored.storage.size(stored.name)
    except FileNotFoundError:
        raise Http404("The file is missing from storage.") from None
    content_type = "image/jpeg" if thumbnail else media.content_type
    extension = ".jpg" if thumbnail else media.extension
    filename = f"{media.issue.reference}-{media.pk}{'-thumbnail' if thumbnail else ''}{extension}"
    wanted = BYTE_RANGE.fullmatch(request.headers.get("Range", "").strip())
    if wanted and (wanted[1] or wanted[2]):
        response = _partial(handle, size, wanted, content_type)
        response["Content-Disposition"] = f'inline; filename="{filename}"'
    else:
        response = FileResponse(handle, content_type=content_type, as_attachment=False, filename=filename)
    return _with(response, headers, restricted)


def _with(response, headers: dict, restricted: bool):
    for name, value in headers.items():
        response[name] = value
    if restricted:
        patch_vary_headers(response, ["Cookie", "X-Tracking-Key"])
    return response


def _partial(handle, size: int, wanted, content_type: str):
    if wanted[1]:
        start = int(wanted[1])
        end = min(int(wanted[2]), size - 1) if wanted[2] else size - 1
    else:  # bytes=-N: the last N bytes
        start, end = max(size - int(wanted[2]), 0), size - 1
    if start > end or start >= size:
        handle.close()
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
        return response
    handle.seek(start)
    response = StreamingHttpResponse(Slice(handle, end - start + 1), status=206, content_type=content_type)
    response["Content-Range"] = f"bytes {start}-{end}/{size}"
    response["Content-Length"] = str(end - start + 1)
    return response
