"""Proposed decision files: the decisions a session made, as Markdown beside the code.

Each ``DecisionNote`` of a summary becomes ``.gitmem/decisions/<yyyy-mm-dd>-<slug>.md``
in the session's work tree with ``status: proposed``, the session id and the
files it concerns, so it shows up in ``git status`` and in the pull request.

Invariants:
- Never overwrites a file: a new file appears whole under a free name (a
  taken name gets a short suffix), by a hard link that fails if the name exists.
- Proposes each (session, title) once. A re-flush of the same session finds
  the earlier proposal by its front matter, or in the local ledger
  ``<common-dir>/gitmem/proposed-decisions.jsonl`` when a person edited,
  renamed or deleted (rejected) the file.
- Writes only inside ``.gitmem/decisions/``; never touches the index.
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import json
import logging
import os
import re
import string
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from gitmem.config import DECISIONS_DIR, read_template
from gitmem.errors import RecordError
from gitmem.records import Decision, DecisionNote, SessionSummary, new_decision_id

logger = logging.getLogger(__name__)

LEDGER_FILE = "proposed-decisions.jsonl"
MAX_SLUG = 60
MAX_FILES = 20
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")
_NOT_STATED = "_Not stated in the session._"


@dataclass(frozen=True, slots=True)
class ProposeResult:
    written: tuple[Path, ...] = ()
    already: tuple[str, ...] = ()   # titles proposed before for this session


def slugify(title: str, limit: int = MAX_SLUG) -> str:
    """ASCII words joined by ``-``, cut at a word boundary; ``decision`` when nothing is left."""
    text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode().lower()
    slug = re.sub(r"[^a-z0-9]+", "-", text).strip("-")
    if len(slug) > limit:
        cut = slug[:limit + 1]
        slug = cut[: cut.rfind("-")] if "-" in cut else slug[:limit]
    return slug.strip("-") or "decision"


def title_key(title: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", title.casefold()).split())


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
    alternatives = "\n".join(f"- {' '.join(a.split())}" for a in note.alternatives) or _NOT_STATED

    def para(text: str) -> str:
        return " ".join(text.split()) or _NOT_STATED

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


def _proposed_before(folder: Path, ledger: Path | None, session: str) -> set[str]:
    """Title keys already proposed for ``session``: from the decision files, then the ledger."""
    keys: set[str] = set()
    for path in sorted(folder.glob("*.md")) if folder.is_dir() else ():
        try:
            decision = Decision.from_text(path.read_text(encoding="utf-8"), str(path))
        except (OSError, UnicodeDecodeError, RecordError):
            continue  # a person's broken file: `gitmem check` reports it; the ledger still knows ours
        if decision.session == session:
            keys.add(title_key(decision.title))
    if ledger is not None and ledger.exists():
        for line in ledger.read_text(encoding="utf-8", errors="replace").splitlines():
            with contextlib.suppress(ValueError, AttributeError):
                entry = json.loads(line)
                if entry.get("session") == session:
                    keys.add(str(entry.get("key")))
    return keys


def _create_new(folder: Path, stem: str, suffix: str, text: str) -> Path:
    """Write ``text`` under the first free name of ``stem``, ``stem-<suffix>``, ``stem-<suffix>-2``, ..."""
    tmp = folder / f".{stem[:40]}.{os.getpid()}.tmp"
    tmp.write_text(text, encoding="utf-8")
    try:
        names = [stem, f"{stem}-{suffix}"] + [f"{stem}-{suffix}-{i}" for i in range(2, 100)]
        for name in names:
            path = folder / f"{name}.md"
            try:
                os.link(tmp, path)  # fails if the name exists: never overwrites, never half-written
            except FileExistsError:
                continue
            return path
        raise FileExistsError(f"no free name for {stem} in {folder}")
    finally:
        tmp.unlink(missing_ok=True)


def propose_decisions(root: Path, summary: SessionSummary, state: Path | None = None) -> ProposeResult:
    """Write the summary's decisions not yet proposed for its session; return what was written."""
    if not summary.decisions:
        return ProposeResult()
    folder = root / DECISIONS_DIR
    ledger = state / LEDGER_FILE if state is not None else None
    known = _proposed_before(folder, ledger, summary.id)
    written: list[Path] = []
    already: list[str] = []
    for note in summary.decisions:
        key = title_key(note.title)
        if not key:
            continue
        if key in known:
            already.append(note.title)
            continue
        decision = build_decision(note, summary)
        folder.mkdir(parents=True, exist_ok=True)
        suffix = hashlib.sha256(f"{summary.id}\0{key}".encode()).hexdigest()[:6]
        path = _create_new(folder, f"{decision.date}-{slugify(decision.title)}", suffix, decision.to_text())
        known.add(key)
        written.append(path)
        if ledger is not None:
            ledger.parent.mkdir(parents=True, exist_ok=True)
            with open(ledger, "a", encoding="utf-8") as fh:
                fh.write(json.dumps({"session": summary.id, "key": key, "path": path.name, "id": decision.id}) + "\n")
        logger.info("proposed decision %s (session %s)", path.name, summary.id)
    return ProposeResult(written=tuple(written), already=tuple(already))
