"""File events -> the spool lines of ``gitmem watch``: what a burst of events adds up to, and how it is written.

Invariants:
- Events are coalesced per file: a file written fifty times in a burst is one
  observation, and a file created and removed in one burst (an editor's
  temporary file) is none. What a path's events add up to is judged against
  the disk when the burst is written, not from the events alone.
- A burst of more than ``bulk_files`` files (a checkout, a build) is one
  summarized observation with counts per top folder (at most ``MAX_FOLDERS``)
  and a sample of ``MAX_SAMPLE`` paths.
- A line has the hook's shape (``{"ts", "event", "payload"}``, ASCII JSON),
  with the event names ``capture.compaction`` turns into observations.
"""

from __future__ import annotations

import json
import os
import stat
from collections import Counter
from dataclasses import dataclass

MAX_FOLDERS = 12            # per summarized observation
MAX_SAMPLE = 10
EVENT, BULK_EVENT = "FileChange", "FileChanges"  # capture.compaction turns these into observations


@dataclass(slots=True)
class PendingChange:
    """The events of one path seen in the current burst."""

    first: str          # created | appeared (moved in) | changed | removed
    seen: float         # clock time of the last event
    wall: float         # epoch time of the last event
    events: int = 1
    moved_from: str = ""


@dataclass(frozen=True, slots=True)
class FileChange:
    path: str           # relative to the work tree
    change: str         # created | modified | deleted | renamed
    ts: float
    moved_from: str = ""


def work_tree_path(prefix: str, path: str | bytes) -> str | None:
    """``path`` relative to the work tree at ``prefix`` (its root with a trailing ``/``); None outside it or
    under a ``.git`` folder (the spool lives there)."""
    path = os.fsdecode(path)
    if not path.startswith(prefix):
        return None
    rel = path[len(prefix):]
    if not rel or rel == ".git" or rel.startswith(".git/") or "/.git/" in rel or rel.endswith("/.git"):
        return None
    return rel


def settle(burst: dict[str, PendingChange], ignored: set[str], prefix: str,
           skip_files: tuple[tuple[int, int], ...] = ()) -> list[FileChange]:
    """What each path's events add up to, judged against the disk now."""
    out: list[FileChange] = []
    renamed_from: set[str] = set()
    for rel, e in burst.items():
        if rel in ignored:
            continue
        try:
            st = os.lstat(prefix + rel)
        except OSError:
            if e.first not in ("created", "appeared"):
                out.append(FileChange(rel, "deleted", e.wall))
            continue  # created and gone again within the burst: a temporary file
        if stat.S_ISDIR(st.st_mode) or (st.st_dev, st.st_ino) in skip_files:
            continue  # skip_files: a status line redirected into the work tree must not record itself forever
        source = e.moved_from if e.moved_from not in ignored else ""
        before = burst.get(source) if source else None
        if (e.first == "appeared" and before is not None and before.first in ("changed", "removed")
                and not os.path.lexists(prefix + source)):
            out.append(FileChange(rel, "renamed", e.wall, source))  # not a save through a temporary file
            renamed_from.add(source)
        else:
            out.append(FileChange(rel, "created" if e.first == "created" else "modified", e.wall))
    return [c for c in out if not (c.change == "deleted" and c.path in renamed_from)]


def spool_lines(changes: list[FileChange], lost: bool, session_id: str, root: str, bulk_files: int) -> list[bytes]:
    """The spool lines of one burst in the work tree at ``root``: one per change, or one summary for a big
    burst (or for any burst of several files when the kernel dropped events: the list is incomplete)."""
    prefix = root.rstrip("/") + "/"
    if len(changes) > bulk_files or (lost and len(changes) > 1):
        return [_line(max(c.ts for c in changes), BULK_EVENT, _bulk_payload(changes, lost, session_id, root))]
    return [_line(c.ts, EVENT, _payload(
        session_id, root, EVENT, path=prefix + c.path, change=c.change,
        **({"from": prefix + c.moved_from} if c.moved_from else {}))) for c in changes]


def _payload(session_id: str, root: str, event: str, **fields: object) -> dict:
    return {"session_id": session_id, "hook_event_name": event, "cwd": root, **fields}


def _line(ts: float, event: str, payload: dict) -> bytes:
    return (json.dumps({"ts": round(ts, 6), "event": event, "payload": payload}, ensure_ascii=True,
                       separators=(",", ":")) + "\n").encode("ascii")


def _bulk_payload(changes: list[FileChange], lost: bool, session_id: str, root: str) -> dict:
    prefix = root.rstrip("/") + "/"
    paths = [c.path for c in changes]
    tops = Counter(p.split("/", 1)[0] if "/" in p else "." for p in paths)
    if len(tops) == 1 and "." not in tops:  # all under one folder: one level deeper says more
        tops = Counter("/".join(p.split("/")[:2]) if p.count("/") >= 2 else p.split("/", 1)[0] for p in paths)
    folders = tops.most_common(MAX_FOLDERS)
    rest = len(paths) - sum(n for _, n in folders)
    return _payload(session_id, root, BULK_EVENT, files=len(changes), folders=[[f, n] for f, n in folders],
                    other=rest, changes=dict(Counter(c.change for c in changes)),
                    sample=[prefix + p for p in sorted(paths)[:MAX_SAMPLE]], lost_events=lost)
