"""The newest recorded sessions, read straight from the memory ref without the search index.

The first SessionStart in a fresh clone of a big memory cannot wait for the index (a year of a team is
hundreds of thousands of observations); the brief needs only the newest sessions. Invariants:
- Cost is bounded by ``limit``, not by the size of the ref: one ``git log`` of the newest commits that
  touched ``sessions/`` (each flush is a commit naming its session folder), one ``ls-tree`` of the chosen
  folders' ``summary.md`` and one ``cat-file --batch``. Observations are never read.
- Newest first by commit order; within one commit (a bulk import, a merge that is one commit) the newer
  month folders first.
- A summary that does not parse is skipped and logged, never an error.
"""

from __future__ import annotations

import logging
from typing import Iterable

from gitmem.git import Repo
from gitmem.git.history import paths_changed_per_commit
from gitmem.store import memory_ref
from gitmem.store.layout import SESSIONS_DIR, folder_month, session_folder
from gitmem.store.records import SessionSummary

logger = logging.getLogger(__name__)

COMMITS_PER_SESSION = 4     # flushes per session read from the log before giving up on finding more


def recent_folders(repo: Repo, tip: str, limit: int) -> list[str]:
    """Up to ``limit`` ``sessions/<month>/<id>`` folders, the most recently written first."""
    found: dict[str, None] = {}
    for paths in paths_changed_per_commit(repo, tip, SESSIONS_DIR + "/", max(1, limit * COMMITS_PER_SESSION)):
        folders = {folder for path in paths if (folder := session_folder(path)) is not None}
        for folder in sorted(folders, key=lambda f: (folder_month(f), f), reverse=True):
            found.setdefault(folder)
        if len(found) >= limit:
            break
    return list(found)[:limit]


def read_summaries(repo: Repo, tip: str, folders: Iterable[str]) -> list[SessionSummary]:
    """The ``summary.md`` of each folder that has one, as it is at ``tip`` (``memory_ref.read_sessions``: one
    ``ls-tree``, one ``cat-file``, each distinct file parsed once, a file in another session's folder refused)."""
    memory = memory_ref.read_sessions(repo, folders, tip=tip, summaries_only=True)
    for error in memory.errors:
        logger.warning("brief skips %s", error)
    return [r.summary for r in memory.sessions if r.summary is not None]


def recent_summaries(repo: Repo, tip: str, limit: int) -> list[SessionSummary]:
    """The summaries of the ``limit`` most recently written sessions (folders without one are left out)."""
    return read_summaries(repo, tip, recent_folders(repo, tip, limit))
