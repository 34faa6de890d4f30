"""A ref's history: rev-list and log over commits."""

from __future__ import annotations

from gitmem.git.repo import Repo


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


def newest_commits(repo: Repo, rev: str, limit: int) -> list[str]:
    """Up to ``limit`` commits reachable from ``rev``, newest first (``rev-list --max-count``); [] when ``rev``
    cannot be read."""
    out = repo.git_bytes("rev-list", f"--max-count={limit}", rev, check=False).stdout
    return out.decode("ascii", "replace").split()


def commit_count(repo: Repo, rev: str) -> int:
    """How many commits are reachable from ``rev`` (``rev-list --count``)."""
    return int(repo.git("rev-list", "--count", rev).strip() or 0)


def disk_usage(repo: Repo, rev: str) -> int:
    """Bytes on disk of every object reachable from ``rev`` (``rev-list --objects --disk-usage``)."""
    return int(repo.git("rev-list", "--objects", "--disk-usage", rev).strip() or 0)


def paths_changed_per_commit(repo: Repo, rev: str, path: str, max_count: int) -> list[list[str]]:
    """For each of the newest ``max_count`` commits of ``rev`` that changed something under ``path``, newest first:
    the paths it changed (``log --name-only -z --no-renames``)."""
    out = repo.git_bytes("log", "--format=%x01", "--name-only", "-z", "--no-renames", f"--max-count={max_count}",
                         rev, "--", path).stdout
    commits = []
    for chunk in out.split(b"\x01")[1:]:
        names = (raw.strip(b"\n").decode("utf-8", "surrogateescape") for raw in chunk.split(b"\0"))
        commits.append([n for n in names if n])
    return commits
