"""Serving a stored file with HTTP Range (RFC 9110 §14), so a browser's video and audio players seek:
`Accept-Ranges: bytes`, 206 with Content-Range for one range, 416 for a range past the end, HEAD with
the same headers and no body. Several ranges in one request are answered with the whole file (200),
which the RFC allows; `If-Range` with a stale validator gets the whole file too."""

import re

from django.http import HttpResponse, StreamingHttpResponse
from django.utils.http import content_disposition_header, http_date, quote_etag

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
CHUNK = 256 * 1024


class RangeFile:
    """Reads `length` bytes of an open file from `start`, in chunks (FileResponse streams it)."""

    def __init__(self, handle, start: int, length: int):
        self.handle, self.remaining = handle, length
        handle.seek(start)

    def __iter__(self):
        while self.remaining > 0:
            chunk = self.handle.read(min(CHUNK, self.remaining))
            if not chunk:
                break
            self.remaining -= len(chunk)
            yield chunk
        self.handle.close()

    def close(self):
        self.handle.close()


def requested_range(header: str | None, size: int) -> tuple[int, int] | None | str:
    """(first, last) byte for a satisfiable single range, None to send the whole file, or
    "unsatisfiable"."""
    if not header:
        return None
    match = _RANGE.match(header.strip().replace(" ", ""))
    if not match or (not match.group(1) and not match.group(2)):
        return None  # several ranges, or not bytes: the whole file is a valid answer
    first, last = match.groups()
    if not first:  # the final N bytes
        length = int(last)
        if length == 0:
            return "unsatisfiable"
        return max(size - length, 0), size - 1
    first_byte = int(first)
    last_byte = min(int(last), size - 1) if last else size - 1
    if first_byte >= size or (last and int(last) < first_byte):
        return "unsatisfiable"
    return first_byte, last_byte


def ranged_file_response(request, file_field, *, content_type: str, etag: str, last_modified, filename: str,
                         attachment: bool) -> HttpResponse:
    size = file_field.size
    headers = {"Accept-Ranges": "bytes", "ETag": quote_etag(etag), "Last-Modified": http_date(last_modified.timestamp()),
               "X-Content-Type-Options": "nosniff", "Cache-Control": "public, max-age=300"}
    wanted = requested_range(request.headers.get("Range"), size)
    if_range = request.headers.get("If-Range")
    if wanted is not None and if_range and if_range.strip() not in (quote_etag(etag), headers["Last-Modified"]):
        wanted = None  # the file changed since the client's first part: start again
    if wanted == "unsatisfiable":
        return HttpResponse(status=416, headers={**headers, "Content-Range": f"bytes */{size}"})
    first, last = wanted if wanted else (0, size - 1)
    length = max(last - first + 1, 0)
    if request.method == "HEAD":
        response = HttpResponse(status=206 if wanted else 200, content_type=content_type)
    else:
        response = StreamingHttpResponse(RangeFile(file_field.open("rb"), first, length), status=206 if wanted else 200,
                                         content_type=content_type)
    for name, value in headers.items():
        response[name] = value
    response["Content-Length"] = str(length)
    if wanted:
        response["Content-Range"] = f"bytes {first}-{last}/{size}"
    response["Content-Disposition"] = content_disposition_header(attachment, filename)
    return response
