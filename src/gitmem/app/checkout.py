"""The checkout a command runs in: the repository found from a folder, with a work tree (a bare one is an error).

Apart from ``project`` (set-up, status, uninstall), which imports every part it sets up: ``gitmem search`` opens
its repository through this module alone.
"""

from __future__ import annotations

from pathlib import Path

from gitmem.errors import NotARepositoryError
from gitmem.git import Repo, discover


def open_repo(path: str | Path | None = None) -> Repo:
    repo = discover(path)
    if repo.root is None:
        raise NotARepositoryError(f"{repo.git_dir} is a bare repository",
                                  hint="run gitmem in a clone with a work tree.")
    return repo
