"""Events seen per agent: what each agent's hooks delivered, so an adapter that captures nothing shows it.

Counted where it costs nothing on the hook's path: the flush worker adds each
session's events to ``<state>/agents-seen.json`` once they are in the memory ref
(one small atomic write per flushed session; a worker killed before the release
counts nothing, and the next one counts them once), and ``gitmem status`` adds
what still waits in the spool (lines counted, one line parsed per file to name
its agent). The hook itself does no extra work.

Which agent a session ran in: the agent its hook command named (``_hook.py
<Event> <agent>``), else ``watch`` for ``gitmem watch``'s sessions, else Codex
when its payloads name a Codex transcript, else the Gemini CLI by its event
names or transcript, else Claude Code.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from gitmem.agents import codex, gemini, gemini_events
from gitmem.atomic import write_atomic
from gitmem.capture import spool
from gitmem.capture.compaction import SpoolEvent, parse_spool_line

logger = logging.getLogger(__name__)

SEEN_FILE = "agents-seen.json"


def agent_of(session_id: str, events: Sequence[SpoolEvent]) -> str:
    """Which agent a session ran in (see the module docstring)."""
    named = next((ev.agent for ev in events if ev.agent), "")
    if named:
        return named
    if session_id.startswith("watch-"):
        return "watch"
    if any(codex.is_codex_transcript(str(ev.payload.get("transcript_path") or "")) for ev in events):
        return codex.AGENT
    if gemini_events.is_gemini_session(events):
        return gemini.AGENT
    return "claude-code"


@dataclass(frozen=True, slots=True)
class Activity:
    """What one agent's hooks delivered here: events in memory, events waiting in the spool, the last one's time."""

    flushed: int = 0
    pending: int = 0
    last_ts: float = 0.0

    @property
    def events(self) -> int:
        return self.flushed + self.pending

    def to_json(self) -> dict[str, Any]:
        return {"events": self.events, "flushed": self.flushed, "pending": self.pending,
                "last_event": self.last_ts or None}


def _read(path: Path) -> dict[str, dict[str, Any]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        logger.warning("ignoring unreadable %s: %s", path, exc)
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: v for k, v in data.items() if isinstance(k, str) and isinstance(v, dict)}


@dataclass(frozen=True, slots=True)
class Tally:
    """One session's events, counted for its agent once they are in memory (``count`` after the spool's release)."""

    state_dir: Path
    agent: str
    events: int
    last_ts: float

    def count(self) -> None:
        """Add them to ``agents-seen.json``; never fails the flush (the records are in the ref already)."""
        if not self.events:
            return
        path = self.state_dir / SEEN_FILE
        try:
            data = _read(path)
            row = data.setdefault(self.agent, {})
            row["events"] = _int(row.get("events")) + self.events
            row["last"] = max(_float(row.get("last")), self.last_ts)
            write_atomic(path, (json.dumps(data, indent=2, sort_keys=True) + "\n").encode("utf-8"))
        except OSError as exc:
            logger.warning("could not count the events of %s in %s: %s", self.agent, path, exc)


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def _float(value: Any) -> float:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0 else 0.0


def _pending(folder: Path) -> dict[str, tuple[int, float]]:
    """Events waiting in the spool, per agent: (count, newest file's mtime)."""
    out: dict[str, tuple[int, float]] = {}
    if not folder.is_dir():
        return out
    for path in folder.iterdir():
        if not path.name.endswith((spool.LIVE_SUFFIX, spool.TAKEN_SUFFIX)):
            continue
        try:
            data = path.read_bytes()
            mtime = path.stat().st_mtime
        except OSError:
            continue
        lines = data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)
        first = next((ev for ev in map(parse_spool_line, data[:1 << 20].split(b"\n", 8)[:8]) if ev), None)
        agent = agent_of(path.name.split(".", 1)[0], [first] if first else [])
        count, last = out.get(agent, (0, 0.0))
        out[agent] = (count + lines, max(last, mtime))
    return out


def activity(state_dir: Path) -> dict[str, Activity]:
    """Each agent seen here: events in memory and in the spool, and the last event's time."""
    flushed = _read(state_dir / SEEN_FILE)
    pending = _pending(state_dir / spool.SPOOL_DIR)
    out = {}
    for agent in sorted(set(flushed) | set(pending)):
        row = flushed.get(agent, {})
        waiting, mtime = pending.get(agent, (0, 0.0))
        out[agent] = Activity(flushed=_int(row.get("events")), pending=waiting,
                              last_ts=max(_float(row.get("last")), mtime))
    return out
