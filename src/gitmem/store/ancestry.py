"""Which recorded sessions are part of this checkout, judged by commit ancestry, and which are one's own.

Invariants:
- A session is merged here when its work is reachable from ``HEAD``, whatever the branch names say: a
  session from a branch merged with ``--no-ff`` is merged on main, and main's sessions are merged on a
  branch made from main.
  - A session that made commits: its last commit is reachable from ``HEAD``.
  - A session that made none: the commit it worked on (``head_end``, else ``head_start``) is reachable, and,
    when it changed files (left uncommitted in the session, so committed later on its branch), it ran on
    this branch, or its branch's tip (local or any remote's) is reachable too. A session that only read
    applies to every descendant of the commit it read.
  - A session with no commit recorded at all (older records): it ran on this branch.
- Reachability costs one ``rev-list`` of the newest ``WINDOW`` commits of ``HEAD``, one ``cat-file
  --batch-check`` of the others (a commit not in this repository is not merged), plus one
  ``merge-base --is-ancestor`` per present commit older than the window; answers are kept per ``HEAD`` commit in
  ``<state>/ancestry.json`` (a commit's reachability from a fixed commit never changes), written only when
  the state folder exists.
- "Own" is ``identity.is_mine``: the session's author is the local user, as git resolves the identity here.
"""

from __future__ import annotations

import json
import logging
import os
from typing import Iterable

from gitmem.config import state_dir
from gitmem.git import Repo
from gitmem.git.history import newest_commits
from gitmem.git.objects import object_types
from gitmem.git.refs import refs_matching
from gitmem.store import identity
from gitmem.store.records import SessionSummary

logger = logging.getLogger(__name__)

WINDOW = 2_000          # newest commits of HEAD read at once; older ones are asked about one by one
MAX_CACHED = 5_000      # answers kept per HEAD
CACHE_FILE = "ancestry.json"


class Checkout:
    """This work tree's HEAD, branch and git identity, answering "merged here?" and "mine?" for sessions."""

    def __init__(self, repo: Repo, branch: str | None = None) -> None:
        self.repo = repo
        self.branch = branch if branch is not None else repo.current_branch()
        self.head = repo.resolve("HEAD^{commit}")
        self.email = identity.local_user(repo)   # the local user's key: an email, "" when git has no identity
        self._reachable: dict[str, bool] = {}
        self._window: set[str] | None = None
        self._tips: dict[str, list[str]] = {}
        self._dirty = False
        self._load()

    # -- cache --------------------------------------------------------------------------------------

    def _cache_path(self):
        return state_dir(self.repo.common_dir) / CACHE_FILE

    def _load(self) -> None:
        if not self.head:
            return
        try:
            data = json.loads(self._cache_path().read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return
        if isinstance(data, dict) and data.get("head") == self.head and isinstance(data.get("reachable"), dict):
            self._reachable = {k: bool(v) for k, v in data["reachable"].items()}

    def save(self) -> None:
        """Keep the answers for the next render at the same HEAD (never creates the state folder)."""
        path = self._cache_path()
        if not self._dirty or not self.head or not path.parent.is_dir():
            return
        items = list(self._reachable.items())[-MAX_CACHED:]
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            tmp.write_text(json.dumps({"head": self.head, "reachable": dict(items)}), encoding="utf-8")
            os.replace(tmp, path)
        except OSError as exc:
            logger.warning("could not keep ancestry answers in %s: %s", path, exc)
        self._dirty = False

    # -- reachability -------------------------------------------------------------------------------

    def reachable(self, commits: Iterable[str]) -> dict[str, bool]:
        """For each commit id: is it ``HEAD`` or one of its ancestors? (unknown objects: False)."""
        wanted = [c for c in dict.fromkeys(commits) if c]
        todo = [c for c in wanted if c not in self._reachable]
        if todo and self.head:
            if self._window is None:
                self._window = set(newest_commits(self.repo, self.head, WINDOW))
            rest = [c for c in todo if c not in self._window]
            present = self._present(rest)
            for c in todo:
                self._reachable[c] = c in self._window or (c in present and self.repo.is_ancestor(c, self.head))
                self._dirty = True
        return {c: bool(self.head) and self._reachable.get(c, False) for c in wanted}

    def _present(self, commits: list[str]) -> set[str]:
        """Those of ``commits`` that are commits in this repository (one ``cat-file --batch-check``): a
        teammate's commit never fetched here is not merged, and costs no ``merge-base`` run."""
        return {c for c, kind in zip(commits, object_types(self.repo, commits)) if kind == "commit"}

    def _branch_tips(self, branches: Iterable[str]) -> None:
        """Local and remote-tracking tips of ``branches``, from one ``for-each-ref``."""
        names = [b for b in dict.fromkeys(branches) if b and b != "HEAD" and b not in self._tips]
        if not names:
            return
        patterns = [p for b in names for p in (f"refs/heads/{b}", f"refs/remotes/*/{b}")]
        for b in names:
            self._tips[b] = []
        for ref, oid in refs_matching(self.repo, patterns).items():
            for b in names:
                if ref == f"refs/heads/{b}" or (ref.startswith("refs/remotes/") and ref.endswith(f"/{b}")
                                                and ref.count("/") == 2 + b.count("/") + 1):
                    self._tips[b].append(oid)

    def merged(self, sessions: Iterable[SessionSummary]) -> dict[str, bool]:
        """``{session id: merged here}`` for each session (see the module's rules)."""
        sessions = list(sessions)
        anchors = {s.id: (s.commits[-1] if s.commits else (s.head_end or s.head_start)) for s in sessions}
        answers = self.reachable(anchors.values())
        needs_branch = [s for s in sessions if not s.commits and anchors[s.id] and answers.get(anchors[s.id])
                        and s.files_modified and s.branch != self.branch]
        by_branch = {s.id for s in needs_branch}
        self._branch_tips(s.branch for s in needs_branch)
        tips = self.reachable(t for s in needs_branch for t in self._tips.get(s.branch, ()))
        out: dict[str, bool] = {}
        for s in sessions:
            anchor = anchors[s.id]
            if not anchor:
                out[s.id] = s.branch == self.branch
            elif not answers.get(anchor):
                out[s.id] = False
            elif s.id in by_branch:
                out[s.id] = any(tips.get(t) for t in self._tips.get(s.branch, ()))
            else:
                out[s.id] = True
        return out

    def is_merged(self, session: SessionSummary) -> bool:
        return self.merged([session])[session.id]

    def is_own(self, session: SessionSummary) -> bool:
        return identity.is_mine(session.author, self.email)
