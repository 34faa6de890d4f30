"""What a summarizer is given and what it gives back: a session's observations in, a ``Draft`` out.

Every backend (offline, Anthropic API, claude CLI) takes a ``SessionInput`` and
returns a ``Draft``. A Draft is a ``SessionSummary`` (records.py is the one home of
its fields), of which a summarizer fills only the content and its own facts.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from gitmem.capture.transcript import Turn
from gitmem.store.records import Observation, SessionSummary

# The fields a summarizer writes: what the session asked, learned, did and decided.
CONTENT_FIELDS = ("title", "request", "investigated", "learned", "completed", "next_steps", "dead_ends", "decisions",
                  "tags")


@dataclass(frozen=True, slots=True)
class SessionInput:
    session_id: str
    observations: tuple[Observation, ...]
    previous: SessionSummary | None = None
    last_message: str = ""
    state_dir: Path | None = None  # <common-dir>/gitmem: where the claude lock lives
    transcript: tuple[Turn, ...] = ()  # the user's words and the assistant's whole replies, redacted (may be empty)
    transcript_bytes: int = 0          # the raw transcript's size: the model input's budget is a share of it


Draft = SessionSummary
"""What a summarizer returns: a SessionSummary holding what the session asked, learned, did and decided, and the
summarizer's own facts (summarizer, model, tokens, fallback_reason). Its git facts (id, times, author, branch,
commits, files) stay blank until the flush worker fills them in (``flush.build_summary``)."""


def new_draft(**content: Any) -> Draft:
    return SessionSummary(id="", started_at="", **content)


def content_of(summary: SessionSummary) -> Draft:
    """A summary's content alone (``CONTENT_FIELDS``), as a draft: its git and summarizer facts left blank."""
    return new_draft(**{k: getattr(summary, k) for k in CONTENT_FIELDS})


def unique(items: Sequence[str], limit: int) -> tuple[str, ...]:
    return tuple(dict.fromkeys(i for i in items if i))[:limit]
