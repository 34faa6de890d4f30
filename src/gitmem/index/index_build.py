"""Building the search index in the background, at most one build per repository at a time.

Invariants:
- ``start`` never blocks its caller on the build: it starts ``python -m gitmem.workers index`` detached (its
  own session, no inherited stdio) and returns. The SessionStart brief, which must not wait minutes for a
  fresh clone's index, calls it when the index is missing or far behind the ref.
- One build at a time: the builder holds ``<state>/index-build.lock`` (``flock``) for its whole run; a second
  builder that finds it held exits at once, and ``start`` does not spawn while it is held.
- The builder writes the index the way every writer does (``index_file.ensure_index``: temporary file, then
  ``os.replace``, under the index's own write lock), then renders the brief again from the new index.
- Nothing is started where gitmem was never set up (no state folder): readers create no state.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
from typing import Callable

from gitmem import switches
from gitmem.capture.spool import try_lock
from gitmem.config import state_dir
from gitmem.git import Repo

logger = logging.getLogger(__name__)

LOCK_FILE = "index-build.lock"
DEADLINE_SECONDS = 1800


def running(repo: Repo) -> bool:
    """Is a background build of this repository's index running now?"""
    lock = state_dir(repo.common_dir) / LOCK_FILE
    if not lock.exists():
        return False
    fd = try_lock(lock)
    if fd is None:
        return True
    os.close(fd)
    return False


def start(repo: Repo) -> bool:
    """Start a detached index build unless one runs or gitmem is not set up here; True when one was started.

    The lock is taken here and handed to the builder (an ``flock`` belongs to the open file, which the child
    shares), so the build counts as running from the moment it is started.
    """
    state = state_dir(repo.common_dir)
    if repo.root is None or not state.is_dir():
        return False
    fd = try_lock(state / LOCK_FILE)
    if fd is None:
        return False
    try:
        subprocess.Popen([switches.worker_python(), "-I", "-m", "gitmem.workers", "index", "--root", str(repo.root),
                          "--lock-fd", str(fd)],
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         start_new_session=True, pass_fds=(fd,), cwd=str(repo.root))
    finally:
        os.close(fd)
    logger.info("started a background build of the search index in %s", repo.root)
    return True


def build(repo: Repo, then: Callable[[Repo], None], lock_fd: int | None = None) -> bool:
    """Bring the index up to date (a full build when needed), then call ``then`` (the brief renders again);
    False when another build holds the lock. ``lock_fd``: the lock, already held (handed over by ``start``)."""
    from gitmem.index import index_file

    state = state_dir(repo.common_dir)
    if not state.is_dir():
        return False
    fd = lock_fd if lock_fd is not None else try_lock(state / LOCK_FILE)
    if fd is None:
        return False
    try:
        signal.alarm(DEADLINE_SECONDS)  # the default action ends a build that hangs; the index is a cache
        update = index_file.ensure_index(repo)
        logger.info("background index build: %s (%s)", update.action, update.reason or "up to date")
        then(repo)
    finally:
        signal.alarm(0)
        os.close(fd)
    return True
