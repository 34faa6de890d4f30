"""Comparing and merging trees: ``diff-tree``, ``merge-base``, ``merge-tree``, run one by one or side by side."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from typing import Sequence

from gitmem.errors import GitError
from gitmem.git.repo import GIT_TIMEOUT_SECONDS, Repo, _git_env


@dataclass(frozen=True, slots=True)
class DiffEntry:
    """One line of ``git diff-tree -r -z --raw``: a blob that was added, modified or deleted."""

    old_mode: str
    new_mode: str
    old_oid: str | None    # None when the path was added
    new_oid: str | None    # None when the path was deleted
    status: str
    path: str


def empty_tree(repo: Repo) -> str:
    """The id of the empty tree in this repository's hash (git knows it without storing it)."""
    return repo.git_bytes("hash-object", "-t", "tree", "--stdin", input=b"").stdout.decode().strip()


def merge_base(repo: Repo, a: str, b: str) -> str | None:
    """The best common ancestor of two commits, or None when their histories are unrelated."""
    proc = repo.git_bytes("merge-base", a, b, check=False)
    if proc.returncode == 1:
        return None
    if proc.returncode != 0:
        raise GitError(["git", "merge-base", a, b], proc.returncode, proc.stderr.decode("utf-8", "replace"))
    return proc.stdout.decode().strip() or None


def parse_raw_diff(out: bytes) -> list[DiffEntry]:
    """``diff-tree -z --raw --no-renames`` output as entries (one pass over the decoded text: a merge of thousands of
    sessions parses tens of thousands of lines)."""
    items = out.decode("utf-8", "surrogateescape").split("\0")
    entries: list[DiffEntry] = []
    null = ""
    i, last = 0, len(items) - 1
    while i < last:
        meta = items[i]
        if not meta.startswith(":"):
            i += 1
            continue
        old_mode, new_mode, old_oid, new_oid, status = meta[1:].split(" ")
        if len(null) != len(old_oid):
            null = "0" * len(old_oid)
        entries.append(DiffEntry(old_mode, new_mode, None if old_oid == null else old_oid,
                                 None if new_oid == null else new_oid, status[:1], items[i + 1]))
        i += 2
    return entries


def diff_tree(repo: Repo, a: str, b: str) -> list[DiffEntry]:
    """Every blob that differs between two tree-ish (``-r``, no rename detection).

    git skips subtrees whose ids are equal, so the cost follows the size of the
    change, not of the trees.
    """
    out = repo.git_bytes("diff-tree", "-r", "-z", "--raw", "--no-renames", "--no-abbrev", a, b).stdout
    return parse_raw_diff(out)


def run_git_parallel(repo: Repo, argvs: Sequence[Sequence[str]], timeout: float = GIT_TIMEOUT_SECONDS,
                     inputs: Sequence[bytes | None] = ()) -> list[subprocess.CompletedProcess[bytes]]:
    """Several git commands side by side (their results in order); no check of return codes.
    ``inputs[i]``, when given and not None, is what command ``i`` reads on stdin."""
    feeds = [inputs[i] if i < len(inputs) else None for i in range(len(argvs))]
    procs = [subprocess.Popen(["git", *argv], cwd=repo.cwd,
                              stdin=subprocess.DEVNULL if feed is None else subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, env=_git_env(dict(repo.env)), start_new_session=True)
             for argv, feed in zip(argvs, feeds)]
    results: list[subprocess.CompletedProcess[bytes]] = []
    try:
        for proc, argv, feed in zip(procs, argvs, feeds):
            try:
                out, err = proc.communicate(feed, timeout=timeout)
            except subprocess.TimeoutExpired as exc:
                raise GitError(["git", *argv], -1, f"timed out after {timeout:.0f} s") from exc
            results.append(subprocess.CompletedProcess(["git", *argv], proc.returncode, out, err))
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    return results


def diff_argv(a: str, b: str) -> list[str]:
    """The argv of `diff_tree`'s ``diff-tree`` (for a caller that runs it beside other commands)."""
    return ["diff-tree", "-r", "-z", "--raw", "--no-renames", "--no-abbrev", a, b]


def diff_trees(repo: Repo, pairs: Sequence[tuple[str, str]],
               timeout: float = GIT_TIMEOUT_SECONDS) -> list[list[DiffEntry]]:
    """``diff_tree`` for several pairs at once: one git process per pair, run side by side."""
    results = []
    for proc in run_git_parallel(repo, [diff_argv(a, b) for a, b in pairs], timeout):
        if proc.returncode != 0:
            raise GitError(proc.args, proc.returncode, proc.stderr.decode("utf-8", "replace"))
        results.append(parse_raw_diff(proc.stdout))
    return results


@dataclass(frozen=True, slots=True)
class ConflictStage:
    """One stage of a conflicted path in ``merge-tree`` output: 1 base, 2 ours, 3 theirs."""

    mode: str
    oid: str
    stage: int
    path: str


@dataclass(frozen=True, slots=True)
class MergeTree:
    tree: str
    conflicts: tuple[ConflictStage, ...] = ()


def merge_tree_argv(ours: str, theirs: str) -> list[str]:
    return ["merge-tree", "--write-tree", "-z", "--no-messages", "--allow-unrelated-histories", ours, theirs]


def parse_merge_tree(proc: subprocess.CompletedProcess[bytes]) -> MergeTree:
    if proc.returncode not in (0, 1):
        # 129 is git's usage error (no --write-tree before 2.38); anything else is git failing on these trees.
        hint = ("gitmem needs git 2.38 or newer for `git merge-tree --write-tree`." if proc.returncode == 129 else
                "git could not merge these memory trees; run `gitmem sync -v` and report the output.")
        raise GitError(proc.args, proc.returncode, proc.stderr.decode("utf-8", "replace"), hint=hint)
    parts = proc.stdout.split(b"\0")
    stages = []
    if proc.returncode == 1:
        for item in parts[1:]:
            if not item:
                break
            meta, _, path = item.partition(b"\t")
            mode, oid, stage = meta.decode().split(" ")
            stages.append(ConflictStage(mode, oid, int(stage), path.decode("utf-8", "surrogateescape")))
    return MergeTree(parts[0].decode().strip(), tuple(stages))


def merge_tree(repo: Repo, ours: str, theirs: str) -> MergeTree:
    """``git merge-tree --write-tree`` (git >= 2.38): the merged tree, and the stages of conflicted paths."""
    return parse_merge_tree(repo.git_bytes(*merge_tree_argv(ours, theirs), check=False))


def changed_paths(repo: Repo, a: str, b: str, folder: str) -> list[str]:
    """The paths under ``folder`` of every blob added, changed or deleted between two tree-ish
    (``diff-tree -r --name-only``, no rename detection), in git's order; the cost follows the size of the change."""
    out = repo.git_bytes("diff-tree", "-r", "-z", "--name-only", "--no-renames", a, b, "--",
                         folder.rstrip("/") + "/").stdout
    return [path for path in out.decode("utf-8", "surrogateescape").split("\0") if path]
