"""A session's transcript read back: the user's own words and the assistant's whole replies, bounded and redacted.

Claude Code writes every session to a JSONL file (``transcript_path`` in each
hook payload) under the user's Claude projects folder. The hooks see only the
last reply of each turn; the transcript holds every reply whole, so decisions,
reasons and dead ends stated mid-session reach the summarizer. Other agents'
transcripts (agents/codex_transcript.py) are read by ``read_turns`` here too,
with their own folders and their own reading of a record.

Invariants:
- Only a regular file inside the agent's transcript folders (Claude Code:
  ``$CLAUDE_CONFIG_DIR/projects`` or ``~/.claude/projects``) is read, never
  through a symlink: a payload naming any other path reads as no transcript.
- Bounded: at most ``MAX_READ_BYTES`` of the file are read (its head and its
  tail when it is larger), line by line; a line past ``MAX_LINE_BYTES``, a line
  that is not JSON, and records of other kinds are skipped. Each turn is cut to
  ``MAX_TURN_CHARS`` and the turns kept to ``MAX_TOTAL_CHARS`` (the first and
  the latest stay); at most ``MAX_EXIT_CODES`` exit codes are kept. Nothing
  here raises on a bad or missing file.
- Redacted: every text goes through ``payload_fields.clip`` (redaction before
  the cut); a redaction that fails raises, so nothing unredacted is kept.
- Tool calls, tool results, thinking, subagent turns, meta and compaction
  summaries are left out: only text blocks the user or the assistant wrote
  (and, where an agent's hooks do not say it, a shell command's exit code).
"""

from __future__ import annotations

import io
import json
import logging
import os
import stat
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator, Union

from gitmem.capture.payload_fields import as_dict, as_str, clip

logger = logging.getLogger(__name__)

MAX_READ_BYTES = 16 << 20
MAX_LINE_BYTES = 4 << 20
MAX_TURN_CHARS = 20_000
MAX_TOTAL_CHARS = 200_000
MAX_EXIT_CODES = 10_000
_HARNESS_TEXT = ("<command-", "<local-command", "<system-reminder", "Caveat: ", "[Request interrupted")


@dataclass(frozen=True, slots=True)
class Turn:
    """What one person said: ``role`` is ``user`` or ``assistant``; ``ts`` the record's ISO time, or ''."""

    role: str
    text: str
    ts: str = ""


@dataclass(frozen=True, slots=True)
class ExitCode:
    """How a shell command ended, as the transcript says: the tool call's id and the exit code."""

    call_id: str
    code: int


@dataclass(frozen=True, slots=True)
class Transcript:
    """The text turns of a transcript, the exit codes it records, and the size of the raw file they came from."""

    turns: tuple[Turn, ...] = ()
    raw_bytes: int = 0
    omitted: int = 0   # turns left out in the middle to stay within MAX_TOTAL_CHARS
    exit_codes: tuple[ExitCode, ...] = ()

    def exit_code_by_call(self) -> dict[str, int]:
        return {e.call_id: e.code for e in self.exit_codes}


Found = Union[Turn, ExitCode, None]
RecordReader = Callable[[dict], Iterable[Found]]   # one agent's reading of one transcript record


def projects_folders() -> tuple[Path, ...]:
    """Where Claude Code keeps transcripts: ``$CLAUDE_CONFIG_DIR/projects`` when set, and ``~/.claude/projects``."""
    folders = []
    config = os.environ.get("CLAUDE_CONFIG_DIR")
    if config and os.path.isabs(config):
        folders.append(Path(config) / "projects")
    folders.append(Path.home() / ".claude" / "projects")
    return tuple(folders)


def _allowed(path: str, folders: Iterable[Path]) -> bool:
    """An absolute ``.jsonl`` path inside one of ``folders`` whose parts below it are no symlinks."""
    if not path.startswith("/") or not path.endswith(".jsonl") or "\x00" in path:
        return False
    target = Path(os.path.normpath(path))
    for folder in folders:
        try:
            rel = target.relative_to(folder)
        except ValueError:
            continue
        if not rel.parts or ".." in rel.parts:
            continue
        here = folder
        for part in rel.parts:
            here = here / part
            if here.is_symlink():
                return False
        return True
    return False


def _user_text(text: str) -> bool:
    """Whether a user record's text is the person's words, not text the client put there (a command's output,
    a reminder, a caveat)."""
    return bool(text.strip()) and not text.lstrip().startswith(_HARNESS_TEXT)


def make_turn(role: str, texts: Iterable[str], ts: object) -> Turn | None:
    """One turn of ``role`` from its text blocks, redacted and cut to ``MAX_TURN_CHARS``; None when empty."""
    text = clip("\n".join(t for t in texts if t.strip()), MAX_TURN_CHARS)
    return Turn(role, text, clip(ts, 40, oneline=True)) if text.strip() else None


def _turn(record: dict) -> Turn | None:
    if record.get("isSidechain") is True or record.get("isMeta") is True or record.get("isCompactSummary") is True:
        return None
    role = record.get("type")
    if role not in ("user", "assistant"):
        return None
    content = as_dict(record.get("message")).get("content")
    if isinstance(content, str):
        texts = [content]
    elif isinstance(content, list):
        texts = [as_str(b.get("text")) for b in content if isinstance(b, dict) and b.get("type") == "text"]
    else:
        return None
    return make_turn(role, [t for t in texts if role != "user" or _user_text(t)], record.get("timestamp"))


def _lines(fh: io.BufferedReader, size: int) -> Iterator[bytes]:
    """The file's lines, all of them when it is small, else those of its head and of its tail."""
    head = MAX_READ_BYTES // 4 if size > MAX_READ_BYTES else size
    read = 0
    while read < head:
        line = fh.readline(MAX_LINE_BYTES + 1)
        if not line:
            return
        read += len(line)
        yield line
    if size <= MAX_READ_BYTES:
        return
    fh.seek(size - (MAX_READ_BYTES - head))
    fh.readline(MAX_LINE_BYTES + 1)  # the part of a line before the seek point
    yield b'{"omitted": true}'   # marks the gap for the caller
    while True:
        line = fh.readline(MAX_LINE_BYTES + 1)
        if not line:
            return
        yield line


def read_transcript(path: str | None) -> Transcript:
    """The user's and the assistant's text turns of a Claude Code transcript, bounded and redacted.

    A path outside the Claude projects folders, a symlink, a missing or unreadable file give no turns.
    """
    return read_turns(path, projects_folders(), lambda record: (_turn(record),))


def read_turns(path: str | None, folders: Iterable[Path], reader: RecordReader) -> Transcript:
    """The turns and exit codes ``reader`` finds in the records of the JSONL file ``path``, bounded (the first
    turn and the latest ones kept) and redacted; nothing unless ``path`` is a regular file inside ``folders``."""
    folders = tuple(folders)
    if not isinstance(path, str) or not path or not _allowed(path, folders):
        if path:
            logger.info("transcript %r not read: not a file in %s", path[:200], ", ".join(map(str, folders)))
        return Transcript()
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK)
    except OSError:
        return Transcript()
    first: Turn | None = None
    tail: deque[Turn] = deque()
    exits: dict[str, int] = {}
    kept = omitted = 0
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return Transcript()
        with os.fdopen(fd, "rb") as fh:
            fd = -1
            for raw in _lines(fh, info.st_size):
                if len(raw) > MAX_LINE_BYTES or not raw.strip():
                    continue
                try:
                    record = json.loads(raw.decode("utf-8", "replace"))
                except (ValueError, RecursionError):
                    continue
                if not isinstance(record, dict):
                    continue
                if record.get("omitted") is True:
                    omitted += 1
                    continue
                for turn in reader(record):
                    if isinstance(turn, ExitCode):
                        if len(exits) < MAX_EXIT_CODES or turn.call_id in exits:
                            exits.setdefault(turn.call_id, turn.code)   # the first record of a call says it
                        continue
                    if turn is None:
                        continue
                    if first is None:
                        first = turn
                        continue
                    tail.append(turn)
                    kept += len(turn.text)
                    while len(tail) > 1 and kept + len(first.text) > MAX_TOTAL_CHARS:  # the latest turn stays
                        kept -= len(tail.popleft().text)
                        omitted += 1
    except OSError:
        return Transcript()
    finally:
        if fd >= 0:
            os.close(fd)
    turns = ((first,) if first else ()) + tuple(tail)
    return Transcript(turns, info.st_size, omitted, tuple(ExitCode(k, v) for k, v in exits.items()))
