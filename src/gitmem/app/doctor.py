"""`gitmem doctor`: find a broken memory ref and repair it from what still exists.

A memory ref can point at a commit whose objects are gone (a ``git gc
--prune=now`` that ran beside an older gitmem, a disk that filled up, a
copied ``.git`` missing files); then every flush fails. The doctor checks
the ref the way ``git fsck`` would check one ref (``rev-list --objects``)
and repairs it from, in order: the newest intact commit in the ref's reflog,
the readable files of the broken commits after it, the teammates' copies in
the tracking refs, and the sessions the spool still holds.

Invariants:
- Nothing that still exists somewhere is dropped: every readable file of a
  broken commit that the repaired ref lacks is written back on top of it.
- The ref moves by compare-and-swap from the broken value the doctor read.
- ``dry_run`` changes nothing and reports what a repair would do.
- A ref lock is removed only when it is older than a running git would keep it.
"""

from __future__ import annotations

import contextlib
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from gitmem.app import flush, inject
from gitmem.capture import spool
from gitmem.config import MEMORY_REF
from gitmem.errors import GitmemError, RefUpdateConflict
from gitmem.git import Repo, missing_objects, read_reflog
from gitmem.git.refs import delete_ref_at
from gitmem.index import index_file
from gitmem.store import layout, memory_ref
from gitmem.team import merge, sharing

logger = logging.getLogger(__name__)

LOCK_AGE_SECONDS = 60.0   # git holds a ref lock for milliseconds; a doctor run by a person can be bolder than a flush
MAX_REFLOG_CHECKS = 100


@dataclass(slots=True)
class DoctorReport:
    """What was wrong and what was (or, with ``dry_run``, would be) done about it."""

    dry_run: bool
    tip_before: str | None = None
    tip_after: str | None = None
    problems: list[str] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)
    unresolved: list[str] = field(default_factory=list)

    @property
    def healthy(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {"healthy": self.healthy, "dry_run": self.dry_run, "tip_before": self.tip_before,
                "tip_after": self.tip_after, "problems": list(self.problems), "actions": list(self.actions),
                "unresolved": list(self.unresolved)}


def _check_lock(repo: Repo, report: DoctorReport) -> None:
    lock = repo.ref_lock_path(MEMORY_REF)
    try:
        age = time.time() - lock.stat().st_mtime
    except OSError:
        return
    report.problems.append(f"{lock} exists (left {age:.0f} s ago): every update of {MEMORY_REF} fails while it does")
    if age < LOCK_AGE_SECONDS:
        report.unresolved.append(f"left {lock} alone: a git command may still be running; run `gitmem doctor` again "
                                 "in a minute")
        return
    if not report.dry_run:
        lock.unlink(missing_ok=True)
    report.actions.append(f"removed the stale lock {lock}")


def _files_at(repo: Repo, commit: str) -> dict[str, str]:
    """``{path: blob id}`` of every blob still reachable under ``commit``, skipping trees that are gone.

    ``ls-tree -r`` stops at the first missing tree, losing every path sorted after it; this walks the trees
    one level at a time through ``cat-file --batch`` and only loses what is under a missing one.
    """
    raw = repo.read_blobs([commit]).get(commit)
    if not raw or not raw.startswith(b"tree "):
        return {}
    root = raw[5:raw.index(b"\n")].decode("ascii")
    width = len(root) // 2
    files: dict[str, str] = {}
    level = [(root, "")]
    while level:
        trees = repo.read_blobs([oid for oid, _ in level])
        below = []
        for oid, prefix in level:
            data = trees.get(oid)
            pos = 0
            while data is not None and pos < len(data):
                space = data.index(b" ", pos)
                nul = data.index(b"\0", space)
                mode, name = data[pos:space], data[space + 1:nul].decode("utf-8", "surrogateescape")
                entry = data[nul + 1:nul + 1 + width].hex()
                pos = nul + 1 + width
                if mode == b"40000":
                    below.append((entry, prefix + name + "/"))
                elif mode != b"160000":
                    files[prefix + name] = entry
        level = below
    return files


def _salvage(repo: Repo, broken: list[str], base: str | None) -> dict[str, bytes]:
    """Readable files of the ``broken`` commits (newest first) that ``base`` does not hold as they are."""
    have = _files_at(repo, base) if base else {}
    wanted: dict[str, str] = {}
    for commit in broken:
        for path, oid in _files_at(repo, commit).items():
            if path not in wanted and have.get(path) != oid:
                wanted[path] = oid
    blobs = repo.read_blobs(list(wanted.values())) if wanted else {}
    return {path: blobs[oid] for path, oid in wanted.items() if oid in blobs}


def _repair_ref(repo: Repo, report: DoctorReport) -> bool:
    """Check the memory ref; when broken, move it to the newest intact state plus what can be salvaged."""
    tip = memory_ref.memory_tip(repo)
    report.tip_before = report.tip_after = tip
    if tip is None:
        return False
    why = missing_objects(repo, tip)
    if why is None:
        return False
    report.problems.append(f"{MEMORY_REF} points at {tip[:12]}, which cannot be read in full ({why})")
    history = [c for c in read_reflog(repo, MEMORY_REF) if c != tip]
    good = None
    newer = [tip]
    for commit in history[:MAX_REFLOG_CHECKS]:
        if missing_objects(repo, commit) is None:
            good = commit
            break
        newer.append(commit)
    salvaged = _salvage(repo, newer, good)
    if good is not None:
        report.actions.append(f"reset {MEMORY_REF} to {good[:12]}, its newest intact state in the reflog")
    else:
        report.actions.append(f"started {MEMORY_REF} again: no intact state of it is left in the reflog")
    if salvaged:
        sessions = {f for p in salvaged if (f := layout.session_folder(p)) is not None}
        report.actions.append(f"wrote back {len(salvaged)} readable file(s) of the broken commits "
                              f"({len(sessions)} session folder(s))")
    if report.dry_run:
        return True
    if good is not None:
        repo.update_ref(MEMORY_REF, good, tip, "gitmem doctor: back to the newest intact state")
    else:
        try:
            delete_ref_at(repo, MEMORY_REF, tip)
        except RefUpdateConflict as exc:
            raise GitmemError(f"could not reset the broken {MEMORY_REF}: {exc.stderr}",
                              hint="check that no other gitmem or git command is running, then retry.") from exc
    if salvaged:
        memory_ref.write_files(repo, salvaged, "gitmem doctor: files salvaged from broken commits\n", parent=good)
    report.tip_after = memory_ref.memory_tip(repo)
    return True


def _merge_tracking(repo: Repo, report: DoctorReport, repaired: bool) -> None:
    """Teammates' copies: a broken one is deleted (so the next fetch brings it whole), an intact one merged."""
    for ref, oid in sorted(repo.for_each_ref(sharing.TRACKING_PREFIX).items()):
        if not ref.endswith("/memory"):
            continue
        why = missing_objects(repo, oid)
        if why is not None:
            report.problems.append(f"{ref} points at {oid[:12]}, which cannot be read in full ({why})")
            report.actions.append(f"deleted {ref}; the next `gitmem sync` fetches it whole")
            if not report.dry_run:
                with contextlib.suppress(RefUpdateConflict):
                    delete_ref_at(repo, ref, oid)
            continue
        if not repaired:
            continue  # a healthy ref: merging teammates' memory is sync's job, not a repair
        label = ref[len(sharing.TRACKING_PREFIX):-len("/memory")]
        report.actions.append(f"merged the copy from {label} ({oid[:12]})")
        if not report.dry_run:
            merge.merge_memory(repo, oid, label=label)
            report.tip_after = memory_ref.memory_tip(repo)


def _flush_spool(repo: Repo, report: DoctorReport) -> None:
    backlog = spool.backlog(spool.spool_dir(repo.common_dir))
    if not backlog.files:
        return
    if report.dry_run:
        report.actions.append(f"flush the {backlog.sessions} session(s) the spool still holds")
        return
    result = flush.flush_now(repo.common_dir)
    if not result.ran:
        report.unresolved.append("a flush worker is running; it writes the spool's sessions")
        return
    report.actions.append(f"flushed {len(result.sessions)} session(s) from the spool")
    report.unresolved += [f"flush: {e}" for e in result.errors]
    report.tip_after = memory_ref.memory_tip(repo)


def run_doctor(repo: Repo, *, dry_run: bool = False) -> DoctorReport:
    """Check the memory ref, its lock, the tracking refs and the spool; repair unless ``dry_run``."""
    report = DoctorReport(dry_run=dry_run)
    _check_lock(repo, report)
    repaired = _repair_ref(repo, report)
    _merge_tracking(repo, report, repaired)
    _flush_spool(repo, report)
    if dry_run or not repaired:
        return report
    tip = memory_ref.memory_tip(repo)
    if tip is not None and (why := missing_objects(repo, tip)) is not None:
        report.unresolved.append(f"{MEMORY_REF} is still broken after the repair ({why})")
    index_file.rebuild_index(repo)  # the index may hold sessions of commits that are gone
    report.actions.append("rebuilt the search index")
    inject.refresh_brief(repo)
    return report
