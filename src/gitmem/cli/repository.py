"""The repository a command runs in, opened as writers and as readers need it.

Imports happen inside the functions: ``gitmem --help`` must not pay for git or the index.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gitmem.git import Repo


def current_repo() -> Repo:
    """The repository of the current folder, with a work tree (a bare one is an error that says so)."""
    from gitmem.app.checkout import open_repo

    return open_repo()


def read_repo() -> Repo:
    """The repository, with memory a plain `git fetch`/`git pull` brought merged in: what every reader sees."""
    from gitmem.team.fetched import merge_fetched_memory

    repo = current_repo()
    merge_fetched_memory(repo)
    return repo
