"""What gitmem knows about the Codex CLI: its hook file, its events, and how it decides to trust a hook.

Observed on the real client (``@openai/codex`` 0.171.0, tests/data/codex/README.md):

- Hooks live in ``<repo>/.codex/hooks.json``, shaped like Claude Code's settings
  (``hooks`` → event → matcher groups ``{matcher?, hooks: [handler]}``); a
  handler is ``{"type": "command", "command", "timeout"}``. The payloads are
  Claude Code's too (``session_id`` first, ``cwd``, ``transcript_path``; the
  shell tool arrives as ``Bash``), so gitmem's one hook script records them as is.
- Codex loads ``.codex/`` only in a trusted project
  (``[projects."<root>"] trust_level = "trusted"`` in ``$CODEX_HOME/config.toml``)
  and runs an unmanaged hook only when ``[hooks.state."<key>"] trusted_hash``
  there equals the hook's hash; otherwise ``codex exec`` skips it without a word.
  ``trust_key`` and ``trust_hash`` compute what Codex computes.
- ``SessionEnd`` handlers get at most 3 seconds (Codex clamps a larger timeout, and hashes the clamped one).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path, PurePosixPath
from typing import Any, Callable

from gitmem.agents import hooks_file

AGENT = "codex"                 # what a session's ``agent`` says
HOOKS_FILE = ".codex/hooks.json"
# gitmem's events, named as Codex names them (the same names gitmem's hook takes).
CODEX_EVENTS = ("SessionStart", "UserPromptSubmit", "PostToolUse", "PreCompact", "Stop", "SessionEnd")
# The label Codex uses for an event in a trust key and in the hashed identity.
EVENT_LABELS = {"SessionStart": "session_start", "UserPromptSubmit": "user_prompt_submit",
                "PreToolUse": "pre_tool_use", "PostToolUse": "post_tool_use", "PreCompact": "pre_compact",
                "PostCompact": "post_compact", "Stop": "stop", "SessionEnd": "session_end",
                "PermissionRequest": "permission_request", "SubagentStart": "subagent_start",
                "SubagentStop": "subagent_stop"}
DEFAULT_TIMEOUT_SECONDS = 10
TIMEOUT_SECONDS = {"SessionStart": 15, "SessionEnd": 3}
CODEX_DEFAULT_TIMEOUT = 600       # what Codex uses when a handler names none
SESSION_END_DEFAULT_TIMEOUT = 1   # ... for SessionEnd
SESSION_END_MAX_TIMEOUT = 3       # the most Codex gives a SessionEnd handler


def codex_home() -> Path:
    """``$CODEX_HOME``, else ``~/.codex``: where Codex keeps config.toml, its trust entries and transcripts."""
    return Path(os.environ.get("CODEX_HOME") or Path.home() / ".codex")


def found_here(root: Path) -> str:
    """Why ``gitmem init`` sets Codex up in ``root``: the repository has ``.codex/``, or ``codex`` is on PATH;
    '' when neither."""
    return hooks_file.found_here(root, ".codex", "codex")


def hooks_path(root: Path) -> Path:
    return Path(root).absolute() / HOOKS_FILE


def hooks_config(commands: Callable[[str], str]) -> dict[str, list[dict[str, Any]]]:
    """The ``hooks`` mapping gitmem wants in .codex/hooks.json: one group per event, no matcher (every tool)."""
    return {event: [{"hooks": [{"type": "command", "command": commands(event),
                                "timeout": TIMEOUT_SECONDS.get(event, DEFAULT_TIMEOUT_SECONDS)}]}]
            for event in CODEX_EVENTS}


def trust_key(hooks_file: Path, event: str, group: int, handler: int) -> str:
    """The ``[hooks.state]`` key of one handler: its file, event label and position (group, handler)."""
    return f"{Path(hooks_file).absolute()}:{EVENT_LABELS[event]}:{group}:{handler}"


def effective_timeout(event: str, timeout: Any) -> int:
    """The timeout Codex runs (and hashes) a handler with."""
    if event == "SessionEnd":
        if not isinstance(timeout, int) or isinstance(timeout, bool):
            return SESSION_END_DEFAULT_TIMEOUT
        return max(1, min(timeout, SESSION_END_MAX_TIMEOUT))
    if not isinstance(timeout, int) or isinstance(timeout, bool):
        return CODEX_DEFAULT_TIMEOUT
    return max(1, timeout)


def trust_hash(event: str, group: dict[str, Any], handler: dict[str, Any]) -> str:
    """Codex's hash of one command handler: sha256 of the key-sorted, compact JSON of its normalized identity.

    The identity is the event label, the group's matcher (when it has one) and this handler alone, with
    ``type``, ``command``, the effective ``timeout``, ``async`` and ``statusMessage`` (when set).
    """
    normalized: dict[str, Any] = {"type": "command", "command": handler["command"],
                                  "timeout": effective_timeout(event, handler.get("timeout")),
                                  "async": bool(handler.get("async", False))}
    if isinstance(handler.get("statusMessage"), str):
        normalized["statusMessage"] = handler["statusMessage"]
    identity: dict[str, Any] = {"event_name": EVENT_LABELS[event], "hooks": [normalized]}
    if isinstance(group.get("matcher"), str):
        identity["matcher"] = group["matcher"]
    text = json.dumps(identity, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def is_codex_transcript(path: str) -> bool:
    """True for a transcript Codex wrote: ``<CODEX_HOME>/sessions/YYYY/MM/DD/rollout-<time>-<id>.jsonl``.

    Every Codex hook payload names it (``transcript_path``); Claude Code's are ``~/.claude/projects/<slug>/<id>.jsonl``.
    """
    parts = PurePosixPath(path).parts
    return (len(parts) >= 5 and parts[-1].startswith("rollout-") and parts[-1].endswith(".jsonl")
            and parts[-5] == "sessions" and all(p.isdigit() for p in parts[-4:-1]))
