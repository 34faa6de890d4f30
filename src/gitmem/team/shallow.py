"""Fetching only the recent history of a remote's memory ref (``gitmem sync --depth N`` / ``--since AGE``).

A year of a team's memory is tens of thousands of commits (two per session), and ``git clone --depth 1``
does not limit them: the memory ref is fetched later through gitmem's own refspec, in full. This fetches
the memory ref into its tracking ref with ``--depth`` or ``--shallow-since`` first; ``sync`` then merges and
pushes as usual.

Invariants and limits (checked against a real bare remote in tests/test_cli.py):
- Git records the boundary commits in ``.git/shallow``, so the repository counts as shallow
  (``git rev-parse --is-shallow-repository``) although the code history stays whole; later plain
  ``git fetch``/``git pull`` bring new memory commits down to the boundary and do not deepen it.
  Pushing code and memory, merging teammates' memory and ``gitmem log``/``search`` all work.
- It limits *history*, not what the tip holds: the memory ref's tip tree still names every session ever
  recorded, so their summaries and observations are fetched once. Memory sizes stay those of the tip.
- ``--since`` with no memory commit that new fetches the tip alone (``--depth 1``).
"""

from __future__ import annotations

import logging

from gitmem import git as gitcmd
from gitmem.errors import GitError, GitmemError
from gitmem.git import Repo

logger = logging.getLogger(__name__)


def fetch_recent_memory(repo: Repo, remote: str, *, depth: int | None = None, since: str | None = None,
                        progress: bool = False, timeout: float = gitcmd.GIT_TIMEOUT_SECONDS) -> None:
    """Fetch the remote's memory ref into its tracking ref, ``depth`` commits deep or back to ``since``
    (anything ``since.parse_since`` reads: ``6m``, ``2w``, an ISO date)."""
    from gitmem.since import parse_since
    from gitmem.team.sharing import refspec_for
    from gitmem.team.sync import SYNC_ENV

    if (depth is None) == (since is None):
        raise GitmemError("give either a depth or a date to fetch memory back to", hint="gitmem sync --depth 200")
    if depth is not None and depth < 1:
        raise GitmemError(f"--depth {depth} fetches nothing", hint="give a depth of 1 or more commits.")
    option = f"--depth={depth}" if depth is not None else f"--shallow-since={parse_since(since or '')}"
    refspec = refspec_for(remote)
    try:
        gitcmd.fetch(repo, remote, [refspec], progress=progress, env={SYNC_ENV: "1"}, timeout=timeout,
                     options=[option])
    except GitError as exc:
        if since is None or "no commits selected" not in exc.stderr:
            raise
        logger.info("no memory commit on %s since %s: fetching the tip alone", remote, since)
        gitcmd.fetch(repo, remote, [refspec], progress=progress, env={SYNC_ENV: "1"}, timeout=timeout,
                     options=["--depth=1"])
