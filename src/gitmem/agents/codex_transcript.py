"""Codex's transcript read back at flush: the user's words, the assistant's whole replies, and shell exit codes.

Codex writes each session to ``$CODEX_HOME/sessions/YYYY/MM/DD/rollout-<time>-<id>.jsonl``
(``transcript_path`` in every hook payload; tests/data/codex/README.md). Its
hooks carry only the last reply of a turn, and a shell call's PostToolUse
carries the output without the exit status: the transcript has both.

Read with the Claude Code reader's machinery (capture/transcript.py ``read_turns``), so the same invariants
hold: only a regular file inside ``$CODEX_HOME/sessions`` or ``~/.codex/sessions`` is read, never through a
symlink; the same bounds; every text redacted as it is read; nothing raises on a bad file.

What is read, per record (``{"timestamp", "type", "payload"}``), as codex 0.171.0 writes them:
- ``event_msg`` ``item_completed`` with a ``UserMessage`` (what the person typed) or an ``AgentMessage``
  (every reply, the ones before a tool call too): text blocks only. The ``response_item`` messages are the
  model's input (developer instructions, environment context, gitmem's own brief) and are left out.
- ``event_msg`` ``user_message`` / ``agent_message`` (``message``: the text), the form earlier Codex versions
  wrote; where a version writes both forms, a turn told in the other form right after it is kept once.
- exit codes: ``item_completed`` ``CommandExecution`` (``id`` = the hook's ``tool_use_id``, ``exit_code``),
  else the ``function_call_output`` text "Process exited with code N" of that ``call_id``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Iterable

from gitmem.agents.codex import codex_home
from gitmem.capture.payload_fields import as_dict, as_int, as_str
from gitmem.capture.transcript import ExitCode, Found, Transcript, Turn, make_turn, read_turns

_EXITED = re.compile(r"^Process exited with code (-?\d{1,6})$", re.MULTILINE)
_ROLES = {"UserMessage": "user", "AgentMessage": "assistant", "user_message": "user", "agent_message": "assistant"}
MAX_CALL_ID = 200


def sessions_folders() -> tuple[Path, ...]:
    """Where Codex keeps transcripts: ``$CODEX_HOME/sessions`` when set (absolute), and ``~/.codex/sessions``."""
    folders = [codex_home() / "sessions"] if os.path.isabs(os.environ.get("CODEX_HOME") or "") else []
    return tuple(dict.fromkeys([*folders, Path.home() / ".codex" / "sessions"]))


def _texts(content: object) -> list[str]:
    return [as_str(b.get("text")) for b in content if isinstance(b, dict)
            and str(b.get("type")).lower() == "text"] if isinstance(content, list) else []


def _call_id(value: object) -> str:
    text = as_str(value)
    return text if 0 < len(text) <= MAX_CALL_ID else ""


def _record(record: dict) -> tuple[str, Found]:
    """(the form it was written in, what it says) of one transcript record."""
    if record.get("type") == "response_item":
        item = as_dict(record.get("payload"))
        if item.get("type") == "function_call_output" and _call_id(item.get("call_id")):
            found = _EXITED.search(as_str(item.get("output"))[:1000])
            if found:
                return "", ExitCode(item["call_id"], int(found.group(1)))
        return "", None
    if record.get("type") != "event_msg":
        return "", None
    event = as_dict(record.get("payload"))
    kind = event.get("type")
    if kind in ("user_message", "agent_message"):
        return "message", make_turn(_ROLES[kind], [as_str(event.get("message"))], record.get("timestamp"))
    if kind != "item_completed":
        return "", None
    item = as_dict(event.get("item"))
    if item.get("type") in ("UserMessage", "AgentMessage"):
        return "item", make_turn(_ROLES[item["type"]], _texts(item.get("content")), record.get("timestamp"))
    code = as_int(item.get("exit_code"))
    if item.get("type") == "CommandExecution" and _call_id(item.get("id")) and code is not None:
        return "", ExitCode(item["id"], code)
    return "", None


class _Reader:
    """Reads one file's records in order; a turn the other form told just before is dropped."""

    def __init__(self) -> None:
        self.last: tuple[str, str, str] = ("", "", "")   # form, role, text

    def __call__(self, record: dict) -> Iterable[Found]:
        form, found = _record(record)
        if isinstance(found, Turn):
            if self.last[1:] == (found.role, found.text) and self.last[0] != form:
                return ()
            self.last = (form, found.role, found.text)
        return (found,)


def read_codex_transcript(path: str | None) -> Transcript:
    """The turns and shell exit codes of a Codex transcript, bounded and redacted; nothing for any other path."""
    return read_turns(path, sessions_folders(), _Reader())
