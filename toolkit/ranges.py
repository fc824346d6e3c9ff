"""Serving a file with HTTP range requests (RFC 9110, 14): one byte range answered 206 with Content-Range,
an unsatisfiable one 416 with `bytes */size`, several (or a malformed header) the whole file, If-Range
honoured, `Accept-Ranges: bytes` on every answer, and the conditional headers (If-None-Match: 304) from the
ETag. HEAD gets the same status and headers without opening the file. Enough for GDAL's /vsicurl/, resumed
downloads and the seeking of browsers' video and audio players (Safari plays a video only from ranges).
The file is read in blocks as the response goes out: memory stays one block whatever its size.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.utils.cache import get_conditional_response
from django.utils.http import content_disposition_header, http_date

BYTE_RANGE = re.compile(r"bytes=(\d*)-(\d*)")
BLOCK = 256 * 1024


def requested_range(request: HttpRequest, size: int, etag: str, last_modified: str | None) -> tuple[int, int] | None | str:
    """(first byte, last byte) of the one range asked for; None for the whole file; "unsatisfiable"."""
    header = request.headers.get("Range", "").replace(" ", "")
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


def ranged_response(request: HttpRequest, *, open_file: Callable[[], BinaryIO], size: int, content_type: str,
                    etag: str, last_modified: float | None = None, filename: str | None = None,
                    as_attachment: bool = True, headers: dict[str, str] | None = None) -> HttpResponseBase:
    """The file that `open_file` opens (`size` bytes, unchanged while it has this strong ETag) as the request
    asks for it. `last_modified` (a POSIX timestamp) answers If-Modified-Since and dated If-Ranges;
    `filename` names it in Content-Disposition (attachment or inline); `headers` go on every answer."""
    modified = http_date(last_modified) if last_modified is not None else None
    common = {"ETag": etag, "Accept-Ranges": "bytes", **({"Last-Modified": modified} if modified else {}),
              **(headers or {})}
    response = get_conditional_response(
        request, etag=etag, last_modified=int(last_modified) if last_modified is not None else None)
    if response is None:
        response = _body(request, open_file, size, content_type, requested_range(request, size, etag, modified))
        if filename and response.status_code != 416:
            response["Content-Disposition"] = content_disposition_header(as_attachment, filename)
    for name, value in common.items():
        response[name] = value
    return response


def _body(request, open_file, size: int, content_type: str, wanted) -> HttpResponseBase:
    if wanted == "unsatisfiable":
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
        return response
    first, last = wanted or (0, size - 1)
    status = 206 if wanted else 200
    if request.method == "HEAD":
        response = HttpResponse(status=status, content_type=content_type)
    elif wanted is None:
        response = FileResponse(open_file(), content_type=content_type)
        response.block_size = BLOCK  # Django's 4 KB would be 25,000 writes for a 100 MB GeoPackage
        response.headers.pop("Content-Disposition", None)  # named by the caller's filename, never the stored one
    else:
        handle = open_file()
        handle.seek(first)
        response = StreamingHttpResponse(Slice(handle, last - first + 1), status=206, content_type=content_type)
    if wanted:
        response["Content-Range"] = f"bytes {first}-{last}/{size}"
    response["Content-Length"] = str(max(last - first + 1, 0))
    return response


def file_response(request: HttpRequest, path: Path, *, content_type: str, etag: str,
                  filename: str | None = None, headers: dict[str, str] | None = None) -> HttpResponseBase:
    """The file at `path` (which must not change while it has this ETag), as an attachment."""
    stat = path.stat()
    return ranged_response(request, open_file=lambda: path.open("rb"), size=stat.st_size, content_type=content_type,
                           etag=etag, last_modified=stat.st_mtime, filename=filename, headers=headers)


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
