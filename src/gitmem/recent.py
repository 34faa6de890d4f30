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

from gitmem.errors import RecordError
from gitmem.git import Repo
from gitmem.records import SessionSummary
from gitmem.store import SESSIONS_DIR, SUMMARY_FILE

logger = logging.getLogger(__name__)

COMMITS_PER_SESSION = 4     # flushes per session read from the log before giving up on finding more


def recent_folders(repo: Repo, tip: str, limit: int) -> list[str]:
    """Up to ``limit`` ``sessions/<month>/<id>`` folders, the most recently written first."""
    out = repo.git_bytes("log", "--format=%x01", "--name-only", "-z", "--no-renames",
                         f"--max-count={max(1, limit * COMMITS_PER_SESSION)}", tip, "--", SESSIONS_DIR + "/").stdout
    found: dict[str, None] = {}
    for commit in out.split(b"\x01"):
        folders = set()
        for raw in commit.split(b"\0"):
            parts = raw.strip(b"\n").decode("utf-8", "surrogateescape").split("/")
            if len(parts) >= 4 and parts[0] == SESSIONS_DIR:
                folders.add("/".join(parts[:3]))
        for folder in sorted(folders, key=lambda f: (f.split("/")[1], f), reverse=True):
            found.setdefault(folder)
        if len(found) >= limit:
            break
    return list(found)[:limit]


def read_summaries(repo: Repo, tip: str, folders: Iterable[str]) -> list[SessionSummary]:
    """The ``summary.md`` of each folder that has one, as it is at ``tip``: one ``ls-tree``, one ``cat-file``."""
    wanted = sorted({f.rstrip("/") for f in folders})
    if not wanted:
        return []
    out = repo.git_bytes("ls-tree", "-z", "--full-tree", tip, "--", *(f"{f}/{SUMMARY_FILE}" for f in wanted)).stdout
    paths: dict[str, str] = {}
    for item in out.split(b"\0"):
        meta, _, name = item.partition(b"\t")
        fields = meta.split(b" ")
        if name and len(fields) == 3 and fields[1] == b"blob":
            paths[name.decode("utf-8", "surrogateescape")] = fields[2].decode()
    blobs = repo.read_blobs(list(paths.values()))
    summaries = []
    for path, oid in paths.items():
        try:
            summaries.append(SessionSummary.from_text(blobs.get(oid, b"").decode("utf-8"), path))
        except (RecordError, UnicodeDecodeError) as exc:
            logger.warning("brief skips %s: %s", path, exc)
    return summaries


def recent_summaries(repo: Repo, tip: str, limit: int) -> list[SessionSummary]:
    """The summaries of the ``limit`` most recently written sessions (folders without one are left out)."""
    return read_summaries(repo, tip, recent_folders(repo, tip, limit))
