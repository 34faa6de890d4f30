"""Repository configuration: reading and writing git config keys, remotes and the hooks folder."""

from __future__ import annotations

from pathlib import Path

from gitmem.git.repo import Repo


def config_values(repo: Repo, key: str) -> list[str]:
    """Every value of a (possibly multi-valued) key, in config order; [] when unset."""
    proc = repo.git_bytes("config", "--get-all", key, check=False)
    return proc.stdout.decode("utf-8", "replace").splitlines() if proc.returncode == 0 else []


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


def add_config(repo: Repo, key: str, value: str) -> None:
    """Add one more value to a multi-valued key."""
    repo.git_bytes("config", "--add", key, value)


def unset_config(repo: Repo, key: str) -> bool:
    """Remove ``key``; True when it was set."""
    return repo.git_bytes("config", "--unset", key, check=False).returncode == 0


def unset_config_value(repo: Repo, key: str, value: str) -> None:
    """Remove the one value of a multi-valued key that equals ``value`` exactly (not as a pattern)."""
    repo.git_bytes("config", "--fixed-value", "--unset", key, value)


def remote_names(repo: Repo) -> list[str]:
    """The configured remotes, in git's order."""
    return [r for r in repo.git_bytes("remote").stdout.decode("utf-8", "surrogateescape").split() if r]


def hooks_dir(repo: Repo) -> Path:
    """Where git looks for this repository's hooks (``core.hooksPath`` or ``<git dir>/hooks``), absolute."""
    return Path(repo.git_bytes("rev-parse", "--path-format=absolute", "--git-path", "hooks")
                .stdout.decode("utf-8", "surrogateescape").strip())


def author_ident(repo: Repo) -> str:
    """``Name <email>`` of the author git would record now (its guess from the host included); '' when git
    refuses to make one up (``user.useConfigOnly``)."""
    proc = repo.git_bytes("var", "GIT_AUTHOR_IDENT", check=False)
    return proc.stdout.decode("utf-8", "replace").strip().rsplit(" ", 2)[0] if proc.returncode == 0 else ""
