"""Helpers the tests of every app share."""

import struct
import time
import zlib
from pathlib import Path

from django.core.management import call_command

SCREENSHOTS = Path(__file__).resolve().parent.parent / "var" / "screenshots"


def import_lesedi_wards(path: Path, **overrides) -> None:
    options = {"level": "ward", "code_field": "WardID", "number_field": "WardNumber",
               "municipality_field": "LocalMunic", "municipality_name_field": "LocalMun_1",
               "year_field": "Year", "verbosity": 0}
    options.update(overrides)
    call_command("import_areas", str(path), **options)


def save_screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    return path


def wait_until(page, expression: str, timeout: float = 30) -> None:
    """Wait until the JavaScript `expression` is true in the page. Playwright's own wait_for_function
    runs its expression through eval(), which the site's Content-Security-Policy refuses."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise TimeoutError(f"still false after {timeout} s: {expression}")
        page.wait_for_timeout(50)


def huge_png(side: int) -> bytes:
    """A real PNG of side × side white one-bit pixels: at 9,400 a side, 88 million pixels in some 11 KB."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = (b"\x00" + b"\xff" * ((side + 7) // 8)) * side
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b""))
