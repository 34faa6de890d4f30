"""A scripted model behind a local stand-in for the Gemini API (standard library only).

The real Gemini CLI talks to it through ``GOOGLE_GEMINI_BASE_URL`` with
``GEMINI_API_KEY`` (sent as ``x-goog-api-key``); the server listens on
127.0.0.1 on a free port and answers:

- ``POST /v1beta/models/<model>:streamGenerateContent`` (``?alt=sse``): server-sent events, each
  ``data: <GenerateContentResponse>``, the text in two chunks (as the API streams it) or one
  ``functionCall`` part, the last chunk with ``finishReason: STOP`` and ``usageMetadata``;
- ``POST /v1beta/models/<model>:generateContent``: the same response as one JSON document (the CLI's side
  requests: routing, the next-speaker check, a JSON answer when ``generationConfig.responseJsonSchema`` asks);
- ``POST /v1beta/models/<model>:countTokens``: a rough count;
- anything else: logged in ``unknown`` and answered 404 in the API's error shape.

Scripts are chosen by content, never by request count, as in :mod:`fakes.scripted_model`: the marker in the
latest user text of ``contents`` (``<hook_context>`` blocks left out: context a hook injected is not the
prompt); the step is the number of ``functionCall`` parts the model made after that text. A request that
offers the agent's tools (``tools[].functionDeclarations``) is an agent turn; the others get ``side_text``.
Every request is recorded so a test can read what the model was shown.
"""

from __future__ import annotations

import json
from typing import Any

from fakes.responses_api import ScriptedResponses
from fakes.scripted_model import Request as MessagesRequest
from fakes.scripted_model import Script, ToolCall, tool  # noqa: F401  # the same script vocabulary

MODEL = "gemini-2.5-pro"


def _without_hook_context(text: str) -> str:
    out, rest = [], text
    while "<hook_context>" in rest:
        head, _, tail = rest.partition("<hook_context>")
        out.append(head)
        rest = tail.partition("</hook_context>")[2]
    return "".join(out) + rest


class Request(MessagesRequest):
    """A request to the stand-in, read as the Gemini API shapes it."""

    @property
    def tool_names(self) -> list[str]:
        if not isinstance(self.body, dict):
            return []
        return [d.get("name", "") for t in self.body.get("tools") or [] if isinstance(t, dict)
                for d in t.get("functionDeclarations") or [] if isinstance(d, dict)]

    @property
    def is_agent_turn(self) -> bool:
        return self.path.endswith(":streamGenerateContent") and bool(self.tool_names)

    @property
    def contents(self) -> list[dict]:
        items = self.body.get("contents") if isinstance(self.body, dict) else None
        return [c for c in items or [] if isinstance(c, dict)]

    def texts(self, role: str = "user") -> list[str]:
        """The text parts of the contents of ``role`` (user, model), in order."""
        return [p["text"] for c in self.contents if c.get("role") == role
                for p in c.get("parts") or [] if isinstance(p, dict) and isinstance(p.get("text"), str)]


def latest_prompt(contents: list[dict]) -> tuple[int, str]:
    """(index, text) of the last user content that has text (not only function responses)."""
    for i in range(len(contents) - 1, -1, -1):
        c = contents[i]
        texts = [p["text"] for p in c.get("parts") or [] if isinstance(p, dict) and isinstance(p.get("text"), str)]
        if c.get("role") == "user" and texts:
            return i, _without_hook_context("\n".join(texts))
    return -1, ""


def function_calls_since(contents: list[dict], index: int) -> int:
    return sum(1 for c in contents[index + 1:] if c.get("role") == "model"
               for p in c.get("parts") or [] if isinstance(p, dict) and "functionCall" in p)


def response(parts: list[dict], model: str, input_tokens: int, finish: str | None = "STOP") -> dict:
    candidate: dict[str, Any] = {"content": {"role": "model", "parts": parts}, "index": 0}
    if finish:
        candidate["finishReason"] = finish
    return {"candidates": [candidate], "modelVersion": model,
            "usageMetadata": {"promptTokenCount": input_tokens, "candidatesTokenCount": 20,
                              "totalTokenCount": input_tokens + 20}}


def stream(parts: list[dict], model: str, input_tokens: int) -> str:
    """The events the API streams: a text in two chunks (the last one finishing), other parts in one."""
    if len(parts) == 1 and "text" in parts[0]:
        text = parts[0]["text"]
        chunks = [response([{"text": text[:len(text) // 2]}], model, input_tokens, None),
                  response([{"text": text[len(text) // 2:]}], model, input_tokens)]
    else:
        chunks = [response(parts, model, input_tokens)]
    return "".join(f"data: {json.dumps(c)}\r\n\r\n" for c in chunks)


class ScriptedGemini(ScriptedResponses):
    """``with ScriptedGemini() as model: model.add(Script(...)); GOOGLE_GEMINI_BASE_URL=model.url``: the Responses
    stand-in's scripts, preambles and records, answering as the Gemini API."""

    REQUEST = Request
    NAME = "scripted-gemini"

    def reply_for(self, req: Request) -> list[dict]:  # type: ignore[override]
        if not req.is_agent_turn:
            return [{"text": self._side_answer(req)}]
        contents = req.contents
        index, prompt = latest_prompt(contents)
        script = self.script_for(prompt)
        if script is None:
            with self._lock:
                self.unscripted.append(prompt[-200:])
            return [{"text": "No script for this prompt."}]
        step = function_calls_since(contents, index)
        if step < len(script.steps):
            call = script.steps[step]
            said = self.preambles.get(script.marker) if step == 0 else None
            return [{"text": said}] * bool(said) + [{"functionCall": {"name": call.name, "args": call.input}}]
        return [{"text": script.final}]

    def _side_answer(self, req: Request) -> str:
        """A side request's answer: JSON where a schema asks for it (the CLI parses those), else the side text."""
        config = req.body.get("generationConfig") if isinstance(req.body, dict) else None
        schema = (config or {}).get("responseJsonSchema") or (config or {}).get("responseSchema")
        if not isinstance(schema, dict):
            return self.side_text
        props = schema.get("properties") or {}
        answer: dict[str, Any] = {}
        for name, spec in props.items():
            kind = spec.get("type") if isinstance(spec, dict) else None
            enum = spec.get("enum") if isinstance(spec, dict) else None
            answer[name] = enum[0] if enum else {"string": "", "boolean": False, "number": 1, "integer": 1,
                                                  "array": [], "object": {}}.get(str(kind).lower(), "")
        if "next_speaker" in answer:
            answer["next_speaker"] = "user"  # the turn is over: never ask the model to go on by itself
        return json.dumps(answer)

    def answer(self, req: Request) -> tuple[int, str, bytes]:  # type: ignore[override]
        model = req.path.rpartition("/")[2].partition(":")[0] or MODEL
        if req.method == "POST" and req.path.startswith("/v1beta/models/"):
            if req.headers.get("x-goog-api-key") != self.api_key:
                return _error(400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.")
            if req.path.endswith(":countTokens"):
                return 200, "application/json", json.dumps({"totalTokens": max(1, len(req.text) // 4)}).encode()
            if req.path.endswith(":streamGenerateContent"):
                return 200, "text/event-stream", stream(self.reply_for(req), model,
                                                        max(1, len(req.text) // 4)).encode()
            if req.path.endswith(":generateContent"):
                return 200, "application/json", json.dumps(response(self.reply_for(req), model,
                                                                    max(1, len(req.text) // 4))).encode()
        with self._lock:
            self.unknown.append(f"{req.method} {req.path}")
        return _error(404, "NOT_FOUND", f"no route {req.method} {req.path}")

    def agent_requests(self, marker: str | None = None) -> list[Request]:  # type: ignore[override]
        with self._lock:
            reqs = [r for r in self.requests if r.is_agent_turn]
        if marker is None:
            return reqs
        return [r for r in reqs if (s := self.script_for(latest_prompt(r.contents)[1])) and s.marker == marker]


def _error(status: int, code: str, text: str) -> tuple[int, str, bytes]:
    return status, "application/json", json.dumps({"error": {"code": status, "message": text,
                                                             "status": code}}).encode()
