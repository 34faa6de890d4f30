"""What gitmem knows about the GitHub Copilot CLI: its hook file, its events, its folder trust, and its payloads.

Observed on the real client (``@github/copilot`` 1.0.102, tests/data/copilot/README.md):

- Hooks live in ``<repo>/.github/hooks/*.json``; gitmem writes its own file, ``gitmem.json``, in Claude
  Code's nested shape (``hooks`` → event → ``[{hooks: [{"type": "command", "command", "timeout"}]}]``),
  which Copilot accepts beside its flat one. With PascalCase event names (``SessionStart``, ``PostToolUse``,
  ``Stop``...) Copilot sends snake_case payloads close to Claude Code's (``session_id``, ``cwd``,
  ``tool_name`` as ``Bash``/``Read``/``Edit``/``Write``/``Grep``), so gitmem's one hook script records them
  as is; ``claude_shaped`` turns the rest (``path``, ``old_str``, ``tool_result``...) into Claude's fields at flush.
- Copilot runs a repository's hooks only in a trusted folder: ``trustedFolders`` in
  ``$COPILOT_HOME/config.json`` (the folder or a parent). That is the person's decision: gitmem reads it,
  never writes it. Without it, prompt mode (``copilot -p``) skips the hooks without a word.
- With a GPT model id Copilot offers the freeform ``apply_patch`` tool instead of ``edit``/``create``; its
  hooks name it ``Edit`` (PascalCase) or ``apply_patch`` (camelCase) with the patch as bare text, which
  ``claude_shaped`` turns into Codex's shape (``apply_patch``, ``{"command": <patch>}``) for capture/apply_patch.py.
- SessionStart context is read from a top-level ``{"additionalContext": ...}`` (Claude's
  ``hookSpecificOutput`` is ignored): the hook command names the agent (``<Event> copilot``) and hook.py answers
  in that shape (``hook.TOP_LEVEL_CONTEXT``). It reaches the model as a user message before the prompt.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from dataclasses import replace
from pathlib import Path, PurePosixPath
from typing import Any, Callable, Iterable

from gitmem.capture.apply_patch import APPLY_PATCH
from gitmem.capture.compaction import SpoolEvent
from gitmem.capture.payload_fields import as_dict, as_int, as_str

AGENT = "copilot"                  # what a session's ``agent`` says, and the word the hook command ends with
HOOKS_FILE = ".github/hooks/gitmem.json"
# gitmem's events, named the PascalCase way (Copilot then sends Claude-like snake_case payloads).
COPILOT_EVENTS = ("SessionStart", "UserPromptSubmit", "PostToolUse", "PostToolUseFailure", "PreCompact", "Stop",
                  "SessionEnd")
DEFAULT_TIMEOUT_SECONDS = 10
TIMEOUT_SECONDS = {"SessionStart": 15}
# Copilot's own tool names (its flat hook dialect, or a tool the PascalCase dialect leaves as is) -> Claude's.
TOOL_NAMES = {"bash": "Bash", "view": "Read", "edit": "Edit", "create": "Write", "grep": "Grep", "rg": "Grep",
              "glob": "Glob", "web_fetch": "WebFetch", "task": "Task"}
_SHELL_END = re.compile(r"\n?<shellId: [^>]{1,64} completed with exit code (-?\d{1,6})>\s*$")
MAX_CONFIG_BYTES = 1 << 20


def copilot_home() -> Path:
    """``$COPILOT_HOME``, else ``~/.copilot``: where Copilot keeps config.json (its folder trust) and sessions."""
    return Path(os.environ.get("COPILOT_HOME") or Path.home() / ".copilot")


def found_here(root: Path) -> str:
    """Why ``gitmem init`` sets Copilot up in ``root``: the repository has Copilot files, or ``copilot`` is on
    PATH; '' when neither."""
    github = Path(root) / ".github"
    if (github / "copilot-instructions.md").is_file():
        return ".github/copilot-instructions.md in the repository"
    if (github / "hooks").is_dir() and any((github / "hooks").glob("*.json")):
        return ".github/hooks/ in the repository"
    return "copilot on PATH" if shutil.which("copilot") else ""


def hooks_path(root: Path) -> Path:
    return Path(root).absolute() / HOOKS_FILE


def hooks_config(commands: Callable[[str], str]) -> dict[str, list[dict[str, Any]]]:
    """The ``hooks`` mapping gitmem wants in .github/hooks/gitmem.json: one group per event, no matcher (Copilot
    reads a matcher as a regular expression; none means every tool)."""
    return {event: [{"hooks": [{"type": "command", "command": commands(event),
                                "timeout": TIMEOUT_SECONDS.get(event, DEFAULT_TIMEOUT_SECONDS)}]}]
            for event in COPILOT_EVENTS}


def trusted_folders(config: Path) -> tuple[str, ...]:
    """``trustedFolders`` of Copilot's config.json (JSON after ``//`` comment lines); ValueError when unreadable."""
    try:
        with open(config, "rb") as fh:
            raw = fh.read(MAX_CONFIG_BYTES + 1)
    except FileNotFoundError:
        return ()
    except OSError as exc:
        raise ValueError(f"cannot read {config}: {exc}") from None
    text = "\n".join(line for line in raw.decode("utf-8", "replace").splitlines()
                     if not line.lstrip().startswith("//"))
    try:
        data = json.loads(text) if text.strip() else {}
    except ValueError as exc:
        raise ValueError(f"{config} is not valid JSON ({exc})") from None
    folders = data.get("trustedFolders") if isinstance(data, dict) else None
    return tuple(f for f in folders if isinstance(f, str)) if isinstance(folders, list) else ()


def folder_trusted(root: Path, folders: Iterable[str]) -> bool:
    """Does Copilot trust ``root``: it, or a folder above it, is in ``folders``."""
    here = Path(root).absolute()
    return any(Path(f) == here or Path(f) in here.parents for f in folders if os.path.isabs(f))


def is_copilot_log(path: str) -> bool:
    """True for Copilot's session log: ``<COPILOT_HOME>/session-state/<session id>/events.jsonl``."""
    parts = PurePosixPath(path).parts
    return len(parts) >= 3 and parts[-1] == "events.jsonl" and parts[-3] == "session-state"


# -- payloads at flush -----------------------------------------------------------------------------


def _tool_input(tool: str, inp: dict) -> dict:
    """Copilot's tool input with Claude Code's names for the fields gitmem reads."""
    out = dict(inp)
    renames = {"path": "file_path", "old_str": "old_string", "new_str": "new_string", "file_text": "content"}
    if tool in ("Read", "Edit", "Write"):
        for old, new in renames.items():
            if old in out and new not in out:
                out[new] = out.pop(old)
        span = inp.get("view_range")
        if tool == "Read" and isinstance(span, list) and len(span) == 2 and all(as_int(n) for n in span):
            first, last = span
            out["offset"] = first
            if last > 0:
                out["limit"] = max(last - first + 1, 1)
    elif tool in ("Grep", "Glob") and "path" not in out:
        paths = inp.get("paths")
        first = paths if isinstance(paths, str) else paths[0] if isinstance(paths, list) and paths else None
        if isinstance(first, str):
            out["path"] = first
    return out


def _tool_response(tool: str, result: dict) -> dict | str:
    """Claude Code's ``tool_response`` fields gitmem reads, from Copilot's ``tool_result``; a shell call whose
    status is not said (still running, cut off) gives its output alone, as Codex's do: no exit status claimed."""
    text = as_str(result.get("text_result_for_llm") or result.get("textResultForLlm"))
    if tool == "Bash":
        tail = text[-300:]
        found = _SHELL_END.search(tail)
        if found is None:
            return text
        return {"stdout": text[:len(text) - len(tail) + found.start()], "exit_code": int(found.group(1))}
    if tool == "Write":
        return {"type": "create"}   # Copilot's create tool refuses an existing file
    return {}


def claude_shaped(payload: dict) -> dict:
    """A Copilot hook payload (PascalCase dialect; the camelCase one where it differs) with Claude Code's field
    names and shapes, so capture reads it as it reads Claude Code's. Nothing raises on a bad payload."""
    p = dict(payload)
    for camel, snake in (("sessionId", "session_id"), ("toolName", "tool_name"), ("toolArgs", "tool_input"),
                         ("transcriptPath", "transcript_path"), ("toolResult", "tool_result")):
        if camel in p and snake not in p:
            p[snake] = p.pop(camel)
    raw = as_str(p.get("tool_name"))
    if not raw:
        return p
    tool = TOOL_NAMES.get(raw, raw)
    args = p.get("tool_input")
    if isinstance(args, str):   # the camelCase dialect sends the arguments as JSON text
        try:
            args = json.loads(args)
        except ValueError:
            # apply_patch's freeform input: the patch text itself (the PascalCase dialect names the tool Edit)
            tool = APPLY_PATCH if raw in (APPLY_PATCH, "Edit") else tool
            args = {"command": args} if tool == APPLY_PATCH else {}
    p["tool_name"] = tool
    p["tool_input"] = _tool_input(tool, as_dict(args))
    if "tool_result" in p and "tool_response" not in p:
        p["tool_response"] = _tool_response(tool, as_dict(p.pop("tool_result")))
    return p


def claude_shaped_events(events: list[SpoolEvent]) -> list[SpoolEvent]:
    """The session's spooled events, Copilot's (``agent: copilot``) in Claude Code's shape, the others as they are."""
    return [replace(ev, payload=claude_shaped(ev.payload)) if ev.agent == AGENT else ev for ev in events]
