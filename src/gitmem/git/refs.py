"""Refs: reading, listing, moving and deleting them (rev-parse, for-each-ref, update-ref, reflog)."""

from __future__ import annotations

from typing import Sequence

from gitmem.git.repo import Repo

# -- used by store/ --


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
