"""Merging a teammate's memory into the local memory ref: create, fast-forward or merge, by compare-and-swap.

Invariants:
- The local memory ref only moves by compare-and-swap: a fast-forward through
  ``update-ref <new> <old>``, a merge through fast-import ``from <ours>``.
  A lost race re-reads the ref and redoes the merge; nothing is lost.
- What both sides changed is resolved by ``resolve`` (symmetric in the sides);
  what a fetch may not do to this clone's records is kept by ``merge_guard``
  (checked tree, no deletions, own records, tombstones).
- New trees and commits are written inside a quarantine and kept only just
  before the ref moves, out of a concurrent ``git gc``'s reach.
"""

from __future__ import annotations

import functools
import logging
import os
import random
import re
import time
from dataclasses import dataclass
from typing import Callable, Sequence, TypedDict

from gitmem import git as gitcmd
from gitmem import switches
from gitmem.config import MEMORY_REF
from gitmem.errors import GitError, RefUpdateConflict
from gitmem.git import Repo
from gitmem.git.objects import (blob_ids, commit_tree, diff_and_merge_tree, folder_paths, infos_diff_and_commit,
                                tree_ids, try_commit_tree, write_tree)
from gitmem.git.refs import commit_tips, expire_reflogs
from gitmem.store import identity
from gitmem.store.layout import (SESSIONS_DIR, conflict_copy, is_record_path, is_session_folder, is_tombstone,
                                 session_folder, summary_session_id)
from gitmem.store.memory_ref import check_ref_lock, memory_tip
from gitmem.store.stream import commit_stream
from gitmem.team import merge_guard
from gitmem.team.resolve import Conflict, Plan, Resolution, path_kind, plan_from_merge_tree, plan_union
from gitmem.team.sharing import TRACKING_PREFIX, tracked_remote

logger = logging.getLogger(__name__)

MAX_MERGE_ATTEMPTS = 20


class _MergeExtra(TypedDict):
    """The fields every ``MergeResult`` of one merge shares, whatever its kind."""

    skipped: tuple[merge_guard.BadEntry, ...]
    dropped: int
    rewritten: bool


@dataclass(frozen=True, slots=True)
class MergeResult:
    kind: str        # nothing | up-to-date | created | fast-forward | merge
    commit: str | None
    sessions_in: int = 0
    conflicts: tuple[Conflict, ...] = ()
    attempts: int = 1
    skipped: tuple[merge_guard.BadEntry, ...] = ()   # fetched entries left out (invalid)
    dropped: int = 0                                  # forgotten files dropped (`gitmem forget` tombstones)
    rewritten: bool = False                           # the local history was replaced (a forget arrived)


def _merge_message(label: str, theirs: str, conflicts: Sequence[Conflict]) -> str:
    lines = [f"gitmem: merge memory from {label}", "", f"Merged {theirs[:12]}; {len(conflicts)} conflict(s) resolved."]
    for c in conflicts[:20]:
        lines.append(f"- {c.path}: {c.rule} (kept {c.kept[:12] or 'both'}{', lost ' + c.lost[:12] if c.lost else ''})")
    if len(conflicts) > 20:
        lines.append(f"- and {len(conflicts) - 20} more")
    return "\n".join(lines) + "\n"


ENGINES = ("merge-tree", "union")


def merge_engine() -> str:
    """``merge-tree`` where git has ``merge-tree --write-tree`` (2.38+), else the diff-based ``union``."""
    override = switches.merge_engine()
    if override in ENGINES:
        return override
    return _default_engine()


@functools.lru_cache(maxsize=1)
def _default_engine() -> str:
    match = re.search(r"(\d+)\.(\d+)", gitcmd.git_version())
    return "merge-tree" if match and (int(match[1]), int(match[2])) >= (2, 38) else "union"


def merge_commits(repo: Repo, ours: str, theirs: str, *, ref: str = MEMORY_REF, label: str = "remote",
                  engine: str | None = None, trees: tuple[str, str] | None = None) -> MergeResult:
    """One attempt at merging ``theirs`` into ``ours`` on ``ref``, which must point at ``ours``.

    Up to date when ``theirs`` is in ``ours``; a fast-forward when ``ours`` is
    in ``theirs``; else a merge commit with both parents and the user's
    identity. ``ref`` moves by compare-and-swap: RefUpdateConflict when it
    is no longer at ``ours``. ``trees`` are the trees of ``ours`` and
    ``theirs`` when the caller read them with the tips (``read_tips``).

    Engines (measured in benchmarks/bench_sync.py): ``merge-tree`` runs
    ``merge-tree --write-tree`` beside the check's ``diff-tree`` of the fetched
    tree, then the check's ``cat-file --batch-check`` beside the guard's
    ``diff-tree`` of the merged tree and a ``commit-tree`` of it (only when the
    result equals one side does it ask ``merge-base`` whether this is a
    fast-forward); then ``update-ref`` when clean, or one fast-import that sets
    the merged root tree and the resolved paths;
    ``union`` diffs both sides against the base and writes theirs' changes
    with fast-import.
    """
    engine = engine or merge_engine()
    if ours == theirs:
        return MergeResult("up-to-date", ours)
    with gitcmd.quarantine(repo) as q:  # new trees and commits stay out of a concurrent gc's reach
        result = _merge_in(repo, q, ours, theirs, ref, label, engine, trees)
    return result


def _merge_in(repo: Repo, q: gitcmd.Quarantine, ours: str, theirs: str, ref: str, label: str, engine: str,
              trees: tuple[str, str] | None) -> MergeResult:
    """``merge_commits`` inside its quarantine: objects are written through ``w`` (``q.repo``) and kept
    (``q.keep``) just before the ref moves."""
    w = q.repo
    original, original_theirs = ours, theirs
    if trees is None:
        ours_tree, theirs_tree = tree_ids(w, ours, theirs)
    else:
        ours_tree, theirs_tree = trees
    # Validate the fetched tree before trusting any merge of it: a name with `/` aborts merge-tree. The
    # check's diff runs beside merge-tree; that merge is used only when the check finds nothing wrong.
    # When the merge diverged from both sides, the check's cat-file runs beside the guard's diff of the merged
    # tree and a commit of it (kept only if the check, the tombstones and the guard leave that tree as it is).
    early: gitcmd.MergeTree | None = None
    ahead = _Ahead()
    if engine == "merge-tree":
        folder_diff, early_merge = diff_and_merge_tree(w, ours_tree, theirs_tree, ours, theirs)
        lookup = None
        if not isinstance(early_merge, GitError) and early_merge.tree not in (ours_tree, theirs_tree):
            ahead.diff_key = (ours_tree, early_merge.tree)
            if not early_merge.conflicts:
                ahead.commit_key = (early_merge.tree, [ours, theirs], _merge_message(label, theirs, ()))
            lookup = ahead.run(w)
        check = merge_guard.check_tree(w, theirs_tree, ours_tree, diff=folder_diff, lookup=lookup)
        if not check.bad:
            if isinstance(early_merge, GitError):
                raise early_merge
            early = early_merge
    else:
        check = merge_guard.check_tree(w, theirs_tree, ours_tree)
    if check.bad:
        base = gitcmd.merge_base(w, ours, theirs)
        theirs_tree = check.clean_tree
        theirs = commit_tree(w, theirs_tree, [base] if base else [],
                                         f"gitmem: memory from {label} without {len(check.bad)} invalid "
                                         f"entr{'y' if len(check.bad) == 1 else 'ies'}\n")
    tombs, ours, ours_tree, theirs, theirs_tree, dropped = (
        _apply_tombstones(w, ours, ours_tree, theirs, theirs_tree, label)
        if check.forgotten != (None, None) else (None, ours, ours_tree, theirs, theirs_tree, 0))
    rewritten = ours != original
    extra: _MergeExtra = {"skipped": check.bad, "dropped": dropped, "rewritten": rewritten}
    merged: gitcmd.MergeTree | None = None
    base = None
    diverged = False
    if engine == "merge-tree":
        merged = early if early is not None and not rewritten and theirs == original_theirs else \
            gitcmd.merge_tree(w, ours, theirs)
        diverged = merged.tree not in (ours_tree, theirs_tree)
    parents = [ours, theirs]
    if not diverged:
        base = gitcmd.merge_base(w, ours, theirs)
        if base == theirs and not rewritten:
            return MergeResult("up-to-date", original, **extra)
        if base == ours and not rewritten:
            diff = check.diff if check.diff is not None and not check.bad else \
                gitcmd.diff_tree(w, ours_tree, theirs_tree)
            changes = {e.path: (e.old_oid, (e.new_mode, e.new_oid)) for e in diff}
            fixes, kept, _n = _guard(w, ours_tree, changes, tombs)
            if not fixes:
                q.keep()
                repo.update_ref(ref, theirs, original, f"gitmem: fast-forward memory from {label}")
                return MergeResult("fast-forward", theirs, **extra)
            merged, parents = None, [theirs]   # theirs deleted or replaced records of ours: restore them on top
            plan = Plan(root=theirs_tree, writes=fixes, conflicts=kept)
    if parents != [theirs]:
        plan = plan_from_merge_tree(w, merged) if merged is not None else plan_union(w, base, ours, theirs)
        if plan.root:
            changes = {e.path: (e.old_oid, (e.new_mode, e.new_oid))
                       for e in ahead.diff_of(w, ours_tree, plan.root)}
        else:
            changes = {}
        changes.update(_old_values(w, ours_tree, plan.writes))
        fixes, kept, _n = _guard(w, ours_tree, changes, tombs)
        plan.writes.update(fixes)
        plan.conflicts += kept
    message = _merge_message(label, theirs, plan.conflicts)
    commit = None
    if plan.root and not plan.writes:
        commit = ahead.commit_of(w, plan.root, parents, message)
        if commit is not None:  # else no identity is configured: fast-import below uses a placeholder one
            q.keep()
            repo.update_ref(ref, commit, original, f"gitmem: merge memory from {label}")
    if commit is None:
        target = ref if parents[0] == original else f"refs/gitmem/tmp/merge-{os.getpid()}-{random.randrange(1 << 30)}"
        q.keep()  # the merged trees fast-import refers to by id
        stream = commit_stream(target, parents, repo.ident("AUTHOR"), repo.ident("COMMITTER"), message,
                               [(path, "100644" if isinstance(content, bytes) else mode, content)
                                for path, (mode, content) in plan.writes.items()], root=plan.root)
        try:
            commit = repo.fast_import(stream, target).decode().strip()
            if target != ref:
                repo.update_ref(ref, commit, original, f"gitmem: merge memory from {label}")
        finally:
            if target != ref:
                repo.delete_ref(target)
    for c in plan.conflicts:
        logger.info("memory merge conflict at %s: %s", c.path, c.rule)
    return MergeResult("merge", commit, conflicts=tuple(plan.conflicts), **extra)


@dataclass
class _Ahead:
    """The guard's diff of the merged tree and a commit of it, run beside the fetched tree's check; each is used
    only when the merge ends with exactly what it was run for (else it runs again for what the merge ended with)."""

    diff_key: tuple[str, str] | None = None                       # (ours' tree, the merged tree)
    commit_key: tuple[str, list[str], str] | None = None          # (tree, parents, message)
    diff: list[gitcmd.DiffEntry] | None = None
    commit: str | None = None

    def run(self, repo: Repo) -> Callable[[list[str]], merge_guard.Infos]:
        def lookup(specs: list[str]) -> merge_guard.Infos:
            assert self.diff_key is not None
            infos, self.diff, self.commit = infos_diff_and_commit(repo, specs, *self.diff_key, self.commit_key)
            return infos
        return lookup

    def diff_of(self, repo: Repo, a: str, b: str) -> list[gitcmd.DiffEntry]:
        if self.diff is not None and self.diff_key == (a, b):
            return self.diff
        return gitcmd.diff_tree(repo, a, b)

    def commit_of(self, repo: Repo, tree: str, parents: list[str], message: str) -> str | None:
        if self.diff is not None and self.commit_key == (tree, parents, message):
            return self.commit    # None: git refused it (no identity), as it would again
        return try_commit_tree(repo, tree, parents, message)


def _apply_tombstones(repo: Repo, ours: str, ours_tree: str, theirs: str, theirs_tree: str, label: str
                      ) -> tuple[merge_guard.Tombstones | None, str, str, str, str, int]:
    """Honour ``gitmem forget``: a side that lacks a tombstone the other has becomes a parentless commit
    of its tree without the forgotten records (its history may still hold them)."""
    names_o = merge_guard.tombstone_names(repo, ours_tree)
    names_t = merge_guard.tombstone_names(repo, theirs_tree)
    if not names_o and not names_t:
        return None, ours, ours_tree, theirs, theirs_tree, 0
    tombs = merge_guard.read_tombstones(repo, [ours_tree, theirs_tree])
    dropped = 0
    sides: list[tuple[str, str]] = []     # (commit, tree) of ours, then of theirs
    for commit, tree, missing in ((ours, ours_tree, names_t - names_o), (theirs, theirs_tree, names_o - names_t)):
        if missing:
            entries = merge_guard.full_entries(repo, tree)
            kept = merge_guard.filter_entries(entries, tombs)
            dropped += len(entries) - len(kept)
            tree = write_tree(repo, kept)
            commit = commit_tree(repo, tree, [], f"gitmem: memory without what `gitmem forget` "
                                             f"removed ({len(entries) - len(kept)} file(s) dropped)\n")
            logger.info("memory from %s: %d forgotten file(s) dropped", label, len(entries) - len(kept))
        sides.append((commit, tree))
    return tombs, sides[0][0], sides[0][1], sides[1][0], sides[1][1], dropped


def _old_values(repo: Repo, ours_tree: str, writes: dict[str, Resolution]
                ) -> dict[str, tuple[str | None, Resolution]]:
    """``{path: (our blob id or None, what the plan writes)}`` for the plan's explicit writes."""
    paths = list(writes)
    if not paths:
        return {}
    return {path: (oid, writes[path]) for path, oid in zip(paths, blob_ids(repo, [f"{ours_tree}:{p}" for p in paths]))}


def _guard(repo: Repo, ours_tree: str, changes: dict[str, tuple[str | None, Resolution]],
           tombs: merge_guard.Tombstones | None) -> tuple[dict[str, Resolution], list[Conflict], int]:
    """What to write over a merge result so that it keeps the guard's promises (see ``merge_guard``):
    ``changes`` maps each path the result changes to (our blob id or None, the result's (mode, content))."""
    fixes: dict[str, Resolution] = {}
    kept: list[Conflict] = []
    dropped = 0
    replaced: dict[str, tuple[str, str]] = {}
    for path, (old, (mode, new)) in changes.items():
        if new == old:
            continue
        record = is_record_path(path)
        if tombs is not None and isinstance(new, str) and tombs.covers(path, new) \
                and not is_tombstone(path):
            fixes[path] = ("100644", old) if old and not tombs.covers(path, old) else (mode, None)
            dropped += 1
            kept.append(Conflict(path, path_kind(path), old or "", new, "forgotten (`gitmem forget`): not taken"))
            continue
        if new is None and old and record:
            if tombs is not None and tombs.covers(path, old):
                continue
            fixes[path] = ("100644", old)
            kept.append(Conflict(path, path_kind(path), old, "", "a fetch may not delete a record: kept yours"))
        elif old and record and isinstance(new, str):
            if is_tombstone(path):
                fixes[path] = ("100644", old)
                kept.append(Conflict(path, "file", old, new, "a tombstone never changes: kept yours"))
            else:
                replaced[path] = (old, new)
    if replaced:
        folders = {p: folder for p in replaced if (folder := session_folder(p))}
        own = merge_guard.own_folders(repo, ours_tree, folders.values(), identity.local_user(repo))
        for path, (old, new) in replaced.items():
            if folders.get(path) not in own:
                continue
            aside = conflict_copy(path, new)
            fixes[path] = ("100644", old)
            fixes[aside] = ("100644", new)
            kept.append(Conflict(path, path_kind(path), old, new,
                                 f"a fetched version may not replace a record you wrote: kept yours, theirs is "
                                 f"at {aside}"))
    return fixes, kept, dropped


def sessions_changed(repo: Repo, old: str | None, new: str | None) -> int:
    """How many session folders differ between two memory commits (all of ``new``'s when ``old`` is None)."""
    if new is None or old == new:
        return 0
    if old is None:
        return sum(1 for f in folder_paths(repo, new, SESSIONS_DIR + "/") if is_session_folder(f))
    return len({f for e in gitcmd.diff_tree(repo, old, new) if (f := session_folder(e.path))})


def _arrived_sessions(repo: Repo, old: str | None, new: str | None) -> list[str]:
    """Ids of sessions whose summary a merge added (they came from the other side)."""
    if new is None:
        return []
    if old is None:
        paths = [e.path for e in repo.ls_tree(new, SESSIONS_DIR + "/", recursive=True)]
    else:
        paths = [e.path for e in gitcmd.diff_tree(repo, old, new) if e.old_oid is None]
    return [sid for p in paths if (sid := summary_session_id(p))]


def read_tips(repo: Repo, *refs: str) -> dict[str, tuple[str, str]]:
    """``{ref: (commit, tree)}`` for those of ``refs`` that exist, from one ``for-each-ref``."""
    return {name: tip for name, tip in commit_tips(repo, *refs).items() if name in refs}


def merge_memory(repo: Repo, theirs: str | None, *, theirs_tree: str | None = None, label: str = "remote",
                 engine: str | None = None, max_attempts: int = MAX_MERGE_ATTEMPTS) -> MergeResult:
    """Bring ``theirs`` into the local memory ref: create, fast-forward or merge, by compare-and-swap.

    ``sessions_in`` counts the session folders that changed locally.
    """
    if theirs is None:
        return MergeResult("nothing", memory_tip(repo))
    for attempt in range(1, max_attempts + 1):
        ours, ours_tree = read_tips(repo, MEMORY_REF).get(MEMORY_REF, (None, None))
        try:
            if ours is None:
                with gitcmd.quarantine(repo) as q:  # a cleaned tree stays out of a concurrent gc's reach
                    check = merge_guard.check_tree(q.repo, theirs_tree or tree_ids(repo, theirs)[0], None)
                    tip = theirs if not check.bad else commit_tree(
                        q.repo, check.clean_tree, [], f"gitmem: memory from {label} without {len(check.bad)} "
                        f"invalid entries\n")
                    q.keep()
                    repo.update_ref(MEMORY_REF, tip, None, f"gitmem: memory from {label}")
                result = MergeResult("created", tip, skipped=check.bad)
            else:
                trees = (ours_tree, theirs_tree) if ours_tree and theirs_tree else None
                result = merge_commits(repo, ours, theirs, label=label, engine=engine, trees=trees)
        except RefUpdateConflict:
            logger.debug("local memory ref moved during merge (attempt %d); retrying", attempt)
            time.sleep(random.uniform(0.005, 0.02) * min(attempt, 10))
            continue
        sessions = sessions_changed(repo, ours, result.commit) if result.kind != "up-to-date" else 0
        if sessions:
            merge_guard.record_fetched(repo.common_dir, _arrived_sessions(repo, ours, result.commit))
        if result.rewritten:
            expire_memory_reflogs(repo)
        return MergeResult(result.kind, result.commit, sessions, result.conflicts, attempt, result.skipped,
                           result.dropped, result.rewritten)
    check_ref_lock(repo)  # a lock file left by a killed git is not "moving": say so, with the fix
    raise RefUpdateConflict(["git", "fast-import", MEMORY_REF], 1,
                            f"the local memory ref kept moving; gave up merging after {max_attempts} attempts",
                            hint="run `gitmem sync` again.")


def merge_fetched(repo: Repo) -> list[MergeResult]:
    """Merge every tracking ref (what a plain `git fetch` or `git pull` brought) into local memory; no network."""
    results = []
    for ref, (oid, tree) in sorted(commit_tips(repo, TRACKING_PREFIX).items()):
        if (remote := tracked_remote(ref)) is not None:
            results.append(merge_memory(repo, oid, theirs_tree=tree, label=remote))
    return results


def expire_memory_reflogs(repo: Repo) -> None:
    """Drop the reflog entries of the memory ref and its tracking refs, so old memory commits
    (what a forget removed) become unreachable and a later prune deletes them."""
    expire_reflogs(repo, [MEMORY_REF, *repo.for_each_ref(TRACKING_PREFIX)])

