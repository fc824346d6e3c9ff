"""Serving a file with HTTP range requests (RFC 9110, 14): one byte range answered 206 with Content-Range,
an unsatisfiable one 416, several (or a malformed header) the whole file, If-Range honoured, and the
conditional headers (If-None-Match: 304) from the ETag. Enough for GDAL's /vsicurl/ and resumed downloads.
The file is read in blocks as the response goes out: memory stays one block whatever its size.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.utils.cache import get_conditional_response
from django.utils.http import http_date

BYTE_RANGE = re.compile(r"bytes=(\d*)-(\d*)")
BLOCK = 256 * 1024


def requested_range(request: HttpRequest, size: int, etag: str, last_modified: str) -> tuple[int, int] | None | str:
    """(first byte, last byte) of the one range asked for; None for the whole file; "unsatisfiable"."""
    header = request.headers.get("Range", "").strip()
    if not header:
        return None
    condition = request.headers.get("If-Range", "").strip()
    if condition and condition not in (etag, last_modified):  # the file changed since: send it whole
        return None
    wanted = BYTE_RANGE.fullmatch(header)
    if wanted is None or not (wanted[1] or wanted[2]):  # several ranges, another unit, or nonsense
        return None
    if wanted[1]:
        first = int(wanted[1])
        last = min(int(wanted[2]), size - 1) if wanted[2] else size - 1
        if wanted[2] and int(wanted[2]) < first:
            return None  # an invalid range is ignored (RFC 9110, 14.1.1)
    else:  # bytes=-N: the last N bytes
        if int(wanted[2]) == 0:
            return "unsatisfiable"
        first, last = max(size - int(wanted[2]), 0), size - 1
    if first >= size:
        return "unsatisfiable"
    return first, last


def file_response(request: HttpRequest, path: Path, *, content_type: str, etag: str,
                  filename: str | None = None, headers: dict[str, str] | None = None) -> HttpResponseBase:
    """The file at `path` (which must not change while it has this ETag) as the request asks for it."""
    stat = path.stat()
    size, last_modified = stat.st_size, http_date(stat.st_mtime)
    common = {"ETag": etag, "Last-Modified": last_modified, "Accept-Ranges": "bytes", **(headers or {})}
    response = get_conditional_response(request, etag=etag, last_modified=int(stat.st_mtime))
    if response is None:
        response = _body(request, path, size, content_type, etag, last_modified)
    for name, value in common.items():
        response[name] = value
    if filename:
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _body(request, path: Path, size: int, content_type: str, etag: str, last_modified: str) -> HttpResponseBase:
    wanted = requested_range(request, size, etag, last_modified)
    if wanted == "unsatisfiable":
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
        return response
    handle = path.open("rb")
    if wanted is None:
        response = FileResponse(handle, content_type=content_type)
        response.block_size = BLOCK  # Django's 4 KB would be 25,000 writes for a 100 MB GeoPackage
        return response
    first, last = wanted
    handle.seek(first)
    response = StreamingHttpResponse(Slice(handle, last - first + 1), status=206, content_type=content_type)
    response["Content-Range"] = f"bytes {first}-{last}/{size}"
    response["Content-Length"] = str(last - first + 1)
    return response


class Slice:
    """`length` bytes from where the file is, in blocks; closed by the response when it is done."""

    def __init__(self, handle, length: int):
        self.handle, self.remaining = handle, length

    def __iter__(self):
        while self.remaining > 0:
            data = self.handle.read(min(BLOCK, self.remaining))
            if not data:
                return
            self.remaining -= len(data)
            yield data

    def close(self):
        self.handle.close()


def file_etag(path: Path, salt: str = "") -> str:
    """A strong ETag naming this one written file (its size and modification time): a file replaced by a
    new one gets a new ETag, so If-Range never splices two versions."""
    stat = os.stat(path)
    return f'"{salt}{stat.st_size:x}-{stat.st_mtime_ns:x}"'
