"""Repository configuration: reading and writing git config keys, remotes and the hooks folder."""

from __future__ import annotations

from pathlib import Path

from gitmem.git.repo import Repo


def config_values(repo: Repo, key: str) -> list[str]:
    """Every value of a (possibly multi-valued) key, in config order; [] when unset."""
    proc = repo.git_bytes("config", "--get-all", key, check=False)
    return proc.stdout.decode("utf-8", "replace").splitlines() if proc.returncode == 0 else []


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
