"""toolkit.ranges: byte ranges of a file as RFC 9110 reads them."""

import pytest
from django.test import RequestFactory

from toolkit import ranges

CONTENT = bytes(range(256)) * 4  # 1,024 bytes, each position recognisable


@pytest.fixture
def served(tmp_path):
    path = tmp_path / "file.bin"
    path.write_bytes(CONTENT)
    etag = ranges.file_etag(path)

    def get(method="get", **headers):
        request = getattr(RequestFactory(), method)("/file", headers=headers)
        response = ranges.file_response(request, path, content_type="application/octet-stream", etag=etag,
                                        filename="file.bin")
        body = b"".join(response.streaming_content) if response.streaming else response.content
        return response, body

    return get, etag


@pytest.mark.parametrize(("header", "status", "content_range"), [
    ("bytes=0-9", 206, "bytes 0-9/1024"),
    ("bytes=1000-", 206, "bytes 1000-1023/1024"),
    ("bytes=-24", 206, "bytes 1000-1023/1024"),
    ("bytes=-5000", 206, "bytes 0-1023/1024"),  # a suffix longer than the file: all of it
    ("bytes=1020-2000", 206, "bytes 1020-1023/1024"),  # an end past the file: cut to it
    ("bytes=9-5", 200, None),  # invalid: ignored
    ("bytes=0-1,5-6", 200, None),  # several: the whole file
    ("items=0-9", 200, None),  # another unit: ignored
    ("bytes=1024-", 416, "bytes */1024"),
    ("bytes=-0", 416, "bytes */1024"),
])
def test_one_range_or_the_whole_file_or_416(served, header, status, content_range):
    get, _ = served
    response, body = get(Range=header)
    assert response.status_code == status
    assert response["Accept-Ranges"] == "bytes"
    assert response.get("Content-Range") == content_range
    if status == 206:
        first, last = (int(part) for part in content_range.split()[1].split("/")[0].split("-"))
        assert body == CONTENT[first:last + 1] and response["Content-Length"] == str(last - first + 1)
    elif status == 200:
        assert body == CONTENT
    else:
        assert body == b""


def test_if_range_and_if_none_match(served):
    get, etag = served
    assert get(Range="bytes=0-9", **{"If-Range": etag})[0].status_code == 206
    assert get(Range="bytes=0-9", **{"If-Range": '"older"'})[0].status_code == 200
    assert get(**{"If-None-Match": etag})[0].status_code == 304
    response, _ = get()
    assert response["Content-Disposition"] == 'attachment; filename="file.bin"' and response["ETag"] == etag


@pytest.mark.parametrize(("headers", "status", "length"), [
    ({"Range": "bytes=0-9"}, 206, "10"), ({}, 200, "1024"), ({"Range": "bytes=2000-"}, 416, None)])
def test_head_answers_as_get_would_without_a_body(served, headers, status, length):
    get, etag = served
    response, body = get("head", **headers)
    assert (response.status_code, response.get("Content-Length"), body) == (status, length, b"")
    assert response["ETag"] == etag and response["Accept-Ranges"] == "bytes"
    assert response.get("Content-Range") == get(**headers)[0].get("Content-Range")
