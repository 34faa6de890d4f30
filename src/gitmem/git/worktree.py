"""The work tree seen through git: ignored files, tracked files, status (never changed by gitmem)."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from gitmem.errors import GitError
from gitmem.git.repo import Repo


def check_ignore(repo: Repo, paths: Sequence[str]) -> dict[str, bool]:
    """Whether git ignores each of ``paths`` (relative to the work tree, ``/``-separated), asked of one
    ``git check-ignore --stdin -z --non-matching -v``.

    Tracked files are never ignored, and a path whose last matching pattern is
    ``!x`` (a re-include) is not either. One path git refuses (beyond a
    symlink, inside a submodule) fails the whole batch: a ``GitError``.
    """
    data = b"".join(p.encode("utf-8", "surrogateescape") + b"\0" for p in paths)
    proc = repo.git_bytes("check-ignore", "--stdin", "-z", "--non-matching", "-v", input=data, check=False)
    if proc.returncode not in (0, 1):  # 0: some ignored, 1: none
        raise GitError(["git", "check-ignore", "--stdin", "-z", "--non-matching", "-v"], proc.returncode,
                       proc.stderr.decode("utf-8", "replace"))
    answers: dict[str, bool] = {}
    fields = proc.stdout.split(b"\0")  # source, line number, pattern, path; an empty pattern: no match
    for i in range(0, len(fields) - 3, 4):
        pattern, path = fields[i + 2], fields[i + 3].decode("utf-8", "surrogateescape")
        answers[path] = bool(pattern) and not pattern.startswith(b"!")
    return answers


def matches_ignore_rules(repo: Repo, path: str) -> bool:
    """True when an ignore rule matches ``path`` (relative to the top of the work tree), tracked or not
    (``git check-ignore --no-index``)."""
    return repo.git_bytes("check-ignore", "-q", "--no-index", "--", path, check=False).returncode == 0


def is_tracked(repo: Repo, path: str) -> bool:
    """True when ``path`` (relative to the top of the work tree) is in the index (``git ls-files``)."""
    return repo.git_bytes("ls-files", "--error-unmatch", "--", path, check=False).returncode == 0


def exclude_file(repo: Repo) -> Path:
    """The repository's ``info/exclude`` file (in a linked worktree it lives in the common dir; git knows where)."""
    out = repo.git_bytes("rev-parse", "--path-format=absolute", "--git-path", "info/exclude").stdout
    return Path(out.decode("utf-8", "surrogateescape").rstrip("\n"))


def uncommitted_paths(repo: Repo) -> list[str]:
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
