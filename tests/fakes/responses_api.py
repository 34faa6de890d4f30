"""A scripted model behind a local stand-in for the OpenAI Responses API (standard library only).

The real Codex CLI talks to it through a custom model provider whose
``base_url`` is ``<url>/v1`` (``wire_api = "responses"``, see
:meth:`ScriptedResponses.provider_config`); the server listens on 127.0.0.1 on
a free port and answers:

- ``POST /v1/responses``: always streamed as server-sent events, each
  ``event: <type>`` + ``data: <json>``: ``response.created``, per output item
  ``response.output_item.added`` / (``response.output_text.delta``) /
  ``response.output_item.done`` (an assistant ``message``, a ``function_call``
  with ``call_id``, ``name`` and JSON ``arguments``, or, for a tool the request
  offers as a freeform ``custom`` tool such as ``apply_patch``, a
  ``custom_tool_call`` with ``call_id``, ``name`` and the raw text ``input``),
  then ``response.completed`` with the usage. The shapes are the ones Codex's own
  test support builds (codex-rs core_test_support::responses) and were checked
  against codex 0.171.0 and Copilot CLI 1.0.102.
- ``GET /v1/models``: an empty model list (Codex asks for it with an API key);
- anything else: logged in ``unknown`` and answered 404, so a test can see what
  a new Codex version started asking for.

Scripts are chosen by content, never by request count, as in
:mod:`fakes.scripted_model`: the marker in the latest user message of the
request's ``input``; the step is the number of tool calls (``function_call``,
``custom_tool_call``) after that message. A freeform call is scripted as
``patch(text)`` (or ``tool(name, input=text)``): its text is sent as is.
Every request is recorded so a test can read what the model was shown
(``instructions``, ``input``: developer and user messages, tool outputs).
"""

from __future__ import annotations

import itertools
import json
import threading
from typing import Any

from fakes.loopback import LoopbackServer
from fakes.scripted_model import Request as MessagesRequest
from fakes.scripted_model import Script, ToolCall, tool  # noqa: F401  # the same script vocabulary

_ids = itertools.count(1)


class Request(MessagesRequest):
    """A request to the stand-in: the Messages stand-in's record (method, path, headers, body, text, tool_names),
    read as the Responses API shapes it."""

    @property
    def input(self) -> list[dict]:
        items = self.body.get("input") if isinstance(self.body, dict) else None
        return [i for i in items or [] if isinstance(i, dict)]

    @property
    def is_agent_turn(self) -> bool:
        return self.path == "/v1/responses" and bool(self.tool_names)

    @property
    def custom_tools(self) -> dict[str, dict]:
        """The freeform tools the request offers (``{"type": "custom", "name", "format"}``), by name."""
        tools = self.body.get("tools") if isinstance(self.body, dict) else None
        return {t["name"]: t for t in tools or [] if isinstance(t, dict) and t.get("type") == "custom"
                and isinstance(t.get("name"), str)}

    def messages(self, role: str) -> list[str]:
        """The texts of the input messages of ``role`` (user, developer, assistant), in order."""
        return [_text(i.get("content")) for i in self.input if i.get("type") == "message" and i.get("role") == role]


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    return "\n".join(c.get("text", "") for c in content or [] if isinstance(c, dict))


def latest_prompt(items: list[dict]) -> tuple[int, str]:
    """(index, text) of the last user message in a Responses ``input``."""
    for i in range(len(items) - 1, -1, -1):
        if items[i].get("type") == "message" and items[i].get("role") == "user":
            return i, _text(items[i].get("content"))
    return -1, ""


def sse(events: list[dict]) -> str:
    return "".join(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n" for e in events)


def stream(items: list[dict], response_id: str, model: str, input_tokens: int) -> str:
    """The events the API streams for a response whose output is ``items``."""
    head = {"id": response_id, "object": "response", "model": model, "status": "in_progress", "output": []}
    events: list[dict] = [{"type": "response.created", "response": head}]
    for index, item in enumerate(items):
        events.append({"type": "response.output_item.added", "output_index": index,
                       "item": dict(item, content=[]) if item["type"] == "message" else item})
        if item["type"] == "message":
            text = item["content"][0]["text"]
            for piece in (text[:len(text) // 2], text[len(text) // 2:]):
                events.append({"type": "response.output_text.delta", "item_id": item["id"], "output_index": index,
                               "content_index": 0, "delta": piece})
        events.append({"type": "response.output_item.done", "output_index": index, "item": item})
    usage = {"input_tokens": input_tokens, "input_tokens_details": {"cached_tokens": 0}, "output_tokens": 20,
             "output_tokens_details": {"reasoning_tokens": 0}, "total_tokens": input_tokens + 20}
    events.append({"type": "response.completed",
                   "response": dict(head, status="completed", output=items, usage=usage)})
    return sse(events)


def message_item(text: str) -> dict:
    return {"type": "message", "role": "assistant", "id": f"msg_scripted_{next(_ids)}", "status": "completed",
            "content": [{"type": "output_text", "text": text, "annotations": []}]}


def call_item(name: str, arguments: dict) -> dict:
    n = next(_ids)
    return {"type": "function_call", "id": f"fc_scripted_{n}", "call_id": f"call_scripted_{n:06d}",
            "name": name, "arguments": json.dumps(arguments), "status": "completed"}


def custom_call_item(name: str, text: str) -> dict:
    """A call of a freeform tool: its ``input`` is the raw text the tool's grammar describes, not JSON."""
    n = next(_ids)
    return {"type": "custom_tool_call", "id": f"ctc_scripted_{n}", "call_id": f"call_scripted_{n:06d}",
            "name": name, "input": text, "status": "completed"}


def patch(text: str) -> ToolCall:
    """A script step that calls ``apply_patch`` with ``text`` (``*** Begin Patch`` ... ``*** End Patch``)."""
    return ToolCall("apply_patch", {"input": text})


CALLS = ("function_call", "custom_tool_call")


class ScriptedResponses(LoopbackServer):
    """``with ScriptedResponses() as model: model.add(Script(...)); codex -c model_provider=...``."""

    REQUEST: type[MessagesRequest] = Request   # how a received request is read (a subclass reads another API)
    NAME = "scripted-responses"

    def __init__(self, api_key: str = "test-key", side_text: str = "E2E session") -> None:
        self.api_key = api_key
        self.side_text = side_text
        self.scripts: list[Script] = []
        self.requests: list[Request] = []
        self.unknown: list[str] = []
        self.unscripted: list[str] = []
        self.preambles: dict[str, str] = {}   # script marker -> what the model says before its first tool call
        self._lock = threading.Lock()
        super().__init__()
        self._serve_scripted(self.NAME, self.REQUEST, "x-request-id")

    def provider_config(self, name: str = "standin") -> list[str]:
        """``-c`` overrides that point Codex at this stand-in, the key read from ``CODEX_STANDIN_KEY``."""
        return ["-c", f'model_provider="{name}"', "-c", 'model="gpt-standin"',
                "-c", f'model_providers.{name}={{name="stand-in", base_url="{self.url}/v1", '
                      f'env_key="CODEX_STANDIN_KEY", wire_api="responses", request_max_retries=0, '
                      f'stream_max_retries=0}}']

    # -- scripting ---------------------------------------------------------------------------------

    def add(self, script: Script) -> Script:
        with self._lock:
            self.scripts.append(script)
        return script

    def script_for(self, prompt: str) -> Script | None:
        with self._lock:
            found = [(prompt.rfind(s.marker), s) for s in self.scripts if s.marker in prompt]
        return max(found, key=lambda f: f[0])[1] if found else None

    def reply_for(self, req: Request) -> list[dict]:
        if not req.is_agent_turn:
            return [message_item(self.side_text)]
        items = req.input
        index, prompt = latest_prompt(items)
        script = self.script_for(prompt)
        if script is None:
            with self._lock:
                self.unscripted.append(prompt[-200:])
            return [message_item("No script for this prompt.")]
        step = sum(1 for i in items[index + 1:] if i.get("type") in CALLS)
        if step < len(script.steps):
            call = script.steps[step]
            said = self.preambles.get(script.marker) if step == 0 else None
            item = (custom_call_item(call.name, str(call.input.get("input", ""))) if call.name in req.custom_tools
                    else call_item(call.name, call.input))
            return [message_item(said)] * bool(said) + [item]
        return [message_item(script.final)]

    def answer(self, req: Request) -> tuple[int, str, bytes]:
        if req.path == "/v1/responses" and req.method == "POST":
            if (req.headers.get("authorization") or "") != f"Bearer {self.api_key}":
                return _error(401, "invalid_api_key", "Incorrect API key provided")
            body = req.body if isinstance(req.body, dict) else {}
            items = self.reply_for(req)
            data = stream(items, f"resp_scripted_{next(_ids)}", body.get("model") or "gpt-standin",
                          max(1, len(req.text) // 4))
            return 200, "text/event-stream", data.encode()
        if req.path == "/v1/models" and req.method == "GET":
            return 200, "application/json", json.dumps({"object": "list", "data": [], "models": []}).encode()
        with self._lock:
            self.unknown.append(f"{req.method} {req.path}")
        return _error(404, "not_found", f"no route {req.method} {req.path}")

    # -- what was received -------------------------------------------------------------------------

    def agent_requests(self, marker: str | None = None) -> list[Request]:
        with self._lock:
            reqs = [r for r in self.requests if r.is_agent_turn]
        if marker is None:
            return reqs
        return [r for r in reqs if (s := self.script_for(latest_prompt(r.input)[1])) and s.marker == marker]


def _error(status: int, code: str, text: str) -> tuple[int, str, bytes]:
    return status, "application/json", json.dumps({"error": {"message": text, "type": code, "code": code}}).encode()
