"""A ref's history: rev-list and log over commits."""

from __future__ import annotations

from gitmem.git.repo import Repo

# -- used by app/ --


def commits_between(repo: Repo, start: str, end: str, limit: int = 100) -> tuple[str, ...]:
    """The commits reachable from ``end`` and not from ``start``, oldest first, at most the newest ``limit``;
    () when git cannot tell (an unknown commit)."""
    proc = repo.git_bytes("rev-list", f"--max-count={limit}", f"{start}..{end}", check=False)
    return tuple(reversed(proc.stdout.decode().split())) if proc.returncode == 0 else ()


def recently_changed_files(repo: Repo, commits: int) -> list[str]:
    """The paths the last ``commits`` commits of HEAD changed, newest commit first (a path may repeat);
    [] before the first commit."""
    out = repo.git_bytes("log", f"-n{commits}", "--name-only", "--format=", "-z", check=False).stdout
    names = (p.decode("utf-8", "surrogateescape").strip() for p in out.split(b"\0"))
    return [name for name in names if name]


def log_text(repo: Repo, ref: str, *, patches: bool = False) -> str:
    """``git log`` of ``ref`` as git prints it for a person: one line per commit, or with ``patches`` each
    commit in full with its diff."""
    return repo.git("log", "-p", ref) if patches else repo.git("log", "--oneline", ref)
