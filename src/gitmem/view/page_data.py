"""What ``gitmem view`` shows: the sessions, the decisions and the files they concern, as one JSON document.

Read from the memory ref (one ``ls-tree``, one ``cat-file --batch``) and this work tree's decision files;
nothing else is consulted (no index, no network), so the page is the memory as of the ref's tip.

Invariants:
- The document and the work are bounded: every text is cut to ``TEXT_CHARS``; every summary is read, but
  observations only for the newest sessions, at most ``OBSERVATIONS_PER_SESSION`` each and
  ``OBSERVATIONS_PER_PAGE`` in all (parsing observation files is most of the cost: 90,000 of them take
  ~12 s); what was left out is counted (a summary's ``observation_count``), so the page says so and names
  ``gitmem show <id>``.
- Text is copied as recorded: escaping is the page's job (``page.embed_json``, ``textContent`` in the page).
- A record that does not parse is left out and named in ``errors``, never a failure of the whole page.
- Which decisions concern a path is decided here, with the same matching as ``gitmem why``
  (``decision_files.concerns``); the page only looks the answer up.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gitmem.decisions.decision_files import DecisionFile, concerns, read_decisions, stated_text
from gitmem.git import Repo
from gitmem.index.query import MIN_PREFIX
from gitmem.progress import Progress
from gitmem.recall import STOPWORDS
from gitmem.store import memory_ref
from gitmem.store.records import Observation, SessionSummary

logger = logging.getLogger(__name__)

TEXT_CHARS = 600                 # one text field (a learned item, an observation's text) in the page
BODY_CHARS = 4000                # a decision's body
OBSERVATIONS_PER_SESSION = 40
OBSERVATIONS_PER_PAGE = 4_000    # the newest ~100 sessions': past it a session lists only its summary
READ_CHUNK = 25                  # session folders whose observations are read per ``read_sessions``
MAX_ERRORS = 20


@dataclass(frozen=True, slots=True)
class PageData:
    """The page's JSON document and the counts a command reports."""

    document: dict[str, Any]
    sessions: int
    decisions: int
    observations_left_out: int


def _cut(text: str, limit: int = TEXT_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _cuts(items: tuple[str, ...]) -> list[str]:
    return [_cut(i) for i in items]


def _observation(o: Observation) -> list[Any]:
    """``[ts, kind, tool, text, files, command, outcome]``: a row, not a mapping (20,000 of them)."""
    return [o.ts, o.kind, o.tool, _cut(o.text or o.detail), list(o.files[:20]), _cut(o.command, 300), o.outcome]


def _session(s: SessionSummary | None, session_id: str, observations: tuple[Observation, ...] | None,
             room: int) -> tuple[dict[str, Any], int]:
    """One session's entry and how many of its observations it holds (at most ``room``; ``observations`` is
    None when they were not read, and the summary's count stands for them)."""
    shown = (observations or ())[:max(0, min(room, OBSERVATIONS_PER_SESSION))]
    total = len(observations) if observations is not None else (s.observation_count if s else 0)
    entry: dict[str, Any] = {"id": session_id, "obs": [_observation(o) for o in shown], "obsTotal": total}
    if s is None:
        entry.update(title="(no summary yet)", date=min((o.ts for o in observations or ()), default=""))
        return entry, len(shown)
    entry.update(
        title=_cut(s.title, 300), date=s.ended_at or s.started_at, start=s.started_at, author=s.author,
        agent=s.agent, branch=s.branch, request=_cut(s.request), investigated=_cuts(s.investigated),
        learned=_cuts(s.learned), completed=_cuts(s.completed), deadEnds=_cuts(s.dead_ends),
        nextSteps=_cuts(s.next_steps), commits=list(s.commits[:20]),
        decisions=[{"title": _cut(d.title, 300), "decision": _cut(d.decision), "rationale": _cut(d.rationale),
                    "alternatives": _cuts(d.alternatives), "files": list(d.files[:20])} for d in s.decisions],
        filesRead=list(s.files_read[:200]), filesModified=list(s.files_modified[:200]),
        tags=list(s.tags), summarizer=s.summarizer)
    return entry, len(shown)


def _decision(f: DecisionFile, superseded_by: dict[str, tuple[str, ...]]) -> dict[str, Any]:
    d = f.decision
    return {"id": d.id, "title": _cut(d.title, 300), "status": d.status, "date": d.date, "authors": list(d.authors),
            "supersedes": list(d.supersedes), "supersededBy": list(superseded_by.get(d.id, ())),
            "files": list(d.files), "tags": list(d.tags), "session": d.session, "path": f.path,
            "body": _cut(stated_text(d.body), BODY_CHARS)}


def _file_decisions(paths: set[str], files: tuple[DecisionFile, ...]) -> dict[str, list[str]]:
    """``path -> ids of the decisions that concern it`` for every recorded path some decision concerns."""
    with_files = [f for f in files if f.decision.files]
    out: dict[str, list[str]] = {}
    for path in sorted(paths):
        ids = [f.decision.id for f in with_files if concerns(f.decision, [path])]
        if ids:
            out[path] = ids
    return out


def _paths_of(entry: dict[str, Any]) -> set[str]:
    paths = set(entry.get("filesRead", ())) | set(entry.get("filesModified", ()))
    for row in entry["obs"]:
        paths.update(row[4])
    return paths


def _read_summaries(repo: Repo, progress: Progress | None,
                    ) -> tuple[str | None, list[memory_ref.SessionRecord], list[str]]:
    """Every session's summary, from one ``ls-tree -r`` and one ``cat-file --batch`` (500 folders per
    pathspec ``ls-tree`` cost 3x as much at 20,000 sessions); ``progress`` is told the summaries parsed, most
    of a page's time. The ref's tip they were read at comes first; a session with no summary yet is not listed."""
    read = memory_ref.read_memory(repo, summaries_only=True, progress=progress)
    return read.tip, [r for r in read.sessions if r.summary is not None], [e.message for e in read.errors]


def collect(repo: Repo, root: Path, *, progress: Progress | None = None) -> PageData:
    """The page's document for the repository whose work tree is ``root``."""
    tip, summaries, errors = _read_summaries(repo, progress)
    records = sorted(summaries, key=lambda r: ((r.summary.ended_at or r.summary.started_at)
                                               if r.summary else "", r.session_id), reverse=True)
    sessions: list[dict[str, Any]] = []
    room, left_out = OBSERVATIONS_PER_PAGE, 0
    observed: dict[str, tuple[Observation, ...]] = {}
    for n, rec in enumerate(records, 1):
        if room > 0 and rec.path not in observed and tip is not None:
            chunk = [r.path for r in records[n - 1:n - 1 + READ_CHUNK]]
            read = memory_ref.read_sessions(repo, chunk, tip=tip)
            observed.update({r.path: r.observations for r in read.sessions})
            errors += [e.message for e in read.errors if e.message not in errors]
        entry, shown = _session(rec.summary, rec.session_id, observed.get(rec.path), room)
        sessions.append(entry)
        room -= shown
        left_out += entry["obsTotal"] - shown
    found = read_decisions(root)
    superseded_by = found.superseded_by()
    paths = set().union(*(_paths_of(s) for s in sessions)) if sessions else set()
    paths.update(p for f in found.files for p in f.decision.files if not any(c in p for c in "*?["))
    errors = (errors + [e.message for e in found.errors])[:MAX_ERRORS]
    for message in errors:
        logger.warning("view skips %s", message)
    document = {
        "generated": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "repository": root.name, "tip": tip or "",
        "search": {"stopwords": sorted(STOPWORDS), "minPrefix": MIN_PREFIX},
        "sessions": sessions,
        "decisions": [_decision(f, superseded_by) for f in found.files],
        "fileDecisions": _file_decisions(paths, found.files),
        "observationsLeftOut": left_out,
        "errors": errors,
    }
    return PageData(document, len(sessions), len(found.files), left_out)
