"""Refs: reading, listing, moving and deleting them (rev-parse, for-each-ref, update-ref, reflog)."""

from __future__ import annotations

from typing import Sequence

from gitmem.errors import RefUpdateConflict
from gitmem.git.repo import Repo


def commit_tips(repo: Repo, *patterns: str) -> dict[str, tuple[str, str]]:
    """``{ref: (commit, tree)}`` for the refs ``patterns`` match (``for-each-ref`` patterns: a full name or a
    prefix) that point at a commit, from one ``for-each-ref``; a ref at another kind of object is left out."""
    out = repo.git_bytes("for-each-ref", "--format=%(refname) %(objectname) %(tree)", *patterns).stdout
    tips: dict[str, tuple[str, str]] = {}
    for line in out.decode("utf-8", "surrogateescape").splitlines():
        name, commit, tree = line.split(" ")
        if tree:
            tips[name] = (commit, tree)
    return tips


def delete_ref_at(repo: Repo, ref: str, old: str) -> None:
    """Delete ``ref`` if it still points at ``old``; ``RefUpdateConflict`` (with git's stderr) when it moved
    meanwhile or git could not delete it."""
    proc = repo.git_bytes("update-ref", "-d", ref, old, check=False)
    if proc.returncode != 0:
        raise RefUpdateConflict(["git", "update-ref", "-d", ref, old], proc.returncode,
                                proc.stderr.decode("utf-8", "replace"))


def set_ref(repo: Repo, ref: str, new: str, message: str) -> bool:
    """Point ``ref`` at ``new`` whatever it held (no compare-and-swap); False when git refused."""
    return repo.git_bytes("update-ref", "-m", message, ref, new, check=False).returncode == 0


def expire_reflogs(repo: Repo, refs: Sequence[str]) -> None:
    """Drop every reflog entry of ``refs`` now, so the commits only their reflogs held become unreachable."""
    repo.git_bytes("reflog", "expire", "--expire=now", "--expire-unreachable=now", *refs, check=False)


def upstream_ref(repo: Repo) -> str:
    """The full name of the current branch's upstream (``refs/remotes/origin/main``); '' when it has none."""
    proc = repo.git_bytes("rev-parse", "--symbolic-full-name", "@{upstream}", check=False)
    return proc.stdout.decode("utf-8", "replace").strip() if proc.returncode == 0 else ""


def symref_targets(repo: Repo, prefix: str) -> dict[str, str]:
    """``{ref: the ref it is a symbolic ref to}`` for every ref under ``prefix``; '' for a ref that is not
    symbolic (``refs/remotes/origin/HEAD`` -> ``refs/remotes/origin/main``)."""
    out = repo.git_bytes("for-each-ref", "--format=%(refname)%00%(symref)", prefix).stdout
    targets: dict[str, str] = {}
    for line in out.decode("utf-8", "surrogateescape").splitlines():
        name, _, target = line.partition("\0")
        targets[name] = target
    return targets


def refs_matching(repo: Repo, patterns: Sequence[str]) -> dict[str, str]:
    """``{ref name: object id}`` of the refs matching any of ``patterns`` (``for-each-ref`` patterns: a prefix or
    a glob such as ``refs/remotes/*/main``); {} when none, or when git cannot list them."""
    if not patterns:
        return {}
    out = repo.git_bytes("for-each-ref", "--format=%(objectname) %(refname)", *patterns, check=False).stdout
    refs: dict[str, str] = {}
    for line in out.decode("utf-8", "surrogateescape").splitlines():
        oid, _, name = line.partition(" ")
        refs[name] = oid
    return refs
