"""Spooled hook payloads -> compact observations and session facts.

Pure: no git, no writes. The hook appended one line per event,
``{"ts":<epoch>,"event":"<EventName>","payload":<raw payload>}``; the flush
worker parses each line with :func:`parse_spool_line` and hands the events of
one session to :func:`compact_events` and :func:`session_facts`.

Invariants:
- Nothing here raises on bad input: a line that is not a spool event parses
  to ``None``; a payload field of the wrong type is treated as absent.
- Every text an observation carries is bounded (``MAX_*``) and cleaned of
  control characters; raw tool output is never kept, only counts, an exit
  status and, on failure, a short tail of the error.
- ``event_id`` is stable for the same spool line (the tool_use_id, or a hash
  of the event), so a worker that runs twice keeps each event once. A
  PreToolUse kept as ``attempted`` gets ``<tool_use_id>:pre``, distinct from
  its PostToolUse, which may arrive in a later flush.
"""

from __future__ import annotations

import datetime
import hashlib
import itertools
import json
import logging
import math
import posixpath
import re
from collections import Counter, deque
from dataclasses import dataclass
from typing import Any, Iterable, Sequence

from gitmem.redact import is_sensitive_path, redact_text, redact_url_queries
from gitmem.store.records import Observation

logger = logging.getLogger(__name__)

MAX_TEXT = 300
MAX_DETAIL = 500
MAX_COMMAND = 500
MAX_EXCERPT = 200
MAX_PATH = 500
MAX_STOP_HEAD = 300    # a reply's opening and its conclusion, where decisions and next steps are stated
MAX_STOP_TAIL = 700
MAX_PROMPT = 2000      # prompts and the last message in SessionFacts (for the summarizer)
MAX_LIST = 200         # entries per SessionFacts tuple
MAX_TRANSCRIPT_LINE = 4 << 20

TOOL_EVENTS = ("PreToolUse", "PostToolUse", "PostToolUseFailure", "PermissionDenied")
_RESOLVING = ("PostToolUse", "PostToolUseFailure", "PermissionDenied")
_KIND = {"Read": "read", "NotebookRead": "read", "Edit": "edit", "MultiEdit": "edit", "NotebookEdit": "edit",
         "Write": "write", "Bash": "command", "Grep": "search", "Glob": "search", "WebFetch": "fetch",
         "WebSearch": "fetch", "Task": "task", "Agent": "task", "TodoWrite": "todo"}
_TODO_MARK = {"completed": "[x]", "in_progress": "[>]", "pending": "[ ]"}
_SAFE_ID = re.compile(r"[A-Za-z0-9_.-]{1,128}")
_HEAD = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[@-_]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_EXIT = re.compile(r"(?:exit|status)\s+code\s*:?\s*(-?\d{1,4})", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class SpoolEvent:
    """One hook invocation as the hook spooled it."""

    ts: float
    event: str
    payload: dict
    head: str = ""      # SessionStart only: the commit checked out as the session started (hook.read_head)


@dataclass(frozen=True, slots=True)
class SessionFacts:
    """What the events of one session say for certain, before any summarizer."""

    session_id: str = ""
    started_at: str = ""
    ended_at: str = ""
    cwd: str = ""
    transcript_path: str = ""
    model: str = ""
    prompts: tuple[str, ...] = ()
    files_read: tuple[str, ...] = ()
    files_modified: tuple[str, ...] = ()
    commands: tuple[str, ...] = ()
    failures: int = 0
    last_assistant_message: str = ""
    end_reason: str = ""
    sources: tuple[str, ...] = ()
    tool_counts: tuple[tuple[str, int], ...] = ()
    todos: tuple[tuple[str, str], ...] = ()   # (status, content) of the last TodoWrite
    head_start: str = ""                      # HEAD as the session started (its first SessionStart), or ''


# -- parsing ---------------------------------------------------------------------


def _event_name(raw: str) -> str:
    """``post-tool-use`` / ``post_tool_use`` / ``PostToolUse`` -> ``PostToolUse``."""
    if "-" in raw or "_" in raw or raw.islower():
        raw = "".join(p[:1].upper() + p[1:] for p in raw.replace("_", "-").split("-"))
    return raw


def parse_spool_line(line: bytes) -> SpoolEvent | None:
    """One spool line -> event, or ``None`` when it is not one (never raises)."""
    try:
        if isinstance(line, str):
            text = line
        elif isinstance(line, (bytes, bytearray, memoryview)):
            text = bytes(line).decode("utf-8", errors="replace")
        else:
            return None
        text = text.strip()
        if not text.startswith("{"):
            return None
        data = json.loads(text)
        if not isinstance(data, dict):
            return None
        ts, event, payload = data.get("ts"), data.get("event"), data.get("payload")
        if isinstance(ts, bool) or not isinstance(ts, (int, float)) or not math.isfinite(ts):
            return None
        if not 0 <= ts < 253402300800:  # year 10000: datetime's limit
            return None
        if not isinstance(event, str) or not 0 < len(event) <= 64:
            return None
        event = _event_name(event)
        if not event.isascii() or not event.isalnum():
            return None
        if isinstance(payload, str):  # a payload spooled as a JSON string
            payload = json.loads(payload)
        if not isinstance(payload, dict):
            return None
        head = data.get("head")
        head = head if isinstance(head, str) and _HEAD.fullmatch(head) else ""
        return SpoolEvent(float(ts), event, payload, head)
    except (ValueError, TypeError, RecursionError):
        return None


# -- small helpers -----------------------------------------------------------------


def iso(ts: float) -> str:
    """Epoch seconds -> ``2026-11-24T00:04:46.582Z``."""
    try:
        dt = datetime.datetime.fromtimestamp(ts, tz=datetime.timezone.utc)
    except (OverflowError, OSError, ValueError):
        dt = datetime.datetime.fromtimestamp(0, tz=datetime.timezone.utc)
    return dt.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _clean(text: str, oneline: bool) -> str:
    text = _ANSI.sub("", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n").replace("\u2029", "\n")
    text = _CONTROL.sub("", text)
    if any("\ud800" <= c <= "\udfff" for c in text):
        text = text.encode("utf-8", "replace").decode("utf-8")
    if oneline:
        return " ".join(text.split())
    return "\n".join(line.rstrip() for line in text.split("\n")).strip()


def clip(value: Any, limit: int, *, tail: bool = False, oneline: bool = False) -> str:
    """A string field cleaned and bounded to ``limit`` characters ("…" marks a cut).

    Work is bounded too: only a window of about twice the limit is looked at.
    ``tail`` keeps the end (where a command prints its error).
    """
    if not isinstance(value, str) or limit <= 0:
        return ""
    window = limit * 2 + 64
    cut = len(value) > window
    # Redact the whole window before cutting, so a secret that straddles the cut is still recognised,
    # and before joining lines, so a `key: value` line of YAML or INI still starts a line.
    text = redact_text(_clean(value[-window:] if tail else value[:window], False)).text
    if oneline:
        text = " ".join(text.split())
    if not cut and len(text) <= limit:
        return text
    keep = limit - 1
    if tail:
        return "…" + (text[len(text) - keep:].lstrip() if keep else "")
    return text[:keep].rstrip() + "…"


def _ends(value: Any) -> str:
    """A long reply bounded to its head and its tail (``clip`` keeps only the head)."""
    whole = clip(value, MAX_STOP_HEAD + MAX_STOP_TAIL)
    if not whole.endswith("…"):
        return whole
    return clip(value, MAX_STOP_HEAD) + " " + clip(value, MAX_STOP_TAIL, tail=True)


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _plural(n: int, word: str, many: str = "") -> str:
    return f"{n:,} {word}" if n == 1 else f"{n:,} {many or word + 's'}"


def _stable_hash(data: Any) -> str:
    raw = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=repr)
    return hashlib.sha256(raw.encode("ascii")).hexdigest()[:16]


def _tool_use_id(payload: dict) -> str:
    value = payload.get("tool_use_id")
    if not isinstance(value, str) or not value:
        return ""
    return value if _SAFE_ID.fullmatch(value) else "t-" + _stable_hash(value)


def event_id(ev: SpoolEvent) -> str:
    """A stable id of the source event, for de-duplication across worker runs."""
    name = _name_of(ev)
    if name in TOOL_EVENTS:
        tid = _tool_use_id(ev.payload)
        if tid:
            return tid + ":pre" if name == "PreToolUse" else tid
    if name == "UserPromptSubmit":
        pid = ev.payload.get("prompt_id")
        if isinstance(pid, str) and _SAFE_ID.fullmatch(pid):
            return "p-" + pid
    return "e-" + _stable_hash({"ts": ev.ts, "event": name, "payload": ev.payload})


def _name_of(ev: SpoolEvent) -> str:
    name = ev.payload.get("hook_event_name")
    return name if isinstance(name, str) and name.isascii() and name.isalnum() else ev.event


def rel_path(path: Any, root: str | None, cwd: str = "") -> str:
    """A payload path made relative to ``root`` when inside it; otherwise absolute (or as given)."""
    if not isinstance(path, str) or not path or len(path) > 4096:
        return ""
    path = _clean(path, oneline=False).replace("\n", " ")
    if not path:
        return ""
    if not path.startswith("/") and cwd.startswith("/"):
        path = posixpath.join(cwd, path)
    path = posixpath.normpath(path)
    if root and root.startswith("/") and path.startswith("/"):
        base = posixpath.normpath(root)
        if path == base:
            path = "."
        elif path.startswith(base.rstrip("/") + "/"):
            path = path[len(base.rstrip("/")) + 1:]
    return clip(path, MAX_PATH, oneline=True)


def summarize_input(data: Any, limit: int = MAX_TEXT) -> str:
    """``key="value", n=3, items=[4 items]``: a bounded look at a tool input."""
    if not isinstance(data, dict):
        return clip(data, limit, oneline=True) if isinstance(data, str) else ""
    parts: list[str] = []
    used = 0
    for key, value in itertools.islice(data.items(), 20):
        if isinstance(value, str):
            shown = '"' + clip(value, 80, oneline=True) + '"'
        elif isinstance(value, bool) or value is None or isinstance(value, (int, float)):
            shown = json.dumps(value)
        elif isinstance(value, list):
            shown = f"[{_plural(len(value), 'item')}]"
        elif isinstance(value, dict):
            shown = "{" + _plural(len(value), "key") + "}"
        else:
            shown = "?"
        part = f"{clip(str(key), 40, oneline=True)}={shown}"
        parts.append(part)
        used += len(part) + 2
        if used > limit:
            break
    return clip(", ".join(parts), limit, oneline=True)


def _excerpt(old: Any, new: Any) -> str:
    half = MAX_EXCERPT // 2 - 4
    return f"- {clip(old, half, oneline=True)}\n+ {clip(new, half, oneline=True)}"


def _patch_counts(patch: Any) -> tuple[int, int]:
    """(added, removed) lines of a ``structuredPatch`` (bounded work)."""
    added = removed = 0
    for hunk in patch[:200] if isinstance(patch, list) else ():
        lines = _dict(hunk).get("lines")
        for line in lines[:5000] if isinstance(lines, list) else ():
            if isinstance(line, str) and line[:1] == "+":
                added += 1
            elif isinstance(line, str) and line[:1] == "-":
                removed += 1
    return added, removed


# -- one tool call -> observation fields ---------------------------------------------------------


def _tool_fields(name: str, inp: dict, resp: dict, root: str | None, cwd: str) -> dict[str, Any]:
    """Kind, files, text, command and detail for a tool call (outcome is decided by the caller)."""
    kind = _KIND.get(name) or ("mcp" if name.startswith("mcp__") else "tool")
    out: dict[str, Any] = {"kind": kind}

    def path_of(key: str) -> str:
        return rel_path(inp.get(key), root, cwd)

    if name in ("Read", "NotebookRead"):
        out["files"] = (path_of("notebook_path") or path_of("file_path"),)
        file = _dict(resp.get("file"))
        start, count, total = _int(file.get("startLine")), _int(file.get("numLines")), _int(file.get("totalLines"))
        if start is not None and count is not None:
            out["text"] = f"lines {start}-{start + max(count, 1) - 1}" + (f" of {total}" if total is not None else "")
        elif _str(resp.get("type")) and resp.get("type") != "text":
            out["text"] = clip(resp.get("type"), 40, oneline=True)
        elif _int(inp.get("offset")) is not None or _int(inp.get("limit")) is not None:
            first = _int(inp.get("offset")) or 1
            limit = _int(inp.get("limit"))
            out["text"] = f"lines {first}-{first + limit - 1}" if limit else f"from line {first}"
    elif name == "Edit":
        out["files"] = (path_of("file_path"),)
        added, removed = _patch_counts(resp.get("structuredPatch"))
        text = "replaced all occurrences" if inp.get("replace_all") is True else "replaced 1 occurrence"
        if added or removed:
            text += f" (+{added} -{removed} lines)"
        out["text"] = text
        if not is_sensitive_path(_str(inp.get("file_path"))):
            out["detail"] = _excerpt(inp.get("old_string"), inp.get("new_string"))
    elif name == "MultiEdit":
        out["files"] = (path_of("file_path"),)
        edits = [e for e in inp.get("edits", []) if isinstance(e, dict)] if isinstance(inp.get("edits"), list) else []
        added, removed = _patch_counts(resp.get("structuredPatch"))
        out["text"] = f"applied {_plural(len(edits), 'edit')}" + (f" (+{added} -{removed} lines)" if added or removed else "")
        if edits and not is_sensitive_path(_str(inp.get("file_path"))):
            more = f"\n(+{len(edits) - 1} more)" if len(edits) > 1 else ""
            out["detail"] = _excerpt(edits[0].get("old_string"), edits[0].get("new_string")) + more
    elif name == "NotebookEdit":
        out["files"] = (path_of("notebook_path"),)
        mode = _str(inp.get("edit_mode")) or "replace"
        verb = {"replace": "replaced", "insert": "inserted", "delete": "deleted"}.get(mode, clip(mode, 20, oneline=True))
        cell = clip(inp.get("cell_id"), 60, oneline=True)
        out["text"] = f"{verb} cell" + (f" {cell}" if cell else "")
        if mode != "delete" and _str(inp.get("new_source")) and not is_sensitive_path(_str(inp.get("notebook_path"))):
            out["detail"] = "+ " + clip(inp.get("new_source"), MAX_EXCERPT - 2, oneline=True)
    elif name == "Write":
        out["files"] = (path_of("file_path"),)
        content = inp.get("content")
        kind_of = _str(resp.get("type"))
        verb = {"create": "created", "update": "overwrote"}.get(kind_of, "wrote")
        if isinstance(content, str):
            lines = content.count("\n") + (1 if content and not content.endswith("\n") else 0)
            size = len(content.encode("utf-8", "replace"))
            out["text"] = f"{verb} ({_plural(lines, 'line')}, {_plural(size, 'byte')})"
        else:
            out["text"] = verb
    elif name == "Bash":
        command = inp.get("command")  # query values of URLs go, whatever their names (see redact_query_values)
        out["command"] = clip(redact_url_queries(command[:MAX_COMMAND * 4]) if isinstance(command, str) else command,
                              MAX_COMMAND)
        out["text"] = clip(inp.get("description"), MAX_TEXT, oneline=True)
    elif name in ("Grep", "Glob"):
        where = rel_path(inp.get("path"), root, cwd) or rel_path(cwd, root) or "."
        text = f'"{clip(inp.get("pattern"), 150, oneline=True)}" in {where}'
        for key in ("glob", "type"):
            if _str(inp.get(key)):
                text += f" ({key} {clip(inp.get(key), 60, oneline=True)})"
        out["text"] = clip(text, MAX_TEXT, oneline=True)
        out["detail"] = _search_counts(resp)
    elif name == "WebFetch":
        url = inp.get("url")
        out["text"] = clip(redact_url_queries(url[:MAX_TEXT * 4]) if isinstance(url, str) else url, MAX_TEXT, oneline=True)
        parts = []
        code, fetched = _int(resp.get("code")), _int(resp.get("bytes"))
        if code is not None:
            parts.append(f"HTTP {code} {clip(resp.get('codeText'), 40, oneline=True)}".rstrip())
        if fetched is not None:
            parts.append(_plural(fetched, "byte"))
        if _str(inp.get("prompt")):
            parts.append("prompt: " + clip(inp.get("prompt"), MAX_EXCERPT, oneline=True))
        out["detail"] = "; ".join(parts)
    elif name == "WebSearch":
        out["text"] = clip(inp.get("query"), MAX_TEXT, oneline=True)
        parts = []
        results = resp.get("results")
        if isinstance(results, list):
            links = sum(len(r["content"]) for r in results[:100] if isinstance(r, dict) and isinstance(r.get("content"), list))
            parts.append(_plural(links, "result"))
        for key in ("allowed_domains", "blocked_domains"):
            domains = [d for d in inp.get(key, []) if isinstance(d, str)] if isinstance(inp.get(key), list) else []
            if domains:
                parts.append(f"{key.split('_')[0]}: " + clip(", ".join(domains[:10]), 150, oneline=True))
        out["detail"] = "; ".join(parts)
    elif name in ("Task", "Agent"):
        out["text"] = clip(inp.get("description"), MAX_TEXT, oneline=True)
        parts = []
        if _str(inp.get("subagent_type")):
            parts.append("agent: " + clip(inp.get("subagent_type"), 60, oneline=True))
        status = _str(resp.get("status"))
        if status and status != "completed":
            parts.append("status: " + clip(status, 40, oneline=True))
        uses = _int(resp.get("totalToolUseCount"))
        if uses is not None:
            parts.append(_plural(uses, "tool use"))
        if _str(inp.get("prompt")):
            parts.append("prompt: " + clip(inp.get("prompt"), MAX_EXCERPT, oneline=True))
        out["detail"] = clip("; ".join(parts), MAX_DETAIL)
    elif name == "TodoWrite":
        todos = _todos(inp.get("todos"))
        counts = Counter(status for status, _ in todos)
        summary = ", ".join(f"{counts[s]} {s.replace('_', ' ')}" for s in ("completed", "in_progress", "pending") if counts[s])
        out["text"] = _plural(len(todos), "todo") + (f": {summary}" if summary else "")
        out["detail"] = clip("\n".join(f"{_TODO_MARK.get(s, '[?]')} {c}" for s, c in todos[:30]), MAX_DETAIL)
    elif kind == "mcp":
        server, _, tool = name[5:].partition("__")
        out["text"] = clip(f"{server}.{tool or '?'}({summarize_input(inp, MAX_TEXT)})", MAX_TEXT, oneline=True)
    else:
        out["text"] = clip(f"{name}({summarize_input(inp, MAX_TEXT)})", MAX_TEXT, oneline=True)
        paths = [rel_path(inp.get(k), root, cwd) for k in ("file_path", "notebook_path")]
        out["files"] = tuple(p for p in paths if p)
    out["files"] = tuple(f for f in out.get("files", ()) if f)
    return out


def _search_counts(resp: dict) -> str:
    files, lines, matches = _int(resp.get("numFiles")), _int(resp.get("numLines")), _int(resp.get("numMatches"))
    mode = _str(resp.get("mode"))
    if mode == "count" and matches is not None:
        text = _plural(matches, "match", "matches")
        text += f" in {_plural(files, 'file')}" if files is not None else ""
    elif mode == "content" and lines is not None:
        text = _plural(lines, "matching line") + (f" in {_plural(files, 'file')}" if files else "")
    elif files is not None:
        text = _plural(files, "file")
    else:
        return ""
    if resp.get("truncated") is True:
        text += " (truncated)"
    limit = _int(resp.get("appliedLimit"))
    if limit:
        text += f" (limited to {limit:,})"
    return text


def _todos(value: Any) -> list[tuple[str, str]]:
    if not isinstance(value, list):
        return []
    out = []
    for item in value[:100]:
        if isinstance(item, dict) and _str(item.get("content")):
            out.append((clip(item.get("status"), 20, oneline=True) or "pending", clip(item.get("content"), 150, oneline=True)))
    return out


def _bash_outcome(resp: dict) -> tuple[str, str]:
    """(outcome, detail) of a Bash call that PostToolUse reported (so it ran)."""
    if _str(resp.get("backgroundTaskId")):
        return "ok", "running in background (" + clip(resp.get("backgroundTaskId"), 60, oneline=True) + ")"
    code = next((_int(resp.get(k)) for k in ("exit_code", "exitCode", "returnCode", "code") if _int(resp.get(k)) is not None), None)
    note = clip(resp.get("returnCodeInterpretation"), 100, oneline=True)
    if resp.get("interrupted") is True:
        return "interrupted", _with_tail("interrupted", resp)
    if code not in (None, 0):
        return "error", _with_tail(f"exit {code}" + (f" ({note})" if note else ""), resp)
    return "ok", "exit 0" + (f" ({note})" if note else "")


def _with_tail(head: str, resp: dict) -> str:
    output = _str(resp.get("stderr")).strip() or _str(resp.get("stdout")).strip()
    if not output:
        return head
    return f"{head}: " + clip(output, MAX_DETAIL - len(head) - 2, tail=True)


def _failure(name: str, payload: dict) -> tuple[str, str]:
    """(outcome, detail) of a PostToolUseFailure."""
    error = payload.get("error")
    if not isinstance(error, str):
        error = _str(payload.get("error_message")) or (json.dumps(error)[:MAX_DETAIL] if isinstance(error, (dict, list)) else "")
    outcome = "interrupted" if payload.get("is_interrupt") is True else "error"
    if name != "Bash":
        return outcome, clip(error, MAX_DETAIL)
    error = error.lstrip()
    first = error[:1000].partition("\n")[0]
    match = _EXIT.search(first)
    if match is None:
        return outcome, clip(error, MAX_DETAIL, tail=True)
    head = f"exit {int(match.group(1))}"
    rest = error[len(first):].strip()  # the header line ("Exit code 1") says nothing more than the code
    return outcome, (f"{head}: " + clip(rest, MAX_DETAIL - len(head) - 2, tail=True)) if rest else head


# -- events -> observations --------------------------------------------------------------


def _observe(ev: SpoolEvent, name: str, root: str | None) -> Observation | None:
    p = ev.payload
    ts, eid = iso(ev.ts), event_id(ev)
    cwd = _str(p.get("cwd"))
    if name in TOOL_EVENTS:
        tool = clip(p.get("tool_name"), 200, oneline=True)
        if not tool:
            if name != "PostToolUseFailure":
                return None
            outcome, detail = _failure("", p)
            return Observation(ts=ts, kind="error", outcome=outcome, detail=detail, event_id=eid)
        fields = _tool_fields(tool, _dict(p.get("tool_input")), _dict(p.get("tool_response")), root, cwd)
        if name == "PreToolUse":
            outcome = "attempted"
        elif name == "PostToolUseFailure":
            outcome, fields["detail"] = _failure(tool, p)
        elif name == "PermissionDenied":
            outcome = "denied"
            fields["detail"] = clip(_str(p.get("reason")) or _str(p.get("message")), MAX_DETAIL)
        elif tool == "Bash":
            outcome, fields["detail"] = _bash_outcome(_dict(p.get("tool_response")))
        else:
            outcome = "ok"
        return Observation(ts=ts, kind=fields["kind"], tool=tool, text=fields.get("text", ""),
                           files=fields["files"], command=fields.get("command", ""), outcome=outcome,
                           detail=clip(fields.get("detail", ""), MAX_DETAIL), event_id=eid)
    if name == "UserPromptSubmit":
        return Observation(ts=ts, kind="prompt", text=clip(p.get("prompt"), MAX_TEXT), event_id=eid)
    if name == "Stop":
        return Observation(ts=ts, kind="stop", text=_ends(p.get("last_assistant_message")), event_id=eid)
    if name == "SessionStart":
        model = clip(p.get("model"), 100, oneline=True)
        return Observation(ts=ts, kind="session", text="start", outcome=clip(p.get("source"), 40, oneline=True),
                           detail=f"model: {model}" if model else "", event_id=eid)
    if name == "SessionEnd":
        return Observation(ts=ts, kind="session", text="end", outcome=clip(p.get("reason"), 40, oneline=True),
                           event_id=eid)
    if name == "PreCompact":
        return Observation(ts=ts, kind="session", text="compact", outcome=clip(p.get("trigger"), 40, oneline=True),
                           detail=clip(p.get("custom_instructions"), MAX_DETAIL), event_id=eid)
    if name == "StopFailure":
        error = next((p[k] for k in ("error", "error_message", "message", "reason") if _str(p.get(k))), "")
        return Observation(ts=ts, kind="error", text=clip(error, MAX_TEXT), outcome="error",
                           detail=clip(p.get("error_type"), 100, oneline=True), event_id=eid)
    if name in ("FileChange", "FileChanges"):
        return _file_change(name, p, ts, eid, root, cwd)
    return None  # Notification, SubagentStart/Stop, PostCompact, PermissionRequest, ...: not kept


_FILE_CHANGES = ("created", "modified", "deleted", "renamed")


def _file_change(name: str, p: dict, ts: str, eid: str, root: str | None, cwd: str) -> Observation | None:
    """What ``gitmem watch`` saw: one file (``FileChange``) or a burst of many (``FileChanges``).

    Kinds ``write`` (created) and ``edit`` (the rest) with tool ``watch``, so the
    summary lists the files as modified, as it does for the assistant's edits.
    """
    if name == "FileChange":
        change, path = _str(p.get("change")), rel_path(p.get("path"), root, cwd)
        if change not in _FILE_CHANGES or not path:
            return None
        source = rel_path(p.get("from"), root, cwd) if change == "renamed" else ""
        return Observation(ts=ts, kind="write" if change == "created" else "edit", tool="watch",
                           text=f"renamed from {source}" if source else change,
                           files=(path, source) if source else (path,), outcome="ok", event_id=eid)
    total = _int(p.get("files"))
    if not total or total < 0:
        return None
    folders = [(clip(f[0], 200, oneline=True), _int(f[1]) or 0) for f in p.get("folders", [])[:20]
               if isinstance(f, list) and len(f) == 2 and _str(f[0])] if isinstance(p.get("folders"), list) else []
    where = ", ".join(f"{'the top level' if f == '.' else f + '/'} ({n:,})" for f, n in folders)
    other = _int(p.get("other")) or 0
    text = f"{total:,} files changed" + (f" under {where}" if where else "") + (f", {other:,} elsewhere" if other else "")
    counts = _dict(p.get("changes"))
    detail = ", ".join(f"{c} {counts[c]:,}" for c in _FILE_CHANGES if _int(counts.get(c)))
    sample = [rel_path(x, root, cwd) for x in p.get("sample", [])[:10]] if isinstance(p.get("sample"), list) else []
    if any(sample):
        detail += "; e.g. " + ", ".join(x for x in sample if x)
    if p.get("lost_events") is True:
        detail += "; the kernel dropped events, so the counts are a lower bound"
    return Observation(ts=ts, kind="edit", tool="watch", text=clip(text, MAX_TEXT, oneline=True),
                       files=tuple(f for f, _ in folders if f != "."), outcome="ok",
                       detail=clip(detail.lstrip("; "), MAX_DETAIL), event_id=eid)


def compact_events(events: Sequence[SpoolEvent], root: str | None) -> list[Observation]:
    """One observation per meaningful event, in event order, each event id once."""
    resolved = {_tool_use_id(ev.payload) for ev in events if _name_of(ev) in _RESOLVING} - {""}
    out: list[Observation] = []
    seen: set[str] = set()
    for ev in events:
        name = _name_of(ev)
        if name == "PreToolUse" and _tool_use_id(ev.payload) in resolved:
            continue
        try:
            obs = _observe(ev, name, root)
        except Exception:  # noqa: BLE001 - one odd payload must not lose the session's other events
            logger.warning("skipped a %s event that could not be compacted", name, exc_info=True)
            obs = None
        if obs is None or obs.event_id in seen:
            continue
        seen.add(obs.event_id)
        out.append(obs)
    return out


# -- session facts ---------------------------------------------------------------------------


def _unique(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(i for i in items if i))[:MAX_LIST]


def _first(events: Iterable[SpoolEvent], key: str) -> str:
    return next((v for v in (clip(ev.payload.get(key), MAX_PATH, oneline=True) for ev in events) if v), "")


def session_cwd(events: Sequence[SpoolEvent]) -> str:
    """The folder the session ran in (its first ``cwd``): which work tree it belongs to."""
    return _first(events, "cwd")


def session_facts(events: Sequence[SpoolEvent], root: str | None,
                  observations: Sequence[Observation] | None = None) -> SessionFacts:
    """Facts of a session's events: who, when, where, what was asked, touched and run.

    ``observations`` are ``compact_events(events, root)`` when the caller already has them.
    """
    if observations is None:
        observations = compact_events(events, root)
    stamps = [ev.ts for ev in events]

    def first(key: str, order: Iterable[SpoolEvent] = events) -> str:
        return _first(order, key)

    named = [(_name_of(ev), ev.payload) for ev in events]
    prompts = [clip(p.get("prompt"), MAX_PROMPT) for n, p in named if n == "UserPromptSubmit"]
    stops = [clip(p.get("last_assistant_message"), MAX_PROMPT) for n, p in named if n == "Stop"]
    ends = [clip(p.get("reason"), 40, oneline=True) for n, p in named if n == "SessionEnd"]
    todos: tuple[tuple[str, str], ...] = ()
    for n, p in named:
        if n in ("PreToolUse", "PostToolUse") and p.get("tool_name") == "TodoWrite":
            todos = tuple(_todos(_dict(p.get("tool_input")).get("todos")))
    done = [o for o in observations if o.tool and o.outcome != "attempted"]
    ok = [o for o in done if o.outcome == "ok"]
    return SessionFacts(
        session_id=first("session_id"),
        started_at=iso(min(stamps)) if stamps else "",
        ended_at=iso(max(stamps)) if stamps else "",
        cwd=session_cwd(events),
        transcript_path=first("transcript_path", reversed(events)),
        model=first("model"),
        prompts=tuple(p for p in prompts if p)[:MAX_LIST],
        files_read=_unique(f for o in ok if o.kind == "read" for f in o.files),
        files_modified=_unique(f for o in ok if o.kind in ("edit", "write") for f in o.files),
        commands=tuple(o.command for o in done if o.kind == "command" and o.command)[-MAX_LIST:],
        failures=sum(1 for o in observations if o.outcome == "error"),
        last_assistant_message=next((s for s in reversed(stops) if s), ""),
        end_reason=ends[-1] if ends else "",
        sources=_unique(clip(p.get("source"), 40, oneline=True) for n, p in named if n == "SessionStart"),
        tool_counts=tuple(sorted(Counter(o.tool for o in done).items())),
        todos=todos,
        head_start=next((ev.head for ev in sorted(events, key=lambda e: e.ts) if ev.head), ""),
    )


# -- transcript -----------------------------------------------------------------------------------


def _turn_text(record: dict) -> tuple[str, str] | None:
    if record.get("isSidechain") is True or record.get("isMeta") is True:
        return None
    role = record.get("type")
    if role not in ("user", "assistant"):
        return None
    content = _dict(record.get("message")).get("content")
    if isinstance(content, str):
        texts = [content]
    elif isinstance(content, list):
        texts = [b["text"] for b in content if isinstance(b, dict) and b.get("type") == "text" and _str(b.get("text"))]
    else:
        return None
    text = "\n".join(t for t in texts if t.strip())
    return (role, text) if text.strip() else None


def read_transcript_text(path: str | None, max_chars: int) -> str:
    """User and assistant text turns of a transcript JSONL, at most ``max_chars``.

    Tool calls, tool results, thinking and subagent turns are left out. When the
    text is longer, the first turn and the latest turns are kept with a marker
    between them. A missing or unreadable file gives "".
    """
    if not path or not isinstance(path, str) or max_chars <= 0:
        return ""
    head = ""
    tail: deque[str] = deque()
    tail_len = omitted = 0
    budget = max_chars
    try:
        with open(path, "rb") as fh:
            for raw in fh:
                if len(raw) > MAX_TRANSCRIPT_LINE:
                    continue
                try:
                    record = json.loads(raw.decode("utf-8", "replace"))
                except (ValueError, RecursionError):
                    continue
                turn = _turn_text(record) if isinstance(record, dict) else None
                if turn is None:
                    continue
                label = "User" if turn[0] == "user" else "Assistant"
                block = f"{label}: " + clip(turn[1], max(budget - len(label) - 4, 1))
                if not head:
                    head = clip(block, max_chars // 4 or max_chars)
                    budget = max(max_chars - len(head) - 40, 1)  # 40: separators and the omission marker
                    continue
                tail.append(block)
                tail_len += len(block) + 2
                while len(tail) > 1 and tail_len > budget:  # the latest turn always stays
                    dropped = tail.popleft()
                    tail_len -= len(dropped) + 2
                    omitted += 1
    except (OSError, ValueError):
        return ""
    parts = [head] if head else []
    if omitted:
        parts.append(f"[… {_plural(omitted, 'turn')} omitted …]")
    parts.extend(tail)
    return clip("\n\n".join(parts), max_chars)
