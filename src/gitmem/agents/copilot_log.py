"""Copilot's session log read back at flush: the user's words and the assistant's whole replies.

Copilot writes each session to ``$COPILOT_HOME/session-state/<session id>/events.jsonl``
(``transcript_path`` of its Stop payloads; tests/data/copilot/README.md). Its hooks
carry no reply at all (Stop has no ``last_assistant_message``): the log has every one.

Read with the Claude Code reader's machinery (capture/transcript.py ``read_turns``), so the same invariants
hold: only a regular file inside ``$COPILOT_HOME/session-state`` or ``~/.copilot/session-state`` is read, never
through a symlink; the same bounds; every text redacted as it is read; nothing raises on a bad file.

What is read, per record (``{"type", "data", "id", "timestamp", "parentId"}``), as Copilot 1.0.102 writes them:
``user.message`` (``data.content``: what the person typed, without the ``transformedContent`` Copilot sends
the model) and ``assistant.message`` with a non-empty ``data.content`` (a message that only calls tools has
``""``). Hook records, the system prompt, tool calls and their results are left out.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable

from gitmem.agents.copilot import copilot_home
from gitmem.capture.payload_fields import as_dict, as_str
from gitmem.capture.transcript import Found, Transcript, make_turn, read_turns

_ROLES = {"user.message": "user", "assistant.message": "assistant"}


def sessions_folders() -> tuple[Path, ...]:
    """Where Copilot keeps session logs: ``$COPILOT_HOME/session-state`` when set (absolute), and
    ``~/.copilot/session-state``."""
    folders = [copilot_home() / "session-state"] if os.path.isabs(os.environ.get("COPILOT_HOME") or "") else []
    return tuple(dict.fromkeys([*folders, Path.home() / ".copilot" / "session-state"]))


def _record(record: dict) -> Iterable[Found]:
    role = _ROLES.get(as_str(record.get("type")))
    text = as_str(as_dict(record.get("data")).get("content")) if role else ""
    return (make_turn(role, [text], record.get("timestamp")),) if role and text.strip() else ()


def read_copilot_log(path: str | None) -> Transcript:
    """The turns of a Copilot session log, bounded and redacted; nothing for any other path."""
    return read_turns(path, sessions_folders(), _record)
