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

What each of Claude Code's tools did is read by ``claude_tools``; every payload
field is read, cleaned and bounded through ``payload_fields``.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import logging
import math
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence

from gitmem.capture.apply_patch import APPLY_PATCH, patch_outcome, split_patch_call
from gitmem.capture.claude_tools import bash_outcome, failure_outcome, todo_items, tool_fields
from gitmem.capture.payload_fields import (MAX_DETAIL, MAX_PATH, MAX_TEXT, as_dict, as_int, as_str, clip, local_path,
                                           rel_path)
from gitmem.store.records import Observation

logger = logging.getLogger(__name__)

MAX_STOP_HEAD = 300    # a reply's opening and its conclusion, where decisions and next steps are stated
MAX_STOP_TAIL = 700
MAX_PROMPT = 2000      # prompts and the last message in SessionFacts (for the summarizer)
MAX_LIST = 200         # entries per SessionFacts tuple

TOOL_EVENTS = ("PreToolUse", "PostToolUse", "PostToolUseFailure", "PermissionDenied")
_RESOLVING = ("PostToolUse", "PostToolUseFailure", "PermissionDenied")
_SAFE_ID = re.compile(r"[A-Za-z0-9_.-]{1,128}")
_HEAD = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")


@dataclass(frozen=True, slots=True)
class SpoolEvent:
    """One hook invocation as the hook spooled it."""

    ts: float
    event: str
    payload: dict
    head: str = ""      # SessionStart only: the commit checked out as the session started (hook.read_head)
    agent: str = ""     # the agent the hook command named (``_hook.py <Event> <agent>``), else ''


@dataclass(frozen=True, slots=True)
class SessionFacts:
    """What the events of one session say for certain, before any summarizer."""

    session_id: str = ""
    started_at: str = ""
    ended_at: str = ""
    cwd: str = ""               # cwd and transcript_path: paths on this machine, never stored, so not redacted
    transcript_path: str = ""   # (payload_fields.local_path)
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
        agent = data.get("agent")
        agent = agent if isinstance(agent, str) and _SAFE_ID.fullmatch(agent) else ""
        return SpoolEvent(float(ts), event, payload, head, agent)
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


def _ends(value: Any) -> str:
    """A long reply bounded to its head and its tail (``clip`` keeps only the head)."""
    whole = clip(value, MAX_STOP_HEAD + MAX_STOP_TAIL)
    if not whole.endswith("…"):
        return whole
    return clip(value, MAX_STOP_HEAD) + " " + clip(value, MAX_STOP_TAIL, tail=True)


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


# -- events -> observations --------------------------------------------------------------


def _observe(ev: SpoolEvent, name: str, root: str | None, exit_codes: Mapping[str, int]) -> Observation | None:
    p = ev.payload
    ts, eid = iso(ev.ts), event_id(ev)
    cwd = as_str(p.get("cwd"))
    if name in TOOL_EVENTS:
        tool = clip(p.get("tool_name"), 200, oneline=True)
        if not tool:
            if name != "PostToolUseFailure":
                return None
            outcome, detail = failure_outcome("", p)
            return Observation(ts=ts, kind="error", outcome=outcome, detail=detail, event_id=eid)
        fields = tool_fields(tool, as_dict(p.get("tool_input")), as_dict(p.get("tool_response")), root, cwd)
        if name == "PreToolUse":
            outcome = "attempted"
        elif name == "PostToolUseFailure":
            outcome, fields["detail"] = failure_outcome(tool, p)
        elif name == "PermissionDenied":
            outcome = "denied"
            fields["detail"] = clip(as_str(p.get("reason")) or as_str(p.get("message")), MAX_DETAIL)
        elif tool == "Bash" and isinstance(p.get("tool_response"), str):
            # the Codex CLI sends the output alone: the exit status is in its transcript, else not said
            code = exit_codes.get(as_str(p.get("tool_use_id")))
            outcome = ""
            if code is not None:
                outcome, fields["detail"] = bash_outcome({"exit_code": code, "stdout": p["tool_response"]})
        elif tool == "Bash":
            outcome, fields["detail"] = bash_outcome(as_dict(p.get("tool_response")))
        elif tool == APPLY_PATCH:
            outcome, fields["detail"] = patch_outcome(p.get("tool_response"))
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
        error = next((p[k] for k in ("error", "error_message", "message", "reason") if as_str(p.get(k))), "")
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
        change, path = as_str(p.get("change")), rel_path(p.get("path"), root, cwd)
        if change not in _FILE_CHANGES or not path:
            return None
        source = rel_path(p.get("from"), root, cwd) if change == "renamed" else ""
        return Observation(ts=ts, kind="write" if change == "created" else "edit", tool="watch",
                           text=f"renamed from {source}" if source else change,
                           files=(path, source) if source else (path,), outcome="ok", event_id=eid)
    total = as_int(p.get("files"))
    if not total or total < 0:
        return None
    folders = [(clip(f[0], 200, oneline=True), as_int(f[1]) or 0) for f in p.get("folders", [])[:20]
               if isinstance(f, list) and len(f) == 2 and as_str(f[0])] if isinstance(p.get("folders"), list) else []
    where = ", ".join(f"{'the top level' if f == '.' else f + '/'} ({n:,})" for f, n in folders)
    other = as_int(p.get("other")) or 0
    text = f"{total:,} files changed" + (f" under {where}" if where else "") + (f", {other:,} elsewhere" if other else "")
    counts = as_dict(p.get("changes"))
    detail = ", ".join(f"{c} {counts[c]:,}" for c in _FILE_CHANGES if as_int(counts.get(c)))
    sample = [rel_path(x, root, cwd) for x in p.get("sample", [])[:10]] if isinstance(p.get("sample"), list) else []
    if any(sample):
        detail += "; e.g. " + ", ".join(x for x in sample if x)
    if p.get("lost_events") is True:
        detail += "; the kernel dropped events, so the counts are a lower bound"
    return Observation(ts=ts, kind="edit", tool="watch", text=clip(text, MAX_TEXT, oneline=True),
                       files=tuple(f for f, _ in folders if f != "."), outcome="ok",
                       detail=clip(detail.lstrip("; "), MAX_DETAIL), event_id=eid)


def output_without_status(events: Iterable[SpoolEvent]) -> bool:
    """Whether a shell call came back as its output alone (Codex), so its exit code is to be read elsewhere."""
    return any(_name_of(ev) == "PostToolUse" and ev.payload.get("tool_name") == "Bash"
               and isinstance(ev.payload.get("tool_response"), str) for ev in events)


def compact_events(events: Sequence[SpoolEvent], root: str | None,
                   exit_codes: Mapping[str, int] | None = None) -> list[Observation]:
    """One observation per meaningful event (per file for an apply_patch call), in event order, each id once.

    ``exit_codes`` (by tool_use_id) complete the shell calls whose payload has no exit status (Codex).
    """
    resolved = {_tool_use_id(ev.payload) for ev in events if _name_of(ev) in _RESOLVING} - {""}
    out: list[Observation] = []
    seen: set[str] = set()
    for ev in events:
        name = _name_of(ev)
        if name == "PreToolUse" and _tool_use_id(ev.payload) in resolved:
            continue
        try:
            obs = _observe(ev, name, root, exit_codes or {})
        except Exception:  # noqa: BLE001 - one odd payload must not lose the session's other events
            logger.warning("skipped a %s event that could not be compacted", name, exc_info=True)
            obs = None
        found: list[Observation | None] = [obs]
        if obs is not None and obs.tool == APPLY_PATCH:   # Codex, Copilot: one observation per file patched
            try:
                found = [*split_patch_call(obs, ev.payload, root)]
            except Exception:  # noqa: BLE001 - the call stays recorded as it was
                logger.warning("an apply_patch call was kept whole: its files could not be read", exc_info=True)
        for one in found:
            if one is None or one.event_id in seen:
                continue
            seen.add(one.event_id)
            out.append(one)
    return out


# -- session facts ---------------------------------------------------------------------------


def _unique(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(i for i in items if i))[:MAX_LIST]


def _first(events: Iterable[SpoolEvent], key: str) -> str:
    return next((v for v in (clip(ev.payload.get(key), MAX_PATH, oneline=True) for ev in events) if v), "")


def _local_path(events: Iterable[SpoolEvent], key: str) -> str:
    """The first path under ``key`` (``payload_fields.local_path``: used on this machine, so not redacted)."""
    return next((v for v in (local_path(ev.payload.get(key)) for ev in events) if v), "")


def transcript_path(events: Sequence[SpoolEvent]) -> str:
    """The agent's transcript of the session (the latest ``transcript_path``), or ''."""
    return _local_path(reversed(events), "transcript_path")


def session_cwd(events: Sequence[SpoolEvent]) -> str:
    """The folder the session ran in (its first ``cwd``): which work tree it belongs to."""
    return _local_path(events, "cwd")


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
            todos = tuple(todo_items(as_dict(p.get("tool_input")).get("todos")))
    done = [o for o in observations if o.tool and o.outcome != "attempted"]
    ok = [o for o in done if o.outcome == "ok"]
    return SessionFacts(
        session_id=first("session_id"),
        started_at=iso(min(stamps)) if stamps else "",
        ended_at=iso(max(stamps)) if stamps else "",
        cwd=session_cwd(events),
        transcript_path=transcript_path(events),
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
