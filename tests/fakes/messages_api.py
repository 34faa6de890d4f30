"""A local stand-in for the Anthropic Messages API: a real HTTP server on 127.0.0.1.

The real ``anthropic`` SDK talks to it over a socket (``ANTHROPIC_BASE_URL``).
Tests queue the replies it gives, in order; it records every request it
received (path, headers, JSON body, byte count) so tests and the benchmark can
count real calls and real bytes. Stopped by ``close()`` (or the ``with`` block),
which also wakes any reply that is still sleeping.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from fakes.loopback import LoopbackServer


@dataclass
class Reply:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0       # seconds to wait before answering (a slow or hung server)
    trickle: float = 0.0     # seconds between single bytes of the body (a server no per-read timeout catches)


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: Any
    size: int


GOOD_SUMMARY = {
    "title": "Split the payment service and add an outbox",
    "request": "Split the payment service",
    "investigated": ["Read app.py to find the post handler"],
    "learned": ["The ledger must stay consistent across the split"],
    "completed": ["Changed app.py: post() returns 2", "Created outbox.py"],
    "next_steps": ["Wire the outbox into the payment worker"],
    "dead_ends": ["Tried a direct HTTP call between services: did not work because it loses writes on failure"],
    "decisions": [{
        "title": "Use the outbox pattern for payment events",
        "context": "Splitting the payment service needs reliable event delivery",
        "decision": "Write events to an outbox table in the same transaction",
        "rationale": "The ledger must stay consistent",
        "alternatives": ["Two-phase commit", "Direct HTTP calls"],
        "files": ["outbox.py", "app.py"],
    }],
    "tags": ["payments", "Architecture"],
}


def message(tool_input: Any, input_tokens: int = 321, output_tokens: int = 123,
            name: str = "record_session_summary", model: str = "claude-haiku-4-5") -> dict:
    """A Messages API response whose only content is a tool_use block."""
    return {"id": "msg_local_1", "type": "message", "role": "assistant", "model": model,
            "content": [{"type": "tool_use", "id": "toolu_local_1", "name": name, "input": tool_input}],
            "stop_reason": "tool_use", "stop_sequence": None,
            "usage": {"input_tokens": input_tokens, "output_tokens": output_tokens}}


def text_message(text: str) -> dict:
    return {"id": "msg_local_2", "type": "message", "role": "assistant", "model": "claude-haiku-4-5",
            "content": [{"type": "text", "text": text}], "stop_reason": "end_turn", "stop_sequence": None,
            "usage": {"input_tokens": 10, "output_tokens": 5}}


def error(status: int, kind: str, text: str, headers: dict[str, str] | None = None) -> Reply:
    return Reply(status, {"type": "error", "error": {"type": kind, "message": text}}, headers or {})


def good(summary: dict | None = None, **kw: Any) -> Reply:
    return Reply(200, message(GOOD_SUMMARY if summary is None else summary, **kw))


class FakeMessagesAPI(LoopbackServer):
    """``with FakeMessagesAPI([replies...]) as api: env ANTHROPIC_BASE_URL=api.url``."""

    def __init__(self, replies: list[Reply] | None = None, default: Reply | None = None,
                 api_key: str = "sk-ant-test-key") -> None:
        self.replies: deque[Reply] = deque(replies or [])
        self.default = default or good()
        self.api_key = api_key
        self.requests: list[Received] = []
        super().__init__()
        self._lock = threading.Lock()
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                raw = self.rfile.read(int(self.headers.get("content-length") or 0))
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = None
                with api._lock:
                    api.requests.append(Received(self.path, {k.lower(): v for k, v in self.headers.items()},
                                                 body, len(raw)))
                    reply = api.replies.popleft() if api.replies else api.default
                if self.path.rstrip("/") != "/v1/messages":
                    reply = error(404, "not_found_error", f"no route {self.path}")
                elif api.api_key not in (self.headers.get("x-api-key"),
                                         (self.headers.get("authorization") or "").removeprefix("Bearer ")):
                    # SDKs send the key as x-api-key (older) or as a bearer token (newer)
                    reply = error(401, "authentication_error", "invalid x-api-key")
                if reply.delay and api._stop.wait(reply.delay):
                    return  # stopped while sleeping
                data = json.dumps(reply.body).encode()
                try:
                    self.send_response(reply.status)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(data)))
                    for k, v in reply.headers.items():
                        self.send_header(k, v)
                    self.end_headers()
                    if not reply.trickle:
                        self.wfile.write(data)
                        return
                    self.wfile.flush()
                    for i in range(len(data)):
                        self.wfile.write(data[i:i + 1])
                        self.wfile.flush()
                        if api._stop.wait(reply.trickle):
                            return  # stopped while trickling
                except OSError:
                    pass  # the client gave up (timeout) before we answered

        self._serve(Handler, "fake-messages-api")


    def env(self, key: str | None = None) -> dict[str, str]:
        return {"ANTHROPIC_BASE_URL": self.url, "ANTHROPIC_API_KEY": self.api_key if key is None else key}

    @property
    def bytes_received(self) -> int:
        return sum(r.size for r in self.requests)
