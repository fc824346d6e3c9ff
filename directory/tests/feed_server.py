"""A tiny local HTTP server for the feed tests: serves the hand-made files of fixtures/directory/, with ETags,
a path that stalls, one that answers garbage and one that errs. Never the internet."""

import contextlib
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from toolkit.fixtures import FIXTURES_DIR

FILES = {"/rss": "lesedi_news_rss2.xml", "/atom": "lesedi_atom.xml", "/youtube": "lesedi_youtube.xml",
         "/garbage": "garbage.html"}


class FeedHandler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):  # noqa: N802 - the name http.server calls
        server = self.server
        server.requests.append((self.path, dict(self.headers)))
        if self.path == "/slow":
            time.sleep(server.stall_seconds)
            return self._send(200, b"<rss version='2.0'><channel><title>late</title></channel></rss>")
        if self.path == "/error":
            return self._send(500, b"Internal Server Error")
        if self.path == "/huge":
            return self._send(200, b"<rss version='2.0'><channel>" + b" " * (4 * 2**20) + b"</channel></rss>")
        if self.path not in FILES:
            return self._send(404, b"not found")
        etag = f'"{FILES[self.path]}-1"'
        if self.headers.get("If-None-Match") == etag:
            return self._send(304, b"")
        body = (FIXTURES_DIR / "directory" / FILES[self.path]).read_bytes()
        return self._send(200, body, {"ETag": etag, "Last-Modified": "Mon, 30 Nov 2026 08:15:00 GMT",
                                      "Content-Type": "application/xml"})

    def _send(self, status: int, body: bytes, headers: dict | None = None):
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body:
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(body)


@contextlib.contextmanager
def feed_server(stall_seconds: float = 3.0):
    server = ThreadingHTTPServer(("127.0.0.1", 0), FeedHandler)
    server.daemon_threads = True
    server.requests, server.stall_seconds = [], stall_seconds
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        server.url = f"http://127.0.0.1:{server.server_address[1]}"
        yield server
    finally:
        server.shutdown()
        server.server_close()
