"""Claude Code's tools -> observation fields: what a Read, Edit, Write, Bash, Grep, WebFetch, Task... call did.

One adapter per tool reads the call's input and response (shapes as Claude Code
sends them in PreToolUse / PostToolUse / PostToolUseFailure) and keeps a
bounded account: the files, counts, a command, an exit status, and, on
failure, a short tail of the error. Raw tool output is never kept. An unknown
tool, or an MCP tool, is shown as its name and a bounded look at its input.
"""

from __future__ import annotations

import itertools
import json
import re
from collections import Counter
from typing import Any

from gitmem.capture.code_comments import added_comments
from gitmem.capture.payload_fields import MAX_DETAIL, MAX_TEXT, as_dict, as_int, as_str, clip, plural, rel_path
from gitmem.redact import is_sensitive_path, redact_url_queries

MAX_COMMAND = 500
MAX_EXCERPT = 200

_KIND = {"Read": "read", "NotebookRead": "read", "Edit": "edit", "MultiEdit": "edit", "NotebookEdit": "edit",
         "Write": "write", "Bash": "command", "Grep": "search", "Glob": "search", "WebFetch": "fetch",
         "WebSearch": "fetch", "Task": "task", "Agent": "task", "TodoWrite": "todo"}
_TODO_MARK = {"completed": "[x]", "in_progress": "[>]", "pending": "[ ]"}
_EXIT = re.compile(r"(?:exit|status)\s+code\s*:?\s*(-?\d{1,4})", re.IGNORECASE)


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
            shown = f"[{plural(len(value), 'item')}]"
        elif isinstance(value, dict):
            shown = "{" + plural(len(value), "key") + "}"
        else:
            shown = "?"
        part = f"{clip(str(key), 40, oneline=True)}={shown}"
        parts.append(part)
        used += len(part) + 2
        if used > limit:
            break
    return clip(", ".join(parts), limit, oneline=True)


def edit_excerpt(old: Any, new: Any) -> str:
    half = MAX_EXCERPT // 2 - 4
    return f"- {clip(old, half, oneline=True)}\n+ {clip(new, half, oneline=True)}"


def with_comments(excerpt: str, edits: list[tuple[Any, Any]]) -> str:
    """An edit's excerpt, then the comments its edits add (code_comments), within MAX_DETAIL."""
    room = MAX_DETAIL - len(excerpt) - 1
    added = "\n".join(c for c in (added_comments(old, new, room) for old, new in edits) if c)
    return excerpt + ("\n" + added if added else "")


def _patch_counts(patch: Any) -> tuple[int, int]:
    """(added, removed) lines of a ``structuredPatch`` (bounded work)."""
    added = removed = 0
    for hunk in patch[:200] if isinstance(patch, list) else ():
        lines = as_dict(hunk).get("lines")
        for line in lines[:5000] if isinstance(lines, list) else ():
            if isinstance(line, str) and line[:1] == "+":
                added += 1
            elif isinstance(line, str) and line[:1] == "-":
                removed += 1
    return added, removed


# -- one tool call -> observation fields ---------------------------------------------------------


def tool_fields(name: str, inp: dict, resp: dict, root: str | None, cwd: str) -> dict[str, Any]:
    """Kind, files, text, command and detail for a tool call (outcome is decided by the caller)."""
    kind = _KIND.get(name) or ("mcp" if name.startswith("mcp__") else "tool")
    out: dict[str, Any] = {"kind": kind}

    def path_of(key: str) -> str:
        return rel_path(inp.get(key), root, cwd)

    if name in ("Read", "NotebookRead"):
        out["files"] = (path_of("notebook_path") or path_of("file_path"),)
        file = as_dict(resp.get("file"))
        start, count, total = as_int(file.get("startLine")), as_int(file.get("numLines")), as_int(file.get("totalLines"))
        if start is not None and count is not None:
            out["text"] = f"lines {start}-{start + max(count, 1) - 1}" + (f" of {total}" if total is not None else "")
        elif as_str(resp.get("type")) and resp.get("type") != "text":
            out["text"] = clip(resp.get("type"), 40, oneline=True)
        elif as_int(inp.get("offset")) is not None or as_int(inp.get("limit")) is not None:
            first = as_int(inp.get("offset")) or 1
            limit = as_int(inp.get("limit"))
            out["text"] = f"lines {first}-{first + limit - 1}" if limit else f"from line {first}"
    elif name == "Edit":
        out["files"] = (path_of("file_path"),)
        added, removed = _patch_counts(resp.get("structuredPatch"))
        text = "replaced all occurrences" if inp.get("replace_all") is True else "replaced 1 occurrence"
        if added or removed:
            text += f" (+{added} -{removed} lines)"
        out["text"] = text
        if not is_sensitive_path(as_str(inp.get("file_path"))):
            out["detail"] = with_comments(edit_excerpt(inp.get("old_string"), inp.get("new_string")),
                                           [(inp.get("old_string"), inp.get("new_string"))])
    elif name == "MultiEdit":
        out["files"] = (path_of("file_path"),)
        edits = [e for e in inp.get("edits", []) if isinstance(e, dict)] if isinstance(inp.get("edits"), list) else []
        added, removed = _patch_counts(resp.get("structuredPatch"))
        out["text"] = f"applied {plural(len(edits), 'edit')}" + (f" (+{added} -{removed} lines)" if added or removed else "")
        if edits and not is_sensitive_path(as_str(inp.get("file_path"))):
            more = f"\n(+{len(edits) - 1} more)" if len(edits) > 1 else ""
            out["detail"] = with_comments(edit_excerpt(edits[0].get("old_string"), edits[0].get("new_string")) + more,
                                           [(e.get("old_string"), e.get("new_string")) for e in edits[:50]])
    elif name == "NotebookEdit":
        out["files"] = (path_of("notebook_path"),)
        mode = as_str(inp.get("edit_mode")) or "replace"
        verb = {"replace": "replaced", "insert": "inserted", "delete": "deleted"}.get(mode, clip(mode, 20, oneline=True))
        cell = clip(inp.get("cell_id"), 60, oneline=True)
        out["text"] = f"{verb} cell" + (f" {cell}" if cell else "")
        if mode != "delete" and as_str(inp.get("new_source")) and not is_sensitive_path(as_str(inp.get("notebook_path"))):
            out["detail"] = "+ " + clip(inp.get("new_source"), MAX_EXCERPT - 2, oneline=True)
    elif name == "Write":
        out["files"] = (path_of("file_path"),)
        content = inp.get("content")
        kind_of = as_str(resp.get("type"))
        verb = {"create": "created", "update": "overwrote"}.get(kind_of, "wrote")
        if isinstance(content, str):
            lines = content.count("\n") + (1 if content and not content.endswith("\n") else 0)
            size = len(content.encode("utf-8", "replace"))
            out["text"] = f"{verb} ({plural(lines, 'line')}, {plural(size, 'byte')})"
            if not is_sensitive_path(as_str(inp.get("file_path"))):
                out["detail"] = added_comments(as_dict(resp).get("originalFile"), content, MAX_DETAIL)
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
            if as_str(inp.get(key)):
                text += f" ({key} {clip(inp.get(key), 60, oneline=True)})"
        out["text"] = clip(text, MAX_TEXT, oneline=True)
        out["detail"] = _search_counts(resp)
    elif name == "WebFetch":
        url = inp.get("url")
        out["text"] = clip(redact_url_queries(url[:MAX_TEXT * 4]) if isinstance(url, str) else url, MAX_TEXT, oneline=True)
        parts = []
        code, fetched = as_int(resp.get("code")), as_int(resp.get("bytes"))
        if code is not None:
            parts.append(f"HTTP {code} {clip(resp.get('codeText'), 40, oneline=True)}".rstrip())
        if fetched is not None:
            parts.append(plural(fetched, "byte"))
        if as_str(inp.get("prompt")):
            parts.append("prompt: " + clip(inp.get("prompt"), MAX_EXCERPT, oneline=True))
        out["detail"] = "; ".join(parts)
    elif name == "WebSearch":
        out["text"] = clip(inp.get("query"), MAX_TEXT, oneline=True)
        parts = []
        results = resp.get("results")
        if isinstance(results, list):
            links = sum(len(r["content"]) for r in results[:100] if isinstance(r, dict) and isinstance(r.get("content"), list))
            parts.append(plural(links, "result"))
        for key in ("allowed_domains", "blocked_domains"):
            domains = [d for d in inp.get(key, []) if isinstance(d, str)] if isinstance(inp.get(key), list) else []
            if domains:
                parts.append(f"{key.split('_')[0]}: " + clip(", ".join(domains[:10]), 150, oneline=True))
        out["detail"] = "; ".join(parts)
    elif name in ("Task", "Agent"):
        out["text"] = clip(inp.get("description"), MAX_TEXT, oneline=True)
        parts = []
        if as_str(inp.get("subagent_type")):
            parts.append("agent: " + clip(inp.get("subagent_type"), 60, oneline=True))
        status = as_str(resp.get("status"))
        if status and status != "completed":
            parts.append("status: " + clip(status, 40, oneline=True))
        uses = as_int(resp.get("totalToolUseCount"))
        if uses is not None:
            parts.append(plural(uses, "tool use"))
        if as_str(inp.get("prompt")):
            parts.append("prompt: " + clip(inp.get("prompt"), MAX_EXCERPT, oneline=True))
        out["detail"] = clip("; ".join(parts), MAX_DETAIL)
    elif name == "TodoWrite":
        todos = todo_items(inp.get("todos"))
        counts = Counter(status for status, _ in todos)
        summary = ", ".join(f"{counts[s]} {s.replace('_', ' ')}" for s in ("completed", "in_progress", "pending") if counts[s])
        out["text"] = plural(len(todos), "todo") + (f": {summary}" if summary else "")
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
    files, lines, matches = as_int(resp.get("numFiles")), as_int(resp.get("numLines")), as_int(resp.get("numMatches"))
    mode = as_str(resp.get("mode"))
    if mode == "count" and matches is not None:
        text = plural(matches, "match", "matches")
        text += f" in {plural(files, 'file')}" if files is not None else ""
    elif mode == "content" and lines is not None:
        text = plural(lines, "matching line") + (f" in {plural(files, 'file')}" if files else "")
    elif files is not None:
        text = plural(files, "file")
    else:
        return ""
    if resp.get("truncated") is True:
        text += " (truncated)"
    limit = as_int(resp.get("appliedLimit"))
    if limit:
        text += f" (limited to {limit:,})"
    return text


def todo_items(value: Any) -> list[tuple[str, str]]:
    """(status, content) of each of a TodoWrite's todos, bounded."""
    if not isinstance(value, list):
        return []
    out = []
    for item in value[:100]:
        if isinstance(item, dict) and as_str(item.get("content")):
            out.append((clip(item.get("status"), 20, oneline=True) or "pending", clip(item.get("content"), 150, oneline=True)))
    return out


def bash_outcome(resp: dict) -> tuple[str, str]:
    """(outcome, detail) of a Bash call that PostToolUse reported (so it ran)."""
    if as_str(resp.get("backgroundTaskId")):
        return "ok", "running in background (" + clip(resp.get("backgroundTaskId"), 60, oneline=True) + ")"
    code = next((as_int(resp.get(k)) for k in ("exit_code", "exitCode", "returnCode", "code") if as_int(resp.get(k)) is not None), None)
    note = clip(resp.get("returnCodeInterpretation"), 100, oneline=True)
    if resp.get("interrupted") is True:
        return "interrupted", _with_tail("interrupted", resp)
    if code not in (None, 0):
        return "error", _with_tail(f"exit {code}" + (f" ({note})" if note else ""), resp)
    return "ok", "exit 0" + (f" ({note})" if note else "")


def _with_tail(head: str, resp: dict) -> str:
    output = as_str(resp.get("stderr")).strip() or as_str(resp.get("stdout")).strip()
    if not output:
        return head
    return f"{head}: " + clip(output, MAX_DETAIL - len(head) - 2, tail=True)


def failure_outcome(name: str, payload: dict) -> tuple[str, str]:
    """(outcome, detail) of a PostToolUseFailure."""
    error = payload.get("error")
    if not isinstance(error, str):
        error = as_str(payload.get("error_message")) or (json.dumps(error)[:MAX_DETAIL] if isinstance(error, (dict, list)) else "")
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

