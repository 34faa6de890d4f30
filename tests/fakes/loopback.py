"""A threaded HTTP server on 127.0.0.1 with a free port, started and stopped as a context manager."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import urlsplit


class LoopbackServer:
    """Base of the test stand-ins: ``with Server() as s: ... s.url``; ``close`` stops it and its thread.

    ``_stop`` is set on close, so handlers sleeping on it (a slow reply) wake up and return.
    """

    def __init__(self) -> None:
        self._stop = threading.Event()

    def _serve(self, handler: type[BaseHTTPRequestHandler], name: str) -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, name=name, daemon=True)

    def _serve_scripted(self, name: str, make_request: Callable[..., Any], request_id_header: str) -> None:
        """Serve every method the scripted way: each request, built as ``make_request(method, path, headers,
        body, text)``, is appended to ``self.requests`` under ``self._lock`` and answered with
        ``self.answer(request)`` -> (status, content type, bytes); ``request_id_header`` numbers the replies."""
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length) if length else b""
                text = raw.decode("utf-8", "replace")
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = None
                req = make_request(self.command, urlsplit(self.path).path.rstrip("/") or "/",
                                   {k.lower(): v for k, v in self.headers.items()}, body, text)
                with server._lock:  # type: ignore[attr-defined]
                    server.requests.append(req)  # type: ignore[attr-defined]
                status, ctype, data = server.answer(req)  # type: ignore[attr-defined]
                number = len(server.requests)  # type: ignore[attr-defined]
                try:
                    self.send_response(status)
                    self.send_header("content-type", ctype)
                    self.send_header("content-length", str(len(data)))
                    self.send_header(request_id_header, f"req_scripted_{number}")
                    self.end_headers()
                    if self.command != "HEAD":
                        self.wfile.write(data)
                except OSError:
                    pass  # the client went away

            do_GET = do_POST = do_HEAD = do_PUT = do_DELETE = do_PATCH = _handle  # noqa: N815

        self._serve(Handler, name)

    def __enter__(self) -> Any:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        self._stop.set()
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=10)
