"""Resolving what both sides of a memory merge changed: combining notes, ranking records, planning a union.

Invariants:
- The merge is a union of the two trees and is symmetric in its sides: any
  clone that merges the same two commits writes the same tree, whichever is
  "ours". A path both sides changed differently is resolved by a total
  order (``resolve_conflicts``) and reported as a ``Conflict``; the losing blob
  stays reachable through the merge commit's other parent.
- A plan only says what to write; ``merge`` writes it (through ``store.stream``).
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass, field
from typing import Sequence

from gitmem import git as gitcmd
from gitmem.errors import RecordError
from gitmem.git import DiffEntry, Repo
from gitmem.git.objects import blob_ids
from gitmem.store.dates import believable_time
from gitmem.store.layout import SUMMARY_FILE, is_obs_file, note_commit, note_paths, session_file
from gitmem.yaml_text import load_yaml, split_front_matter

logger = logging.getLogger(__name__)

@dataclass(frozen=True, slots=True)
class Conflict:
    """One path both sides changed differently, and how it was resolved."""

    path: str
    kind: str        # summary | observations | note | file
    kept: str        # blob id now at the path ("" when deleted)
    lost: str        # blob id that is only in the history now ("" when the two were combined or none lost)
    rule: str


def _path_rank(path: str) -> tuple[int, str]:
    return (path.count("/"), path)


def _ended_key(data: object) -> tuple[int, float, int]:
    """(believed, ended_at, observation_count): a date further ahead than clocks drift is not believed
    and ranks below every believable one, so a summary dated 2099 cannot win a conflict."""
    if not isinstance(data, dict):
        return (0, float("-inf"), -1)
    ended = str(data.get("ended_at") or "")
    try:
        stamp = datetime.datetime.fromisoformat(ended.replace("Z", "+00:00"))
        if stamp.tzinfo is None:
            stamp = stamp.replace(tzinfo=datetime.timezone.utc)
        when = stamp.timestamp()
    except ValueError:
        when = float("-inf")
    believed = int(believable_time(when) == when)
    count = data.get("observation_count")
    return (believed, when if believed else float("-inf"),
            count if isinstance(count, int) and not isinstance(count, bool) else -1)


def _summary_key(blob: bytes) -> tuple[int, float, int]:
    try:
        front, _body, _first = split_front_matter(blob.decode("utf-8"), SUMMARY_FILE)
        return _ended_key(load_yaml(front, SUMMARY_FILE))
    except (UnicodeDecodeError, RecordError, ValueError):
        return (0, float("-inf"), -1)


def _obs_key(blob: bytes) -> int:
    try:
        data = load_yaml(blob.decode("utf-8"), "obs")
    except (UnicodeDecodeError, RecordError, ValueError):
        return -1
    obs = data.get("observations") if isinstance(data, dict) else None
    return len(obs) if isinstance(obs, list) else -1


_NOTE_HEADER = "gitmem session "


def _note_units(text: str) -> list[str] | None:
    """A gitmem-written note as its per-session units, or None when it holds other text."""
    if not text.startswith(_NOTE_HEADER):
        return None
    units: list[str] = []
    for para in text.strip("\n").split("\n\n"):
        if para.startswith(_NOTE_HEADER):
            units.append(para)
        else:
            units[-1] += "\n\n" + para
    return units


def _contains(a: bytes, b: bytes) -> bool:
    """Whether note ``a`` holds note ``b`` as whole paragraphs (not merely as a substring)."""
    return (b"\n\n" + a.strip(b"\n") + b"\n\n").find(b"\n\n" + b.strip(b"\n") + b"\n\n") >= 0


def combine_notes(a: bytes, b: bytes) -> bytes:
    """Two notes on one commit as one: symmetric, associative, and idempotent on its own output.

    gitmem's own notes (each paragraph group starts ``gitmem session <id>:``)
    merge as the sorted set of their per-session units, so any order of
    merges on any clone gives the same bytes. Other text: a note that holds
    the other as whole paragraphs wins; else both, in byte order, joined by a
    blank line as ``git notes append`` would.
    """
    if a == b:
        return a
    ta, tb = a.decode("utf-8", "surrogateescape"), b.decode("utf-8", "surrogateescape")
    ua, ub = _note_units(ta), _note_units(tb)
    if ua is not None and ub is not None:
        return ("\n\n".join(sorted(set(ua) | set(ub))) + "\n").encode("utf-8", "surrogateescape")
    if _contains(a, b):
        return a
    if _contains(b, a):
        return b
    first, second = sorted((a, b))
    return first.rstrip(b"\n") + b"\n\n" + second


Resolution = tuple[str, "str | bytes | None"]   # (mode, blob id | new content | None: absent)


def path_kind(path: str) -> str:
    """What a path of the memory ref holds, for the conflict rules: summary, observations, note or file."""
    if note_commit(path):
        return "note"
    name = where[1] if (where := session_file(path)) is not None else ""
    if name == SUMMARY_FILE:
        return "summary"
    return "observations" if is_obs_file(name) else "file"


def resolve_conflicts(repo: Repo, items: Sequence[tuple[str, str, str | None, str | None]]
                      ) -> tuple[dict[str, Resolution], list[Conflict]]:
    """Resolve paths both sides changed differently: ``(path, mode, ours, theirs)`` -> what the path holds.

    Every rule is a total order or a symmetric combination, so swapping the
    two sides gives the same answer on every clone:
    - one side deleted the path: the side that still has it wins;
    - ``summary.md``: the later ``ended_at``, then the higher
      ``observation_count``, then the greater blob id;
    - ``obs-NNNN.yaml``: more observations, then the greater blob id;
    - a note on a commit: ``combine_notes`` of the two;
    - anything else: the greater blob id.
    """
    wanted = [oid for _p, _m, o, t in items for oid in (o, t) if oid]
    blobs = repo.read_blobs(wanted) if wanted else {}
    out: dict[str, Resolution] = {}
    conflicts: list[Conflict] = []
    for path, mode, ours, theirs in items:
        kind = path_kind(path)
        if ours is None or theirs is None:
            kept = ours or theirs
            out[path] = (mode, kept)
            conflicts.append(Conflict(path, kind, kept or "", "", "deleted on one side, changed on the other: kept"))
            continue
        a, b = blobs.get(ours, b""), blobs.get(theirs, b"")
        if kind == "note":
            merged = combine_notes(a, b)
            if merged in (a, b):
                kept, lost = (ours, theirs) if merged == a else (theirs, ours)
                out[path] = (mode, kept)
                conflicts.append(Conflict(path, kind, kept, lost, "one note contains the other"))
            else:
                out[path] = (mode, merged)
                conflicts.append(Conflict(path, kind, "", "", "notes from both sides concatenated"))
            continue
        key_o: tuple[object, ...]   # the same shape on both sides, by kind
        key_t: tuple[object, ...]
        if kind == "summary":
            key_o, key_t = (*_summary_key(a), ours), (*_summary_key(b), theirs)
            rule = "later ended_at (none in the future), then more observations, then the greater blob id"
        elif kind == "observations":
            key_o, key_t = (_obs_key(a), ours), (_obs_key(b), theirs)
            rule = "more observations, then the greater blob id"
        else:
            key_o, key_t = (ours,), (theirs,)
            rule = "the greater blob id"
        winner, loser = (ours, theirs) if key_o > key_t else (theirs, ours)
        out[path] = (mode, winner)
        conflicts.append(Conflict(path, kind, winner, loser, rule))
    return out, conflicts


@dataclass
class Plan:
    """What to write on top of a start tree (``ours``, or merge-tree's result)."""

    root: str | None = None                                    # replace the whole tree first
    writes: dict[str, Resolution] = field(default_factory=dict)
    conflicts: list[Conflict] = field(default_factory=list)


def plan_union(repo: Repo, base: str | None, ours: str, theirs: str) -> Plan:
    """The diff-based union: what to write over ``ours`` so the tree holds both sides.

    Paths only ``theirs`` changed take their version; paths both changed the
    same way stay; paths changed differently go to ``resolve_conflicts``. A
    note on one commit stored at different paths on the two sides (writers
    chose different notes fan-out) is combined into one path, the deeper one.
    Costs two ``diff-tree`` (side by side), whose cost follows the change.
    """
    base_tree = base or gitcmd.empty_tree(repo)
    theirs_diff, ours_diff = gitcmd.diff_trees(repo, [(base_tree, theirs), (base_tree, ours)])
    ours_new: dict[str, str | None] = {e.path: e.new_oid for e in ours_diff}
    plan = Plan()
    both: list[tuple[str, str, str | None, str | None]] = []
    added_notes: list[DiffEntry] = []
    for e in theirs_diff:
        mine = ours_new[e.path] if e.path in ours_new else e.old_oid
        if mine == e.new_oid:
            continue
        if mine == e.old_oid:
            plan.writes[e.path] = (e.new_mode, e.new_oid)
            if e.old_oid is None and mine is None and note_commit(e.path):
                added_notes.append(e)
            continue
        both.append((e.path, e.new_mode if e.new_oid else e.old_mode, mine, e.new_oid))
    if both:
        resolved, plan.conflicts = resolve_conflicts(repo, both)
        ours_of = {p: o for p, _m, o, _t in both}
        plan.writes.update({p: r for p, r in resolved.items() if r[1] != ours_of[p]})
    if added_notes:
        _merge_relocated_notes(repo, plan, ours, added_notes)
    return plan


def _merge_relocated_notes(repo: Repo, plan: Plan, ours: str, added: list[DiffEntry]) -> None:
    """Notes theirs added where ours has none, while ours has a note for that commit at another path."""
    probes = [(e, p) for e in added for p in note_paths(note_commit(e.path) or "") if p != e.path]
    found: dict[str, tuple[str, str]] = {}
    for (e, p), oid in zip(probes, blob_ids(repo, [f"{ours}:{p}" for _e, p in probes])):
        if oid is not None and not (p in plan.writes and plan.writes[p][1] is None):
            found[e.path] = (p, oid)
    if not found:
        return
    theirs_oids = {t: str(plan.writes[t][1]) for t in found}
    blobs = repo.read_blobs([oid for _p, oid in found.values()] + list(theirs_oids.values()))
    for their_path, (our_path, our_oid) in found.items():
        keep = max((their_path, our_path), key=_path_rank)
        drop = our_path if keep == their_path else their_path
        merged = combine_notes(blobs.get(our_oid, b""), blobs.get(theirs_oids[their_path], b""))
        plan.writes[drop] = ("100644", None)
        plan.writes[keep] = ("100644", merged)
        plan.conflicts.append(Conflict(keep, "note", "", "",
                                       f"one commit's note at {our_path} and {their_path}: combined at the deeper path"))


def plan_from_merge_tree(repo: Repo, merged: gitcmd.MergeTree) -> Plan:
    """merge-tree's tree, with each conflicted path replaced by ``resolve_conflicts``' answer."""
    plan = Plan(root=merged.tree)
    if not merged.conflicts:
        return plan
    stages: dict[str, dict[int, gitcmd.ConflictStage]] = {}
    for c in merged.conflicts:
        stages.setdefault(c.path, {})[c.stage] = c
    items = []
    for path, by_stage in stages.items():
        ours, theirs = by_stage.get(2), by_stage.get(3)
        mode = (ours or theirs or by_stage[1]).mode
        items.append((path, mode, ours.oid if ours else None, theirs.oid if theirs else None))
    plan.writes, plan.conflicts = resolve_conflicts(repo, items)
    return plan

