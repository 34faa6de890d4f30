"""The files in play in a checkout, and sessions ranked by how much of them they touched and how recently.

Invariants:
- The files in play are the work tree's changes first (what the developer is editing now), then the files
  of the last commits, newest first; ``.gitmem/`` is not code in play.
- A session's weight on them: each file in play it changed counts fully (a work-tree change more than a
  file of an older commit), one it only read counts half; the weight is bounded, so a session that
  touched everything does not outrank all others by size alone.
- The order of a branch's sessions mixes that weight with recency: with no file in play the order is by
  recency alone, and a session that touched the files in play moves up ``OVERLAP_PLACES`` places per unit
  of weight, never past ``MAX_WEIGHT`` units; on a tie the one that touched more of them goes first. An
  old session on the file being edited now thus comes before the newest few that did not touch it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from gitmem import globs
from gitmem.git import Repo
from gitmem.git.history import recently_changed_files
from gitmem.git.worktree import uncommitted_paths
from gitmem.store.records import SessionSummary

MAX_INTEREST_FILES = 12
RECENT_COMMITS = 20
OVERLAP_PLACES = 4.0   # places of recency one file changed in the work tree is worth (a commit's: half)
MAX_WEIGHT = 2.0
COMMITTED_WEIGHT = 0.5  # a file of a recent commit, against one changed in the work tree
READ_WEIGHT = 0.5


@dataclass(frozen=True, slots=True)
class FilesInPlay:
    changed: tuple[str, ...]     # changed in the work tree
    committed: tuple[str, ...]   # changed by the last commits, newest first

    @property
    def ordered(self) -> tuple[str, ...]:
        """Work-tree changes, then commits' files, each once."""
        return tuple(dict.fromkeys((*self.changed, *self.committed)))[:MAX_INTEREST_FILES * 4]

    def weight(self, s: SessionSummary) -> float:
        """How much of the files in play ``s`` touched (see the module doc)."""
        total = 0.0
        for files, share in ((s.files_modified, 1.0), (s.files_read, READ_WEIGHT)):
            for path in self.changed[:MAX_INTEREST_FILES]:
                if any(globs.matches(path, f) for f in files):
                    total += share
            for path in self.committed[:MAX_INTEREST_FILES]:
                if path not in self.changed and any(globs.matches(path, f) for f in files):
                    total += share * COMMITTED_WEIGHT
        return min(total, MAX_WEIGHT)


def files_in_play(repo: Repo) -> FilesInPlay:
    """Files changed in the work tree, then files of the last commits: what this checkout is working on."""
    changed = tuple(dict.fromkeys(p for p in uncommitted_paths(repo) if p and not p.startswith(".gitmem/")))
    committed = tuple(dict.fromkeys(p for p in recently_changed_files(repo, RECENT_COMMITS)
                                    if p and not p.startswith(".gitmem/")))
    return FilesInPlay(changed, committed)


def by_relevance(sessions: Sequence[SessionSummary], files: FilesInPlay) -> list[SessionSummary]:
    """``sessions`` (newest first) reordered by recency and the weight of the files in play they touched."""
    weight = {s.id: files.weight(s) for s in sessions}
    score = {s.id: n - OVERLAP_PLACES * weight[s.id] for n, s in enumerate(sessions)}
    return sorted(sessions, key=lambda s: (score[s.id], -weight[s.id]))   # stable: then by recency
