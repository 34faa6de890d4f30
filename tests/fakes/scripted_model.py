"""A scripted model behind a local stand-in for the Anthropic Messages API (standard library only).

The real Claude Code CLI talks to it through ``ANTHROPIC_BASE_URL``; the server
listens on 127.0.0.1 on a free port and answers what the CLI asks:

- ``POST /v1/messages`` streaming (``"stream": true``, server-sent events:
  message_start, content_block_start / content_block_delta (text_delta,
  input_json_delta) / content_block_stop, message_delta with the stop reason,
  message_stop) or not (one JSON message);
- ``POST /v1/messages/count_tokens``: a rough count;
- ``HEAD /api/hello``: the CLI's connectivity check, sent when non-essential
  traffic is not turned off;
- anything else: logged in ``unknown`` and answered with an empty JSON object
  (GET, HEAD) or a 404 in the API's error shape (POST), so a test can see what
  a new CLI version started asking for.

The model side is scripted by request content, never by request count, because
the CLI also sends side requests (title, topic or quota checks) and two
sessions may talk to one server at once. A :class:`Script` is chosen by a
marker in the conversation's latest human prompt; its step is the number of
assistant tool calls made since that prompt. So a request with the agent's
tools asks for the script's next tool call until all are made, then gets the
final text. Requests without the agent's tools (side requests) get a short
text; a request that forces one tool (``tool_choice: {type: tool}``, as
gitmem's summarizer does) gets that tool called with ``forced_inputs[name]``.

Every request is recorded (method, path, headers, JSON body, raw text) so a
test can read what the model received.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from fakes.loopback import LoopbackServer

HOLD_SECONDS = 60
AGENT_TOOLS = frozenset({"Bash", "Read", "Edit", "Write", "Grep", "Glob"})
MODEL = "claude-sonnet-4-5"
_REMINDER = re.compile(r"<system-reminder>.*?</system-reminder>", re.S)
_ids = itertools.count(1)


def tool(name: str, **tool_input: Any) -> "ToolCall":
    return ToolCall(name, tool_input)


@dataclass(frozen=True)
class ToolCall:
    name: str
    input: dict[str, Any]


@dataclass(frozen=True)
class Script:
    """What the model does for a prompt containing ``marker``: these tool calls in order, then ``final``."""

    marker: str
    steps: tuple[ToolCall, ...]
    final: str
    # checked before the final answer: the reply waits (bounded) until it is true, e.g. until another
    # session has talked to the model, so that two sessions are certainly live at the same time
    hold: Callable[[], bool] | None = field(default=None, compare=False)


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: Any
    text: str             # the raw body as text: search it for what the model was shown

    @property
    def tool_names(self) -> list[str]:
        if not isinstance(self.body, dict):
            return []
        return [t.get("name", "") for t in self.body.get("tools") or [] if isinstance(t, dict)]

    @property
    def is_agent_turn(self) -> bool:
        """A main-conversation request: it offers the agent's tools."""
        return self.path == "/v1/messages" and bool(AGENT_TOOLS & set(self.tool_names))


def _blocks(content: Any) -> list[dict]:
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    return [b for b in content or [] if isinstance(b, dict)]


def latest_prompt(messages: list[dict]) -> tuple[int, str]:
    """(index, text) of the last user message that is a prompt rather than tool results."""
    for i in range(len(messages) - 1, -1, -1):
        msg = messages[i]
        if msg.get("role") != "user":
            continue
        blocks = _blocks(msg.get("content"))
        if any(b.get("type") == "tool_result" for b in blocks):
            continue
        return i, "\n".join(b.get("text", "") for b in blocks if b.get("type") == "text")
    return -1, ""


def tool_calls_since(messages: list[dict], index: int) -> int:
    return sum(1 for msg in messages[index + 1:] if msg.get("role") == "assistant"
               for b in _blocks(msg.get("content")) if b.get("type") == "tool_use")


def sse(event: str, data: dict) -> str:
    return f"event: {event}\ndata: {json.dumps(data)}\n\n"


def stream_events(message: dict) -> str:
    """The server-sent events the API streams for ``message`` (text and tool_use blocks)."""
    start = dict(message, content=[], stop_reason=None, stop_sequence=None,
                 usage={"input_tokens": message["usage"]["input_tokens"], "output_tokens": 1})
    out = [sse("message_start", {"type": "message_start", "message": start}), sse("ping", {"type": "ping"})]
    for index, block in enumerate(message["content"]):
        if block["type"] == "text":
            out.append(sse("content_block_start", {"type": "content_block_start", "index": index,
                                                   "content_block": {"type": "text", "text": ""}}))
            text = block["text"]
            for piece in (text[:len(text) // 2], text[len(text) // 2:]):  # more than one delta, as the API does
                out.append(sse("content_block_delta", {"type": "content_block_delta", "index": index,
                                                       "delta": {"type": "text_delta", "text": piece}}))
        else:
            out.append(sse("content_block_start", {"type": "content_block_start", "index": index, "content_block":
                                                   {"type": "tool_use", "id": block["id"], "name": block["name"],
                                                    "input": {}}}))
            raw = json.dumps(block["input"])
            for piece in (raw[:len(raw) // 2], raw[len(raw) // 2:]):
                out.append(sse("content_block_delta", {"type": "content_block_delta", "index": index,
                                                       "delta": {"type": "input_json_delta", "partial_json": piece}}))
        out.append(sse("content_block_stop", {"type": "content_block_stop", "index": index}))
    out.append(sse("message_delta", {"type": "message_delta",
                                     "delta": {"stop_reason": message["stop_reason"], "stop_sequence": None},
                                     "usage": {"output_tokens": message["usage"]["output_tokens"]}}))
    out.append(sse("message_stop", {"type": "message_stop"}))
    return "".join(out)


def make_message(content: list[dict], stop_reason: str, model: str = MODEL, input_tokens: int = 100) -> dict:
    return {"id": f"msg_scripted_{next(_ids)}", "type": "message", "role": "assistant", "model": model,
            "content": content, "stop_reason": stop_reason, "stop_sequence": None,
            "usage": {"input_tokens": input_tokens, "output_tokens": 20, "cache_creation_input_tokens": 0,
                      "cache_read_input_tokens": 0}}


def text_reply(text: str, model: str = MODEL) -> dict:
    return make_message([{"type": "text", "text": text}], "end_turn", model)


def tool_reply(name: str, tool_input: dict, text: str = "", model: str = MODEL) -> dict:
    content = [{"type": "text", "text": text}] if text else []
    content.append({"type": "tool_use", "id": f"toolu_scripted_{next(_ids):06d}", "name": name, "input": tool_input})
    return make_message(content, "tool_use", model)


class ScriptedModel(LoopbackServer):
    """``with ScriptedModel() as model: model.add(Script(...)); env ANTHROPIC_BASE_URL=model.url``."""

    def __init__(self, api_key: str = "test-key", side_text: str = "E2E session",
                 forced_inputs: dict[str, dict] | None = None) -> None:
        self.api_key = api_key
        self.side_text = side_text
        self.forced_inputs = dict(forced_inputs or {})
        self.scripts: list[Script] = []
        self.requests: list[Request] = []
        self.unknown: list[str] = []       # "METHOD path" of requests the stand-in has no route for
        self.unscripted: list[str] = []    # agent turns whose prompt matched no script
        self.hold_timeouts = 0             # final answers sent because a hold ran out, not because it was met
        self._lock = threading.Lock()
        super().__init__()
        self._serve_scripted("scripted-model", Request, "request-id")

    # -- scripting ---------------------------------------------------------------------------------

    def add(self, script: Script) -> Script:
        with self._lock:
            self.scripts.append(script)
        return script

    def script_for(self, prompt: str) -> Script | None:
        visible = _REMINDER.sub("", prompt)  # a marker quoted in injected context must not select a script
        with self._lock:
            found = [(visible.rfind(s.marker), s) for s in self.scripts if s.marker in visible]
        return max(found, key=lambda f: f[0])[1] if found else None

    def reply_for(self, req: Request) -> dict:
        body = req.body if isinstance(req.body, dict) else {}
        model = body.get("model") or MODEL
        choice = body.get("tool_choice") or {}
        if choice.get("type") == "tool":
            return tool_reply(choice["name"], self.forced_inputs.get(choice["name"], {}), model=model)
        if not req.is_agent_turn:
            return text_reply(self.side_text, model)
        messages = body.get("messages") or []
        index, prompt = latest_prompt(messages)
        script = self.script_for(prompt)
        if script is None:
            with self._lock:
                self.unscripted.append(prompt[-200:])
            return text_reply("No script for this prompt.", model)
        step = tool_calls_since(messages, index)
        if step < len(script.steps):
            call = script.steps[step]
            return tool_reply(call.name, call.input, text=f"Step {step + 1}: {call.name}.", model=model)
        if script.hold is not None and not self._wait(script.hold):
            with self._lock:
                self.hold_timeouts += 1
        return text_reply(script.final, model)

    def _wait(self, condition: Callable[[], bool]) -> bool:
        deadline = time.monotonic() + HOLD_SECONDS
        while not condition():
            if time.monotonic() > deadline or self._stop.wait(0.05):
                return False
        return True

    def answer(self, req: Request) -> tuple[int, str, bytes]:
        if req.path == "/v1/messages" and req.method == "POST":
            if self.api_key not in (req.headers.get("x-api-key"),
                                    (req.headers.get("authorization") or "").removeprefix("Bearer ")):
                return _error(401, "authentication_error", "invalid x-api-key")
            message = self.reply_for(req)
            if isinstance(req.body, dict) and req.body.get("stream"):
                return 200, "text/event-stream", stream_events(message).encode()
            return 200, "application/json", json.dumps(message).encode()
        if req.path == "/v1/messages/count_tokens" and req.method == "POST":
            return 200, "application/json", json.dumps({"input_tokens": max(1, len(req.text) // 4)}).encode()
        if req.path == "/api/hello":  # the CLI's connectivity check (HEAD) unless non-essential traffic is off
            return 200, "application/json", b"{}"
        with self._lock:
            self.unknown.append(f"{req.method} {req.path}")
        if req.method in ("GET", "HEAD"):
            return 200, "application/json", b"{}"
        return _error(404, "not_found_error", f"no route {req.method} {req.path}")

    # -- what was received -------------------------------------------------------------------------

    def agent_requests(self, marker: str | None = None) -> list[Request]:
        with self._lock:
            reqs = [r for r in self.requests if r.is_agent_turn]
        if marker is None:
            return reqs
        return [r for r in reqs if (s := self.script_for(latest_prompt(r.body.get("messages") or [])[1]))
                and s.marker == marker]

    def requests_with_tool(self, name: str) -> list[Request]:
        with self._lock:
            return [r for r in self.requests if name in r.tool_names]


def _error(status: int, kind: str, text: str) -> tuple[int, str, bytes]:
    return status, "application/json", json.dumps({"type": "error", "error": {"type": kind, "message": text}}).encode()
