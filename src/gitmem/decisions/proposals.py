"""Decisions a session proposes: files written from its summary's decision notes, or from an assistant's
``save_decision``, for people to review.

Invariants:
- Proposes each decision once: a re-flush of the same session finds the
  earlier proposal by its front matter, or in the local ledger
  ``<common-dir>/gitmem/proposed-decisions.jsonl`` when a person edited,
  renamed or deleted (rejected) the file; a later session that restates a
  decision some file already holds (same title or same decision, in nearly
  the same words) proposes nothing.
- Writes through ``decision_files``: the same never-overwrite naming, and only
  inside ``.gitmem/decisions/``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import hashlib
import json
import logging
import re
import string
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from gitmem import worktree_files
from gitmem.compress import restatement
from gitmem.compress.restatement import title_key
from gitmem.config import DECISIONS_DIR, read_template
from gitmem.decisions.decision_files import NOT_STATED, create_new_file, read_decisions, section_text, slugify
from gitmem.errors import RecordError
from gitmem.store.records import Decision, DecisionNote, SessionSummary, content_id, new_decision_id
from gitmem.worktree_files import DECISION_LIMIT, RefusedFileError

logger = logging.getLogger(__name__)

LEDGER_FILE = "proposed-decisions.jsonl"
MAX_FILES = 20
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True, slots=True)
class ProposeResult:
    written: tuple[Path, ...] = ()
    already: tuple[str, ...] = ()   # titles proposed before for this session, or already in a decision file


def _safe_files(files: Iterable[str]) -> tuple[str, ...]:
    """Repository-relative paths or globs only: nothing absolute, no ``..``, no control characters."""
    out = []
    for f in files:
        f = f.strip()
        if not f or len(f) > 300 or f.startswith(("/", "~")) or re.search(r"[\x00-\x1f]", f):
            continue
        if ".." in f.replace("\\", "/").split("/"):
            continue
        out.append(f)
    return tuple(dict.fromkeys(out))[:MAX_FILES]


def _date_of(summary: SessionSummary) -> str:
    for stamp in (summary.ended_at, summary.started_at):
        if stamp and _DATE.match(stamp):
            return stamp[:10]
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d")


def render_body(note: DecisionNote, summary: SessionSummary) -> str:
    alternatives = "\n".join(f"- {' '.join(a.split())}" for a in note.alternatives) or NOT_STATED

    def para(text: str) -> str:
        return " ".join(text.split()) or NOT_STATED

    body = string.Template(read_template("decision-proposed.md")).safe_substitute(
        session=summary.id, summarizer=summary.summarizer or "offline", context=para(note.context),
        decision=para(note.decision or note.title), rationale=para(note.rationale), alternatives=alternatives)
    return "\n" + body.strip("\n") + "\n"


def build_decision(note: DecisionNote, summary: SessionSummary) -> Decision:
    date = _date_of(summary)
    authors = (summary.author,) if summary.author else ()
    title = " ".join(note.title.split())
    return Decision(id=new_decision_id(title, date, authors, summary.id), title=title, status="proposed",
                    date=date, authors=authors, files=_safe_files(note.files), tags=summary.tags,
                    session=summary.id, body=render_body(note, summary))


@dataclass(frozen=True, slots=True)
class _Known:
    """What was proposed or decided before: title keys (this session's, from the ledger too), and the
    titles and decision texts of every readable decision file."""

    keys: set[str]
    said: list[str]

    def has(self, note: DecisionNote) -> bool:
        key = title_key(note.title)
        if key in self.keys:
            return True
        texts = [t for t in (note.title, note.decision) if t.strip()]
        return any(title_key(t) == title_key(old) or restatement.restates(t, old) for t in texts for old in self.said)

    def add(self, note: DecisionNote) -> None:
        self.keys.add(title_key(note.title))
        self.said.extend(t for t in (note.title, note.decision) if t.strip())


def _proposed_before(root: Path, ledger: Path | None, session: str) -> _Known:
    """What was proposed for ``session`` (decision files, then the ledger) and said in any decision file or
    proposed for any session (the ledger keeps what a review deleted)."""
    keys: set[str] = set()
    said: list[str] = []
    found = read_decisions(root)   # a person's broken file is skipped: `gitmem check` reports it
    for f in found.files:
        if f.decision.session == session:
            keys.add(title_key(f.decision.title))
        said += [t for t in (f.decision.title, section_text(f.decision.body, "decision")) if t.strip()]
    if ledger is not None and ledger.exists():
        for line in ledger.read_text(encoding="utf-8", errors="replace").splitlines():
            with contextlib.suppress(ValueError, AttributeError):
                entry = json.loads(line)
                if entry.get("session") == session:
                    keys.add(str(entry.get("key")))
                elif entry.get("key"):
                    said.append(str(entry["key"]))   # proposed before, maybe deleted in review since
    return _Known(keys, said)


def propose_decisions(root: Path, summary: SessionSummary, state: Path | None = None) -> ProposeResult:
    """Write the summary's decisions not yet proposed for its session nor stated by a decision file; return
    what was written. ``RefusedFileError`` when ``.gitmem/decisions`` is a symbolic link (nothing written)."""
    if not summary.decisions:
        return ProposeResult()
    ledger = state / LEDGER_FILE if state is not None else None
    known = _proposed_before(root, ledger, summary.id)
    written: list[Path] = []
    already: list[str] = []
    for note in summary.decisions:
        key = title_key(note.title)
        if not key:
            continue
        if known.has(note):
            already.append(note.title)
            continue
        decision = build_decision(note, summary)
        suffix = hashlib.sha256(f"{summary.id}\0{key}".encode()).hexdigest()[:6]
        path = create_new_file(root, f"{decision.date}-{slugify(decision.title)}", suffix, decision.to_text())
        known.add(note)
        written.append(path)
        if ledger is not None:
            ledger.parent.mkdir(parents=True, exist_ok=True)
            with open(ledger, "a", encoding="utf-8") as fh:
                fh.write(json.dumps({"session": summary.id, "key": key, "path": path.name, "id": decision.id}) + "\n")
        logger.info("proposed decision %s (session %s)", path.name, summary.id)
    return ProposeResult(written=tuple(written), already=tuple(already))


def propose_decision(root: Path, title: str, decision: str, rationale: str = "", context: str = "",
                     alternatives: Iterable[str] = (), files: Iterable[str] = (), tags: Iterable[str] = (),
                     session: str = "", author: str = "", source: str = "") -> Path:
    """Write one proposed decision from the given fields (an assistant's ``save_decision``); return its file.

    Same template, slug and never-overwrite naming as ``propose_decisions``; every
    text is redacted first, since the file is meant to be committed. Saving the
    same text twice (a retried call) returns the first file instead of a copy.
    """
    from gitmem.redact import redact_text

    def clean(text: str) -> str:
        return redact_text(text or "").text.strip()

    note = DecisionNote(title=" ".join(clean(title).split()), decision=clean(decision), context=clean(context),
                        rationale=clean(rationale), alternatives=tuple(a for a in map(clean, alternatives) if a),
                        files=tuple(files))
    if not title_key(note.title):
        raise RecordError("a decision needs a title with at least one letter or digit",
                          hint="give a short title such as `Use SQLite FTS5 for search`.")
    date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d")
    stand_in = SessionSummary(id=session, title=note.title, started_at=date, author=author,
                              summarizer=source or "gitmem", tags=tuple(dict.fromkeys(t for t in map(clean, tags) if t)))
    made = build_decision(note, stand_in)
    # Two different decisions may share a title on one day: the id covers the text too.
    key = {"title": made.title, "date": date, "authors": list(made.authors), "session": session,
           "note": note.to_dict()}
    body = made.body
    if not session:
        # The template's first line names the session it came from; this one came from no recorded session.
        first, sep, rest = body.lstrip("\n").partition("\n")
        if first.startswith("<!--") and first.endswith("-->"):
            body = (f"\n<!-- Proposed through {source or 'gitmem'}. Review it like code: edit it, then set "
                    f"status to accepted, or to rejected. -->{sep}{rest}")
    made = dataclasses.replace(made, id=content_id("d-", key, 10), body=body)
    text = made.to_text()
    stem = f"{made.date}-{slugify(made.title)}"
    for name in worktree_files.list_folder(root, DECISIONS_DIR, ".md").names:
        if name.startswith(stem):
            with contextlib.suppress(OSError, UnicodeDecodeError, RefusedFileError):
                if worktree_files.read_file(root, f"{DECISIONS_DIR}/{name}", DECISION_LIMIT) == text.encode():
                    return root / DECISIONS_DIR / name
    suffix = hashlib.sha256(f"{session}\0{title_key(made.title)}\0{author}".encode()).hexdigest()[:6]
    path = create_new_file(root, stem, suffix, text)
    logger.info("proposed decision %s (%s)", path.name, source or "gitmem")
    return path
