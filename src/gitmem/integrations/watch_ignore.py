"""Which work-tree paths ``gitmem watch`` leaves out because git ignores them.

Invariants:
- The rules are git's own (``.gitignore``, ``info/exclude``,
  ``core.excludesFile``; tracked files are never ignored), asked of git, never
  re-implemented. One ``git check-ignore --stdin`` answers for every path of a
  burst that is not in the cache, never one process per event.
- A path git refuses to answer for is treated as ignored (not recorded), and
  costs at most ``MAX_IGNORE_RETRIES`` extra processes, never the rest of its batch.
- The cache is bounded (``MAX_IGNORE_CACHE``) and dropped when the rules may have changed.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Iterable

from gitmem.errors import GitError
from gitmem.git import Repo
from gitmem.git.worktree import check_ignore

logger = logging.getLogger(__name__)

MAX_IGNORE_CACHE = 200_000
MAX_IGNORE_RETRIES = 32    # extra git processes when a batch fails, to find the path git refuses


class IgnoreRules:
    """Which work-tree paths git ignores: asked in batches of one ``git check-ignore`` and cached.

    The cache is dropped when a ``.gitignore`` changes (the watcher calls
    ``invalidate``) or when ``info/exclude`` or the global excludes file changes
    (their mtimes are checked on every call).
    """

    def __init__(self, repo: Repo) -> None:
        self._repo = repo
        self._cache: dict[str, bool] = {}
        self.queries = 0  # git processes run: one per batch of unknown paths
        global_file = repo.config_get("core.excludesFile") or os.path.join(
            os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config"), "git", "ignore")
        self._sources = (repo.common_dir / "info" / "exclude", Path(os.path.expanduser(global_file)))
        self._stamp = self._stamps()

    def _stamps(self) -> tuple[int, ...]:
        out = []
        for path in self._sources:
            try:
                out.append(path.stat().st_mtime_ns)
            except OSError:
                out.append(0)
        return tuple(out)

    def invalidate(self) -> None:
        self._cache.clear()

    def ignored(self, paths: Iterable[str]) -> set[str]:
        """The paths (relative to the work tree, ``/``-separated) that git ignores."""
        paths = list(dict.fromkeys(paths))
        stamp = self._stamps()
        if stamp != self._stamp:
            self._stamp = stamp
            self.invalidate()
        unknown = [p for p in paths if p not in self._cache]
        if unknown:
            if len(self._cache) + len(unknown) > MAX_IGNORE_CACHE:
                self._cache.clear()
            self._ask(unknown)
        return {p for p in paths if self._cache.get(p, True)}

    def _ask(self, paths: list[str], budget: list[int] | None = None) -> None:
        budget = [MAX_IGNORE_RETRIES] if budget is None else budget
        self.queries += 1
        try:
            self._cache.update(check_ignore(self._repo, paths))
            return
        except GitError as exc:
            if exc.returncode < 0 or exc.returncode == 127:
                raise  # git timed out or is missing: not one path's fault
            refused = exc
        if len(paths) > 1 and budget[0] >= 2:
            # One path git refuses (beyond a symlink, inside a submodule) fails the whole batch: halve it.
            budget[0] -= 2
            half = len(paths) // 2
            self._ask(paths[:half], budget)
            self._ask(paths[half:], budget)
            return
        logger.warning("git check-ignore refused %s (%s); not recording %s",
                       paths[0] if len(paths) == 1 else f"{len(paths)} paths",
                       refused.stderr.strip()[:300], "it" if len(paths) == 1 else "them")
        for path in paths:
            self._cache[path] = True
