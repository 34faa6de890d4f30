"""``gitmem view``: the memory page written to a file, or the reasons it cannot be.

Invariants:
- The file is replaced whole (``atomic.write_atomic``): a browser reloading it sees the old page or the
  new, never half of one; a failed write leaves the old page as it was.
- Nothing in the repository changes: the page is built from reads only, and the default place for it is
  the local state folder (never committed).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from gitmem.atomic import write_atomic
from gitmem.config import DECISIONS_DIR, STATE_DIR_NAME
from gitmem.errors import GitmemError, NotFoundError
from gitmem.git import Repo
from gitmem.view.page import render_page
from gitmem.progress import Progress
from gitmem.view.page_data import PageData, collect

logger = logging.getLogger(__name__)

PAGE_NAME = "memory.html"


@dataclass(frozen=True, slots=True)
class ViewResult:
    path: Path
    bytes: int
    sessions: int
    decisions: int
    observations_left_out: int


def default_page_path(repo: Repo) -> Path:
    """Where the page goes without ``--out``: ``<git-common-dir>/gitmem/memory.html``."""
    return repo.common_dir / STATE_DIR_NAME / PAGE_NAME


def page_bytes(repo: Repo, *, progress: Progress | None = None) -> tuple[bytes, PageData]:
    """The memory page as it is now, and what it holds; ``NotFoundError`` when there is no memory at all."""
    if repo.root is None:
        raise GitmemError("`gitmem view` needs a work tree (the decision files live in it)",
                          hint="run it in a clone, not a bare repository.")
    data = collect(repo, repo.root, progress=progress)
    if not data.sessions and not data.decisions:
        raise NotFoundError("no memory yet: no session in refs/notes/gitmem and no decision in "
                            f"{DECISIONS_DIR}/",
                            hint="sessions are recorded by the Claude Code hooks after `gitmem init`; "
                                 "`make demo` builds a page from a replayed session.")
    return render_page(data.document).encode("utf-8"), data


def build_view(repo: Repo, out: Path | None = None, *, progress: Progress | None = None) -> ViewResult:
    """Write the memory page to ``out`` (default: ``default_page_path``)."""
    page, data = page_bytes(repo, progress=progress)
    path = out if out is not None else default_page_path(repo)
    if path.is_dir():
        raise GitmemError(f"cannot write the page to {path}: it is a folder",
                          hint=f"name a file, e.g. --out {path / PAGE_NAME}.")
    try:
        write_atomic(path, page)
    except OSError as exc:
        raise GitmemError(f"cannot write the page to {path}: {exc.strerror or exc}",
                          hint="choose a writable place with --out PATH.") from None
    logger.info("wrote %s (%d bytes, %d sessions)", path, len(page), data.sessions)
    return ViewResult(path.resolve(), len(page), data.sessions, data.decisions, data.observations_left_out)
