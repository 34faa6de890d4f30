"""Gemini CLI hook payloads read as the Claude Code events gitmem compacts: names, prompts, replies and tools.

The hook spools Gemini's payloads as they come (tests/data/gemini-cli/hooks/); at flush each one is
turned into the Claude Code shape ``capture.compaction`` reads, so one compaction serves every agent:

- ``BeforeAgent`` -> ``UserPromptSubmit``; its ``prompt`` without the ``<hook_context>`` block the CLI
  put in front of it (gitmem's own brief, escaped: ``recall.own_words``), so the brief is never recorded
  as something the person said.
- ``AfterAgent`` -> ``Stop``. Its ``prompt_response`` is not the reply as the model wrote it: the CLI
  joins the streamed chunks of a turn's replies with spaces (and, against the stand-in, repeated the last
  chunk). So the reply is the transcript's (``gemini_transcript``): its latest reply up to the event's
  ``timestamp``, when ``prompt_response`` holds that reply's text (compared without white space); else
  ``prompt_response`` as it is.
- ``AfterTool`` -> ``PostToolUse`` (``PostToolUseFailure`` when the tool reported an error), the tool
  named as Claude Code names it where one matches (``read_file`` -> Read, ``write_file`` -> Write,
  ``replace`` -> Edit, ``run_shell_command`` -> Bash, ...) with its input and response in Claude
  Code's fields; any other tool keeps its own name and is recorded as a tool call.
- ``SessionStart`` and ``SessionEnd`` are already Claude Code's. Gemini's other events (``BeforeTool``,
  ``PreCompress``, the model events) are not gitmem's (``gemini.py`` says why) and are left out should a
  person hook them to gitmem: a BeforeTool has no call id to pair it with its AfterTool, and PreCompress
  fires before every model request.

A shell call's exit status is in its ``llmContent`` text (``Exit Code: N``, written only when it is not 0;
``Signal:``, a cancellation or a move to the background said in words). Pure: no I/O; never raises on
odd payloads (a field of the wrong type counts as absent).
"""

from __future__ import annotations

import re
from typing import Any, Iterable, Sequence

from gitmem.agents import gemini
from gitmem.capture.compaction import SpoolEvent
from gitmem.capture.payload_fields import as_dict, as_int, as_str
from gitmem.capture.transcript import Turn
from gitmem.recall import own_words

# Gemini's own events: a session that has any of them ran in the Gemini CLI.
OWN_EVENTS = frozenset({"BeforeAgent", "AfterAgent", "AfterTool", "BeforeTool", "PreCompress", "BeforeModel",
                        "AfterModel", "BeforeToolSelection"})
TOOLS = {"read_file": "Read", "write_file": "Write", "replace": "Edit", "run_shell_command": "Bash",
         "glob": "Glob", "grep_search": "Grep", "search_file_content": "Grep", "web_fetch": "WebFetch",
         "google_web_search": "WebSearch", "write_todos": "TodoWrite"}
_EXIT = re.compile(r"^Exit Code: (-?\d{1,6})\s*$", re.MULTILINE)
_SIGNAL = re.compile(r"^Signal: (\S{1,40})\s*$", re.MULTILINE)
_OUTPUT = re.compile(r"^Output: (.*?)(?=^(?:Error|Exit Code|Signal|Background PIDs|Process Group PGID): |\Z)",
                     re.MULTILINE | re.DOTALL)
MAX_PATCH_LINES = 5000


def is_gemini_session(events: Iterable[SpoolEvent]) -> bool:
    """Whether these spooled events came from the Gemini CLI (its event names, or its transcript)."""
    return any(ev.payload.get("hook_event_name") in OWN_EVENTS
               or gemini.is_gemini_transcript(as_str(ev.payload.get("transcript_path"))) for ev in events)


def as_claude_events(events: Sequence[SpoolEvent], turns: Sequence[Turn] = ()) -> list[SpoolEvent]:
    """``events`` with every Gemini payload in Claude Code's shape; other agents' events unchanged. ``turns``:
    the session's transcript, where a reply is read as the model wrote it."""
    out = [_event(ev, turns) if ev.payload.get("hook_event_name") in OWN_EVENTS else ev for ev in events]
    return [ev for ev in out if ev is not None]


def _squeezed(text: str) -> str:
    return "".join(text.split())


def written_reply(said: str, at: str, turns: Sequence[Turn]) -> str:
    """The reply an AfterAgent at time ``at`` reports as ``said``, as the transcript has it; '' when none fits."""
    latest = None
    for turn in turns:
        if turn.ts and at and turn.ts <= at:
            latest = turn if turn.role == "assistant" else None
    if latest is None or not _squeezed(latest.text) or _squeezed(latest.text) not in _squeezed(said):
        return ""
    return latest.text


def _event(ev: SpoolEvent, turns: Sequence[Turn]) -> SpoolEvent | None:
    p = ev.payload
    name = p.get("hook_event_name")
    if name == "BeforeAgent":
        out = dict(p, hook_event_name="UserPromptSubmit", prompt=own_words(as_str(p.get("prompt"))))
    elif name == "AfterAgent":
        out = {k: v for k, v in p.items() if k != "prompt"}
        said = as_str(p.get("prompt_response"))
        out.update(hook_event_name="Stop",
                   last_assistant_message=written_reply(said, as_str(p.get("timestamp")), turns) or said)
    elif name == "AfterTool":
        out = _tool_event(p)
    else:
        return None
    return SpoolEvent(ev.ts, gemini.EVENTS[name], out, ev.head)


def _tool_event(p: dict) -> dict:
    tool = as_str(p.get("tool_name"))
    inp = as_dict(p.get("tool_input"))
    resp = as_dict(p.get("tool_response"))
    name = TOOLS.get(tool, tool)
    out = {k: v for k, v in p.items() if k not in ("tool_name", "tool_input", "tool_response")}
    out.update(hook_event_name="PostToolUse", tool_name=name, tool_input=tool_input(name, inp))
    error = as_dict(resp.get("error"))
    if as_str(error.get("message")):
        out.update(hook_event_name="PostToolUseFailure", error=error["message"])
        return out
    out["tool_response"] = tool_response(name, resp)
    return out


def tool_input(name: str, inp: dict) -> dict:
    """A Gemini tool's input in the fields of the Claude Code tool it maps to."""
    if name == "Edit":
        return dict(inp, replace_all=inp.get("allow_multiple") is True)
    if name == "Grep":
        return dict(inp, glob=inp.get("include")) if as_str(inp.get("include")) else inp
    if name == "WebFetch":
        return dict(inp, url=as_str(inp.get("url")) or as_str(inp.get("prompt")))
    if name == "TodoWrite":
        todos = inp.get("todos")
        return {"todos": [dict(t, content=t.get("description", t.get("content"))) for t in todos[:100]
                          if isinstance(t, dict)] if isinstance(todos, list) else []}
    return inp


def tool_response(name: str, resp: dict) -> dict:
    """A Gemini tool's response (``llmContent``, ``returnDisplay``) in the fields of the Claude Code tool."""
    text = as_str(resp.get("llmContent"))
    display = resp.get("returnDisplay")
    shown = as_dict(display)
    if name == "Bash":
        return shell_response(text, as_str(display))
    if name in ("Write", "Edit"):
        out: dict[str, Any] = {}
        if name == "Write":
            out["type"] = "create" if shown.get("isNewFile") is True else "update"
            out["originalFile"] = as_str(shown.get("originalContent"))
        stat = as_dict(shown.get("diffStat"))
        added = min(as_int(stat.get("model_added_lines")) or 0, MAX_PATCH_LINES)
        removed = min(as_int(stat.get("model_removed_lines")) or 0, MAX_PATCH_LINES)
        if added or removed:
            out["structuredPatch"] = [{"lines": ["+"] * added + ["-"] * removed}]
        return out
    return {}


def shell_response(text: str, display: str) -> dict:
    """A ``run_shell_command`` result as Claude Code's Bash response: output, exit code, interrupted."""
    head = text.removeprefix("<untrusted_context>\n")
    if head.startswith(("Command was automatically cancelled", "Command was cancelled")):
        return {"stdout": display, "interrupted": True}
    if head.startswith("Command moved to background"):
        pid = re.search(r"PID: (\d{1,10})", head)
        return {"stdout": "", "backgroundTaskId": f"pid {pid.group(1)}" if pid else "background"}
    found = _EXIT.search(head)
    output = _OUTPUT.search(head)
    out: dict[str, Any] = {"stdout": output.group(1).rstrip() if output else display,
                           "exit_code": int(found.group(1)) if found else 0}
    signal = _SIGNAL.search(head)
    if signal and signal.group(1) != "(none)":
        out["interrupted"] = True
    return out
