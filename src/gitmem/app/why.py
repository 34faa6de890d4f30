"""``gitmem why <path>``: the decisions and the sessions that concern a file or a folder, newest first.

Decisions come from this work tree's decision files, matched by their
``files`` paths and globs (``globs.matches``), whatever their status.
Sessions come from the search index: a session whose summary lists the path
(read or modified), or one of whose observations touched it.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gitmem.decisions.decision_files import DecisionFile, concerns, read_decisions
from gitmem.errors import GitmemError
from gitmem.git import Repo
from gitmem.index import search
from gitmem.store import layout, memory_ref

logger = logging.getLogger(__name__)

MAX_OBSERVATION_HITS = 500


@dataclass(frozen=True, slots=True)
class SessionMention:
    id: str
    date: str
    author: str
    branch: str
    title: str
    via: str            # "summary" (files read or modified) or "observations"

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "date": self.date, "author": self.author, "branch": self.branch,
                "title": self.title, "via": self.via}


@dataclass(frozen=True, slots=True)
class Why:
    path: str                                   # relative to the work tree root; a folder ends in "/"
    decisions: tuple[DecisionFile, ...]         # newest first, every status
    superseded_by: dict[str, tuple[str, ...]]   # decision id -> ids of the decisions that supersede it
    sessions: tuple[SessionMention, ...]        # newest first


def repo_path(root: Path, cwd: Path, arg: str) -> str:
    """``arg`` (relative to ``cwd``, or absolute) relative to the work tree root; a folder ends in ``/``."""
    raw = arg.strip()
    if not raw:
        raise GitmemError("no path given", hint="gitmem why src/app.py")
    full = Path(os.path.normpath(cwd / raw))   # an absolute `raw` replaces cwd
    rel = None
    for base, target in ((root, full), (root.resolve(), full), (root.resolve(), full.resolve())):
        try:
            rel = target.relative_to(base)
            break
        except ValueError:
            continue
    if rel is None:
        raise GitmemError(f"`{arg}` is outside the repository {root}", hint="name a file or folder in the work tree.")
    text = rel.as_posix()
    if text == ".":
        return "/"
    return text + "/" if raw.endswith("/") or (root / text).is_dir() else text


def why(repo: Repo, path: str, *, limit: int = 20) -> Why:
    """What concerns ``path`` (relative to the work tree root): decisions, then sessions, each newest first."""
    if repo.root is None:
        raise GitmemError("`gitmem why` needs a work tree", hint="run it in a clone, not a bare repository.")
    found = read_decisions(repo.root)
    for err in found.errors:
        logger.warning("skipped %s (run `gitmem check`)", err.message)
    decisions = tuple(f for f in found.files if concerns(f.decision, [path]))
    sessions = _sessions(repo, path.rstrip("/") or ".", limit) if memory_ref.memory_tip(repo) else ()
    return Why(path, decisions, found.superseded_by(), sessions)


def _sessions(repo: Repo, path: str, limit: int) -> tuple[SessionMention, ...]:
    if path == ".":
        hits = search.search(repo, "", types="session", limit=limit)
        return tuple(SessionMention(h.id, h.date, h.author, h.branch, h.title, "summary") for h in hits)
    mentions: dict[str, SessionMention] = {}
    for h in search.search(repo, "", types="session", file=path, limit=limit):
        mentions[h.session_id or h.id] = SessionMention(h.session_id or h.id, h.date, h.author, h.branch, h.title,
                                                        "summary")
    folders: dict[str, str] = {}
    for h in search.search(repo, "", types="observation", file=path, limit=MAX_OBSERVATION_HITS):
        if h.session_id not in mentions and (folder := layout.session_folder(h.path)) is not None:
            folders.setdefault(h.session_id, folder)
    tip = memory_ref.memory_tip(repo)
    if folders and tip:
        memory = memory_ref.read_sessions(repo, set(folders.values()), tip=tip)
        for rec in memory.sessions:
            s = rec.summary
            if s is not None:
                mentions[rec.session_id] = SessionMention(s.id, s.ended_at or s.started_at, s.author, s.branch,
                                                          s.title, "observations")
            else:
                mentions[rec.session_id] = SessionMention(rec.session_id, "", "", "", "(no summary yet)",
                                                          "observations")
    ordered = sorted(mentions.values(), key=lambda m: (m.date, m.id), reverse=True)
    return tuple(ordered[:limit])
