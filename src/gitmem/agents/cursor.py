"""What gitmem knows about Cursor: its hook file, its events, and its payloads read as gitmem's events.

From Cursor's documentation only (tests/data/cursor/README.md); Cursor is not on
npm and no client runs here, so none of this is tested against the real client.

- Hooks live in ``<repo>/.cursor/hooks.json``: ``{"version": 1, "hooks": {<event>:
  [{"command", "timeout"?, "matcher"?}]}}``; the handlers sit in the event's list
  directly (no matcher groups as in Claude Code's settings).
- Every payload carries ``conversation_id`` (the session), ``generation_id`` (the
  turn), ``hook_event_name``, ``workspace_roots``, ``transcript_path``, ``model`` and
  ``cursor_version``; the events gitmem hooks add ``prompt`` (beforeSubmitPrompt),
  ``tool_name``/``tool_input``/``tool_output`` (postToolUse), ``file_path``/``edits``
  (afterFileEdit), ``command``/``output``/``duration`` (afterShellExecution),
  ``status``/``loop_count`` (stop), ``reason`` (sessionEnd).
- sessionStart's ``additional_context`` is documented but races the first prompt
  and is dropped in the IDE: the hook prints nothing for Cursor (``_hook.py <Event>
  cursor``) and the brief goes into the rules file ``.cursor/rules/gitmem.mdc``.
- ``as_gitmem_event`` turns one spooled Cursor event into the Claude-shaped event
  the compaction reads: the shell and file edits arrive through afterShellExecution
  and afterFileEdit, so postToolUse keeps the other tools only (each call once);
  an unknown tool is still recorded under its own name. afterShellExecution does
  not say the exit status; postToolUse's Shell call does (``tool_output``'s
  ``exitCode``), so a shell command takes it from the Shell call of the same
  turn and command (``shell_exit_codes``), else its outcome stays unsaid.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable

from gitmem.agents import hooks_file
from gitmem.capture.compaction import SpoolEvent

AGENT = "cursor"               # what a session's ``agent`` says, and the hook command's agent argument
HOOKS_FILE = ".cursor/hooks.json"
RULES_FILE = ".cursor/rules/gitmem.mdc"
# The rules file's front matter: Cursor attaches an ``alwaysApply`` rule to every chat.
RULES_HEADER = ("---\ndescription: What gitmem remembers of this repository (sessions, decisions); rewritten by "
                "gitmem\nalwaysApply: true\n---\n")
# Cursor's event -> the gitmem event the hook records it as.
CURSOR_EVENTS = {"sessionStart": "SessionStart", "beforeSubmitPrompt": "UserPromptSubmit",
                 "postToolUse": "PostToolUse", "afterFileEdit": "PostToolUse",
                 "afterShellExecution": "PostToolUse", "stop": "Stop", "sessionEnd": "SessionEnd"}
TIMEOUT_SECONDS = 10
# Tools whose calls arrive through afterShellExecution / afterFileEdit: not recorded a second time from postToolUse.
SHELL_TOOLS = frozenset({"Shell", "Bash", "Terminal", "run_terminal_cmd"})
EDIT_TOOLS = frozenset({"Write", "Edit", "MultiEdit", "StrReplace", "search_replace", "edit_file"})
# Cursor's other tool names -> the Claude Code names gitmem's compaction reads (capture/claude_tools.py).
TOOL_NAMES = {"read_file": "Read", "ReadFile": "Read", "grep": "Grep", "grep_search": "Grep", "Glob": "Glob",
              "glob_file_search": "Glob", "codebase_search": "Grep", "web_search": "WebSearch", "Task": "Task"}


def found_here(root: Path) -> str:
    """Why ``gitmem init`` sets Cursor up in ``root``: the repository has ``.cursor/``, or ``cursor-agent`` is on
    PATH; '' when neither."""
    return hooks_file.found_here(root, ".cursor", "cursor-agent")


def hooks_path(root: Path) -> Path:
    return Path(root).absolute() / HOOKS_FILE


def hooks_config(commands: Callable[[str], str]) -> dict[str, dict[str, Any]]:
    """The handler gitmem wants for each Cursor event in .cursor/hooks.json (every tool: no matcher)."""
    return {event: {"command": commands(gitmem_event), "timeout": TIMEOUT_SECONDS}
            for event, gitmem_event in CURSOR_EVENTS.items()}


# -- payloads -> gitmem's events --------------------------------------------------------


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _common(p: dict[str, Any], event: str) -> dict[str, Any]:
    """The fields every Claude-shaped payload carries, from Cursor's."""
    roots = p.get("workspace_roots")
    cwd = _text(p.get("cwd")) or next((r for r in (roots if isinstance(roots, list) else []) if isinstance(r, str)),
                                      "")
    out: dict[str, Any] = {"hook_event_name": event,
                           "session_id": _text(p.get("conversation_id")) or _text(p.get("session_id"))}
    for key, value in (("cwd", cwd), ("transcript_path", _text(p.get("transcript_path"))),
                       ("model", _text(p.get("model")))):
        if value:
            out[key] = value
    return out


def _edit_call(p: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """afterFileEdit's ``file_path`` and ``edits`` as an Edit, MultiEdit or (a file written whole) Write call."""
    path = _text(p.get("file_path"))
    edits = [e for e in p.get("edits", []) if isinstance(e, dict)] if isinstance(p.get("edits"), list) else []
    if len(edits) == 1 and not _text(edits[0].get("old_string")):
        return "Write", {"file_path": path, "content": _text(edits[0].get("new_string"))}
    if len(edits) == 1:
        return "Edit", {"file_path": path, "old_string": _text(edits[0].get("old_string")),
                        "new_string": _text(edits[0].get("new_string"))}
    return "MultiEdit", {"file_path": path, "edits": [{"old_string": _text(e.get("old_string")),
                                                       "new_string": _text(e.get("new_string"))} for e in edits]}


def _tool_name(name: str) -> str:
    if name.startswith("MCP:"):
        return "mcp__" + name[4:].replace(":", "__")
    return TOOL_NAMES.get(name, name)


def _exit_code(output: Any) -> int | None:
    """postToolUse Shell's ``tool_output`` (a JSON text or an object) -> its ``exitCode``, or None."""
    if isinstance(output, str):
        try:
            output = json.loads(output)
        except (ValueError, RecursionError):
            return None
    code = output.get("exitCode") if isinstance(output, dict) else None
    return code if isinstance(code, int) and not isinstance(code, bool) else None


def shell_exit_codes(events: list[SpoolEvent]) -> dict[tuple[str, str], int]:
    """(generation_id, command) -> exit code, from the postToolUse Shell calls of Cursor's events."""
    out: dict[tuple[str, str], int] = {}
    for ev in events:
        p = ev.payload
        if ev.agent != AGENT or p.get("hook_event_name") != "postToolUse" or p.get("tool_name") not in SHELL_TOOLS:
            continue
        inp = p.get("tool_input")
        code = _exit_code(p.get("tool_output"))
        if code is not None and isinstance(inp, dict):
            out[(_text(p.get("generation_id")), _text(inp.get("command")))] = code
    return out


def as_gitmem_event(ev: SpoolEvent, exit_codes: dict[tuple[str, str], int] | None = None) -> SpoolEvent | None:
    """The Claude-shaped event of one spooled Cursor event, or None when gitmem keeps nothing of it; ``exit_codes``
    (``shell_exit_codes``) give a shell command its exit status."""
    p = ev.payload
    name = _text(p.get("hook_event_name"))
    if name not in CURSOR_EVENTS:
        return None
    out = _common(p, CURSOR_EVENTS[name])
    if name == "sessionStart":
        out["source"] = "startup"
    elif name == "beforeSubmitPrompt":
        out["prompt"] = _text(p.get("prompt"))
    elif name == "afterFileEdit":
        out["tool_name"], out["tool_input"] = _edit_call(p)
        out["tool_response"] = {}
    elif name == "afterShellExecution":
        # Cursor says the output, not the exit status: a string response leaves the outcome unsaid, unless the
        # Shell call of the same turn and command said it
        command, output = _text(p.get("command")), _text(p.get("output"))
        code = (exit_codes or {}).get((_text(p.get("generation_id")), command))
        out.update(tool_name="Bash", tool_input={"command": command},
                   tool_response=output if code is None else {"exit_code": code, "stdout": output})
    elif name == "postToolUse":
        tool = _text(p.get("tool_name"))
        if not tool or tool in SHELL_TOOLS or tool in EDIT_TOOLS:
            return None
        inp = p.get("tool_input")
        out.update(tool_name=_tool_name(tool), tool_input=inp if isinstance(inp, dict) else {},
                   tool_response={})
        if _text(p.get("tool_use_id")):
            out["tool_use_id"] = p["tool_use_id"]
    elif name == "stop":
        out["stop_reason"] = _text(p.get("status"))
    elif name == "sessionEnd":
        out["reason"] = _text(p.get("reason"))
    return replace(ev, event=out["hook_event_name"], payload=out)


def is_cursor_event(ev: SpoolEvent) -> bool:
    """An event Cursor's hook command spooled (``_hook.py <Event> cursor``)."""
    return ev.agent == AGENT


def as_gitmem_events(events: list[SpoolEvent]) -> list[SpoolEvent]:
    """A session's events with Cursor's read as gitmem's (the others unchanged)."""
    out = []
    codes = shell_exit_codes(events)
    for ev in events:
        if not is_cursor_event(ev):
            out.append(ev)
            continue
        read = as_gitmem_event(ev, codes)
        if read is not None:
            out.append(read)
    return out
