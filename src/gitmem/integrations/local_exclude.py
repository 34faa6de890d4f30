"""Keeping a personal file out of commits through the repository's ``info/exclude``.

Invariants:
- A line gitmem adds is ``/<path>`` under a ``# gitmem: ...`` comment line;
  removing it takes that comment with it and leaves every other line, and the
  file's other bytes, as they were.
- Written atomically (``jsondoc.write_atomic``), never by appending in place.
"""

from __future__ import annotations

import os
from pathlib import Path

from gitmem.git import Repo
from gitmem.git.worktree import exclude_file
from gitmem.integrations.jsondoc import write_atomic

COMMENT_PREFIX = "# gitmem: "
EXCLUDE_COMMENT = COMMENT_PREFIX + "personal Claude Code settings (absolute paths)"


def top_relative(repo: Repo, path: Path, fallback: str) -> str:
    """``path`` relative to the top of the work tree, as git's pathspecs want it."""
    top = Path(os.path.realpath(repo.root if repo.root is not None else path.parent))
    here = Path(os.path.realpath(path.parent)) / path.name
    try:
        return here.relative_to(top).as_posix()
    except ValueError:
        return fallback


def add_exclude(repo: Repo, rel: str, comment: str = EXCLUDE_COMMENT) -> Path:
    """Add ``/<rel>`` under ``comment`` (a ``# gitmem: ...`` line saying why)."""
    path = exclude_file(repo)
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    if text and not text.endswith("\n"):
        text += "\n"
    write_atomic(path, (text + f"{comment}\n/{rel}\n").encode("utf-8"))
    return path


def remove_exclude(repo: Repo, rel: str) -> bool:
    path = exclude_file(repo)
    if not path.exists():
        return False
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    kept: list[str] = []
    for line in lines:
        if line.rstrip("\r\n") == f"/{rel}":
            if kept and kept[-1].startswith(COMMENT_PREFIX):
                kept.pop()
            continue
        kept.append(line)
    if kept == lines:
        return False
    write_atomic(path, "".join(kept).encode("utf-8"))
    return True
