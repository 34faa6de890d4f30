"""Memory that a plain ``git fetch`` or ``git pull`` brought: merged before anything reads memory.

Invariants:
- Every reader (``log``, ``show``, ``search``, ``why``, ``status``, ``context``, the MCP tools and the brief)
  calls ``merge_fetched_memory`` first, so teammates' memory is visible right after ``git pull``.
- It costs one ``for-each-ref`` when no tracking ref moved since the last merge: the tips merged last are
  kept in ``<state>/fetched-tips``.
- It never creates gitmem's state folder: in a repository where gitmem was never set up nothing is written
  (the merge itself, into ``refs/notes/gitmem``, runs whenever there is a tracking ref).
"""

from __future__ import annotations

import logging

from gitmem.atomic import write_atomic
from gitmem.config import state_dir
from gitmem.errors import GitmemError
from gitmem.git import Repo
from gitmem.team.fetched_tips import FETCHED_TIPS_FILE, TRACKING_PREFIX, tips_text

logger = logging.getLogger(__name__)


def merge_fetched_memory(repo: Repo) -> int:
    """Merge every tracking ref that moved since the last merge into local memory; how many merges ran."""
    from gitmem.team.merge import merge_fetched

    tips = tips_text(repo.for_each_ref(TRACKING_PREFIX))
    if not tips:
        return 0
    local = state_dir(repo.common_dir)
    marker = local / FETCHED_TIPS_FILE
    try:
        if marker.read_text(encoding="utf-8") == tips:
            return 0
    except OSError:
        pass
    try:
        results = merge_fetched(repo)
    except GitmemError as exc:  # local memory is still worth reading; the next reader tries again
        logger.warning("could not merge fetched memory: %s", exc)
        return 0
    if local.is_dir():
        write_atomic(marker, tips.encode("utf-8"))
    return len(results)
