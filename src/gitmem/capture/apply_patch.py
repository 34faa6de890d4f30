"""apply_patch edits: the patch format of Codex CLI and Copilot CLI's GPT models, one file-edit observation per file.

Both clients offer the model a freeform ``apply_patch`` tool whose input is this text (the grammar they send,
tests/data/codex/README.md and tests/data/copilot/README.md)::

    *** Begin Patch
    *** Add File: <path>          then "+" lines: the whole new file
    *** Delete File: <path>
    *** Update File: <path>       then maybe "*** Move to: <path>", then "@@ [context]" and " ", "-", "+" lines,
                                  maybe "*** End of File"
    *** End Patch

Their hooks deliver it as ``tool_name: "apply_patch"``, ``tool_input: {"command": <patch>}`` (Codex; Copilot's
payloads are brought to that shape in agents/copilot.py). Read here, one call becomes one observation per file
it touches, kinds ``write`` (added) and ``edit`` (updated, moved, deleted), so the summary, the files in play,
the brief and ``gitmem why`` see them as they see Claude Code's Edit and Write.

Invariants: nothing here raises on any input; the work is bounded (``MAX_FILES`` files, ``MAX_KEPT`` lines kept
per file for the excerpt); a patch that is not well formed stays the one observation of an unknown tool it was,
with the reason in its detail and in the log, and the files its headers name: never lost, never guessed at.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field, replace
from typing import Any

from gitmem.capture.claude_tools import edit_excerpt, with_comments
from gitmem.capture.payload_fields import MAX_DETAIL, as_dict, as_str, clip, plural, rel_path
from gitmem.redact import is_sensitive_path
from gitmem.store.records import Observation

logger = logging.getLogger(__name__)

APPLY_PATCH = "apply_patch"   # the tool's name in both clients' hooks (Copilot's, once claude_shaped)
BEGIN, END, MOVE, END_OF_FILE = "*** Begin Patch", "*** End Patch", "*** Move to: ", "*** End of File"
_HEADERS = (("*** Add File: ", "add"), ("*** Delete File: ", "delete"), ("*** Update File: ", "update"))
_HEREDOC = ("<<EOF", "<<'EOF'", '<<"EOF"')   # Codex also accepts the patch wrapped as a shell here-document
_EXIT = re.compile(r"Exit code: (-?\d{1,6})\n(?:Wall time: [^\n]*\n)?(?:Output:\n)?")
MAX_FILES = 200
MAX_KEPT = 50


@dataclass(slots=True)
class FileChange:
    """What a patch does to one file."""

    op: str                 # add | update | delete
    path: str
    move_to: str = ""
    added: int = 0
    removed: int = 0
    old: list[str] = field(default_factory=list)   # the first lines it takes out and puts in (MAX_KEPT)
    new: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Patch:
    files: tuple[FileChange, ...]
    problem: str = ""       # why the text is not a well-formed patch; '' when it is


def _header(line: str) -> tuple[str, str] | None:
    return next(((op, line[len(prefix) - 1:].strip()) for prefix, op in _HEADERS if line.startswith(prefix[:-1])),
                None)


def parse_patch(text: Any) -> Patch:
    """The files a patch touches, and the first thing wrong with it (line numbers count from 1)."""
    if not isinstance(text, str):
        return Patch((), "the patch is not text")
    lines = text.strip().splitlines()
    if len(lines) >= 2 and lines[0].strip() in _HEREDOC and lines[-1].strip() == "EOF":
        lines = lines[1:-1]
    problems: list[str] = []
    if not lines or lines[0].strip() != BEGIN:
        problems.append(f"it does not begin with '{BEGIN}'")
    files: list[FileChange] = []
    current: FileChange | None = None
    ended = False
    for number, line in enumerate(lines[1:], 2):
        line = line.rstrip()
        if ended:
            if line:
                problems.append(f"line {number}: text after '{END}'")
            continue
        if line.strip() == END:
            ended, current = True, None
            continue
        header = _header(line)
        if header is not None:
            current = None
            if not header[1]:
                problems.append(f"line {number}: a file header without a path")
            elif len(files) < MAX_FILES:
                current = FileChange(*header)
                files.append(current)
            continue
        if current is None:
            if line:
                problems.append(f"line {number}: {clip(line, 60, oneline=True)!r} where a file header should be")
            continue
        if not _read_line(current, line):
            problems.append(f"line {number}: {clip(line, 60, oneline=True)!r} in the {current.op} of {current.path}")
    if not ended and lines:
        problems.append(f"no '{END}' line")
    if not files and not problems:
        problems.append("it names no file")
    return Patch(tuple(files), problems[0] if problems else "")


def _read_line(change: FileChange, line: str) -> bool:
    """Count one line of a file's hunk; False when it has no place there."""
    mark, rest = line[:1], line[1:]
    if change.op == "delete":
        return not line
    if change.op == "add":
        if mark != "+":
            return False
        change.added += 1
        if len(change.new) < MAX_KEPT:
            change.new.append(rest)
        return True
    if line.startswith(MOVE) and not (change.move_to or change.added or change.removed):
        change.move_to = line[len(MOVE):].strip()
        return bool(change.move_to)
    if mark == "+":
        change.added += 1
        if len(change.new) < MAX_KEPT:
            change.new.append(rest)
    elif mark == "-":
        change.removed += 1
        if len(change.old) < MAX_KEPT:
            change.old.append(rest)
    return mark in "+- " or line.startswith("@@") or line.strip() == END_OF_FILE   # '' (blank context) is in it


def patch_text(tool_input: Any) -> str:
    """The patch an apply_patch call carries: ``{"command": <text>}`` (the hooks' shape), else ''."""
    inp = as_dict(tool_input)
    return next((inp[k] for k in ("command", "input", "patch") if isinstance(inp.get(k), str)), "")


def patch_outcome(response: Any) -> tuple[str, str]:
    """(outcome, detail) of an apply_patch call that PostToolUse reported: Codex's text starts with its exit
    code (``Exit code: 0``); Copilot reports a failed call as PostToolUseFailure instead."""
    text = as_str(response)
    found = _EXIT.match(text)
    if found is None or int(found.group(1)) == 0:
        return "ok", ""
    head = f"exit {int(found.group(1))}"
    rest = text[found.end():].strip()
    return "error", (f"{head}: " + clip(rest, MAX_DETAIL - len(head) - 2, tail=True)) if rest else head


def _file_observation(call: Observation, change: FileChange, n: int, root: str | None, cwd: str) -> Observation:
    path = rel_path(change.path, root, cwd)
    files: tuple[str, ...]
    counts = f"+{change.added} -{change.removed} lines"
    detail = ""
    if change.op == "add":
        kind, files, text = "write", (path,), f"created ({plural(change.added, 'line')})"
        if not is_sensitive_path(change.path):
            detail = with_comments("", [("", "\n".join(change.new))]).lstrip("\n")
    elif change.op == "delete":
        kind, files, text = "edit", (path,), "deleted"
    else:
        target = rel_path(change.move_to, root, cwd) if change.move_to else ""
        kind, files = "edit", (target, path) if target else (path,)
        text = f"moved from {path} ({counts})" if target else f"patched ({counts})"
        if (change.old or change.new) and not any(is_sensitive_path(p) for p in (change.path, change.move_to)):
            old, new = "\n".join(change.old), "\n".join(change.new)
            detail = with_comments(edit_excerpt(old, new), [(old, new)])
    if call.outcome not in ("ok", "attempted") and call.detail:
        detail = call.detail   # a failed call: why it failed says more than what it meant to change
    return replace(call, kind=kind, files=tuple(f for f in files if f), text=text, detail=clip(detail, MAX_DETAIL),
                   event_id=f"{call.event_id}#{n}" if call.event_id else "")


def split_patch_call(call: Observation, payload: dict, root: str | None) -> list[Observation]:
    """One observation per file an apply_patch ``call`` touches; when its patch is not well formed, the call's
    own observation (an unknown tool) with the reason and the files its headers name."""
    cwd = as_str(payload.get("cwd"))
    patch = parse_patch(patch_text(payload.get("tool_input")))
    if not patch.problem:
        return [_file_observation(call, change, n, root, cwd) for n, change in enumerate(patch.files, 1)]
    logger.warning("an apply_patch call was kept as an unknown tool: its patch is not well formed (%s)",
                   patch.problem)
    named = tuple(dict.fromkeys(p for c in patch.files for p in (rel_path(c.path, root, cwd),
                                                                 rel_path(c.move_to, root, cwd)) if p))
    said = "; ".join(x for x in (call.detail, f"patch not read: {patch.problem}") if x)
    return [replace(call, files=named, detail=clip(said, MAX_DETAIL))]
