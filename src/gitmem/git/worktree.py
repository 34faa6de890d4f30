"""The work tree seen through git: ignored files, tracked files, status (never changed by gitmem)."""

from __future__ import annotations

from gitmem.git.repo import Repo

# -- used by app/ --


def changed_paths(repo: Repo) -> list[str]:
    """Every path that differs from HEAD in the index or the work tree, untracked files included, in
    ``git status`` order; a rename or copy gives its new path."""
    out = repo.git_bytes("status", "--porcelain", "-z", "--untracked-files=all", check=False).stdout
    entries = out.split(b"\0")
    paths: list[str] = []
    i = 0
    while i < len(entries):
        entry = entries[i]
        i += 1
        if len(entry) < 4:
            continue
        status, path = entry[:2], entry[3:].decode("utf-8", "surrogateescape")
        if status[:1] in (b"R", b"C"):
            i += 1  # the rename's source follows
        paths.append(path)
    return paths


def untracked_files(repo: Repo, folder: str) -> set[str]:
    """The files under ``folder`` that git does not track and does not ignore."""
    out = repo.git_bytes("ls-files", "--others", "--exclude-standard", "-z", "--", folder, check=False).stdout
    return {p.decode("utf-8", "surrogateescape") for p in out.split(b"\0") if p}


def short_status(repo: Repo) -> str:
    """``git status --short`` as git prints it for a person."""
    return repo.git("status", "--short")
