"""Throw-away repositories (``make demo``): create one and commit into it.

The only gitmem code that writes an index and moves HEAD, and only in a repository it has just created
in a temporary folder; everything else leaves the user's index, work tree and branches alone.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from gitmem.git.config import set_config
from gitmem.git.repo import Repo, discover, run_git_bytes


def create_repository(path: Path, *, branch: str, name: str, email: str) -> Repo:
    """``git init`` in the existing empty folder ``path`` with ``branch`` checked out (unborn) and
    ``name <email>`` as the repository's identity."""
    run_git_bytes("init", "-q", "-b", branch, cwd=path)
    repo = discover(path)
    set_config(repo, "user.name", name)
    set_config(repo, "user.email", email)
    return repo


def commit_paths(repo: Repo, paths: Sequence[str], message: str) -> str:
    """Stage ``paths`` (files or folders of the work tree) and commit them on the current branch; the new
    commit's id."""
    repo.git_bytes("add", "--", *paths)
    repo.git_bytes("commit", "-q", "-m", message)
    return repo.git("rev-parse", "HEAD").strip()
