"""Repository configuration: reading and writing git config keys, remotes and the hooks folder."""

from __future__ import annotations

from gitmem.git.repo import Repo

# -- used by app/ --


def local_config_entries(repo: Repo) -> list[tuple[str, str]]:
    """``(key, value)`` of every entry of the repository's own config file, in file order (a key repeats
    once per value; a key without a value has '')."""
    proc = repo.git_bytes("config", "--local", "--list", "-z", check=False)
    entries = []
    for item in proc.stdout.decode("utf-8", "replace").split("\0"):
        if item:
            key, _, value = item.partition("\n")
            entries.append((key, value))
    return entries


def remove_local_config(repo: Repo, key: str, value: str) -> None:
    """Remove every value of ``key`` in the repository's own config that equals ``value`` exactly."""
    repo.git_bytes("config", "--local", "--fixed-value", "--unset-all", key, value)


def set_config(repo: Repo, key: str, value: str) -> None:
    """Set ``key`` to ``value`` in the repository's config (replacing a single value)."""
    repo.git_bytes("config", key, value)


def author_ident(repo: Repo) -> str:
    """``Name <email>`` of the author git would record now (its guess from the host included); '' when git
    refuses to make one up (``user.useConfigOnly``)."""
    proc = repo.git_bytes("var", "GIT_AUTHOR_IDENT", check=False)
    return proc.stdout.decode("utf-8", "replace").strip().rsplit(" ", 2)[0] if proc.returncode == 0 else ""
