"""What a fetch may and may not do to this clone's memory.

Invariants (each checked before or after the tree union in ``merge.merge_commits``):
- A fetched tree is validated before git merges it: an entry whose name holds
  ``/``, is empty, ``.``, ``..`` or ``.git``, is not UTF-8, repeats a name, has a
  mode other than a file or a folder, breaks the ``sessions/<month>/<id>/<file>``
  layout, or is an oversized record, is left out and reported; the rest merges.
  Only folders whose tree differs from ours are read, so the cost follows the change.
- A fetch never deletes a record (``sessions/`` or ``forgotten/``) this clone
  holds: the union keeps ours.
- A fetch never replaces a record of a session this clone's user wrote (the
  summary in our tree names the local identity): ours stays at the path and
  theirs is kept beside it under ``conflicts/`` and reported.
- Tombstones (``forgotten/<id>.yaml``, written by ``gitmem forget``) win over
  both rules: content they name is dropped from either side. A side that lacks
  a tombstone the other has is replaced by a parentless commit of its filtered
  tree, so no history that still holds forgotten content is kept as a parent.
"""

from __future__ import annotations

import functools
import logging
import re
from dataclasses import dataclass, field
from typing import Callable, Iterable, Mapping

from gitmem.errors import RecordError
from gitmem.git import DiffEntry, Repo, empty_tree
from gitmem.git.objects import blob_ids, diff_tree_with_folders, make_tree, object_infos
from gitmem.store.identity import is_mine
from gitmem.store.layout import (FORGOTTEN_DIR, MONTH, SESSION_ID, SESSIONS_DIR, SUMMARY_FILE, is_tombstone,
                                 session_folder, summary_path, tombstone_name, tombstone_named)
from gitmem.yaml_text import load_yaml, split_front_matter

logger = logging.getLogger(__name__)

MAX_RECORD_BYTES = 8 << 20     # a summary or an observation file is a few KiB; 8 MiB is not a record
_MODES = {b"100644": "blob", b"100755": "blob", b"40000": "tree", b"040000": "tree"}


@dataclass(frozen=True, slots=True)
class BadEntry:
    """A fetched tree entry left out of the merge, and why."""

    path: str
    problem: str


@dataclass(frozen=True, slots=True)
class TreeCheck:
    bad: tuple[BadEntry, ...]
    clean_tree: str          # the fetched tree without the bad entries (the same tree when none)
    forgotten: tuple[str | None, str | None] = (None, None)   # the `forgotten/` tree ids of ours and theirs
    diff: tuple | None = None   # when nothing was bad: the file-level diff from ours to theirs (DiffEntry)


@dataclass
class Tombstones:
    """What ``forgotten/`` in a tree says must not come back: session folders, file paths and blob ids."""

    names: frozenset[str] = frozenset()
    folders: set[str] = field(default_factory=set)
    paths: set[str] = field(default_factory=set)
    blobs: set[str] = field(default_factory=set)

    def covers(self, path: str, oid: str | None) -> bool:
        if oid and oid in self.blobs:
            return True
        if path in self.paths:
            return True
        return session_folder(path) in self.folders


# -- validation of a fetched tree ------------------------------------------------------------------------


_ENTRY = {n: re.compile(rb"([0-7]{1,6}) ([^\0]*)\0(.{%d})" % n, re.S) for n in (20, 32)}


def _parse_tree(raw: bytes, oid_len: int) -> list[tuple[bytes, bytes, bytes]] | None:
    """Raw tree bytes as ``(mode, name, raw oid)``; None when the object is not a well-formed tree."""
    pattern = _ENTRY.get(oid_len)
    if pattern is None:
        return None
    entries = []
    pos = 0
    for m in pattern.finditer(raw):
        if m.start() != pos:
            return None
        entries.append((m[1], m[2], m[3]))
        pos = m.end()
    return entries if pos == len(raw) else None


def _name_problem(name: bytes) -> str:
    if not name or name in (b".", b".."):
        return "an empty, `.` or `..` name"
    if b"/" in name:
        return "a name containing `/`"
    if name.lower() == b".git":
        return "a `.git` entry"
    try:
        name.decode("utf-8")
    except UnicodeDecodeError:
        return "a name that is not UTF-8"
    return ""


def _layout_problem(path: str, kind: str) -> str:
    """``sessions/<yyyy-mm>/<session id>/<file>``: folders, then files, nothing deeper."""
    parts = path.split("/")
    if parts[0] != SESSIONS_DIR:
        return ""
    depth = len(parts)
    if depth == 1:
        return "" if kind == "tree" else "`sessions` is not a folder"
    if depth == 2:
        return "" if kind == "tree" and MONTH.match(parts[1]) else "not a `sessions/<yyyy-mm>` folder"
    if depth == 3:
        return "" if kind == "tree" and SESSION_ID.match(parts[2]) else "not a session folder"
    if depth == 4:
        return "" if kind == "blob" else "a folder inside a session folder"
    return "too deep for the session layout"


Infos = list[tuple[str, str, int] | None]


def check_tree(repo: Repo, theirs_tree: str, ours_tree: str | None, *,
               diff: list[DiffEntry] | None = None, lookup: Callable[[list[str]], Infos] | None = None) -> TreeCheck:
    """Validate what ``theirs_tree`` adds or changes over ``ours_tree``; rebuild it without bad entries.

    One ``diff-tree -r -t`` lists every changed entry, folders included, at git's speed; a path whose
    parent folder is not among them holds a name with ``/`` (git prints such a name as nested folders).
    One ``cat-file --batch-check`` then sizes the new files and finds both sides' ``forgotten/``.
    ``diff`` is that ``diff-tree`` when the caller ran it already (``diff_tree_with_folders(ours, theirs)``);
    ``lookup`` answers that ``cat-file`` query (``object_infos``) when the caller runs it beside other commands.
    """
    base = ours_tree or empty_tree(repo)
    entries = diff if diff is not None else diff_tree_with_folders(repo, base, theirs_tree)
    changed = [e for e in entries if e.new_oid]
    folders = {e.path for e in changed if e.new_mode == "040000"}
    bad: list[BadEntry] = []
    where: list[tuple[str, str]] = []          # (parent folder, entry name) of each bad entry
    blobs: dict[str, str] = {}
    for e in changed:
        parts = e.path.split("/")
        depth = len(parts) - 1
        while depth > 0 and "/".join(parts[:depth]) not in folders:
            depth -= 1
        parent, name = "/".join(parts[:depth]), "/".join(parts[depth:])
        if any(e.path.startswith(b.path + "/") for b in bad):
            continue    # inside an entry already left out (git lists a folder before what it holds)
        problem = _name_problem(name.encode("utf-8", "surrogateescape"))
        if not problem:
            try:
                name.encode("utf-8")
            except UnicodeEncodeError:
                problem = "a name that is not UTF-8"
        kind = _MODES.get(e.new_mode.encode())
        if not problem and kind is None:
            problem = f"mode {e.new_mode} (not a file or a folder)"
        if not problem:
            problem = _layout_problem(e.path, kind or "")
        if problem:
            bad.append(BadEntry(e.path, problem))
            where.append((parent, name))
        elif kind == "blob" and e.new_oid:   # every changed entry has one
            blobs[e.new_oid] = e.path
    query = [*blobs, f"{base}:{FORGOTTEN_DIR}", f"{theirs_tree}:{FORGOTTEN_DIR}"]
    infos = (lookup or functools.partial(object_infos, repo))(query)
    for oid, info in zip(blobs, infos):
        if info is not None and info[1] == "blob" and info[2] <= MAX_RECORD_BYTES:
            continue
        path = blobs[oid]
        problem = ("missing object" if info is None else f"{info[2]} bytes (records are at most "
                   f"{MAX_RECORD_BYTES} bytes)" if info[1] == "blob" else "not a file")
        bad.append(BadEntry(path, problem))
        where.append((path.rpartition("/")[0], path.rpartition("/")[2]))
    stones = infos[len(blobs):len(blobs) + 2]
    forgotten = tuple(info[0] if info is not None and info[1] == "tree" else None for info in stones)
    if not bad:
        files = tuple(e for e in entries if "040000" not in (e.old_mode, e.new_mode))
        return TreeCheck((), theirs_tree, (forgotten[0], forgotten[1]) if ours_tree else (None, forgotten[1]),
                         files)
    for b in bad:
        logger.warning("fetched memory: left out %s: %s", b.path, b.problem)
    bad_names: dict[str, set[bytes]] = {}
    for parent, name in where:
        bad_names.setdefault(parent, set()).add(name.encode("utf-8", "surrogateescape"))
    oids = {"": theirs_tree, **{e.path: str(e.new_oid) for e in changed if e.new_mode == "040000"}}
    wanted = {p for parent in bad_names for p in _ancestors(parent)}
    oid_len = len(theirs_tree) // 2
    with repo.object_reader() as reader:
        trees = reader.read([oids[p] for p in wanted if p in oids])
    seen = {p: _parse_tree(trees.get(oids[p], b""), oid_len) or [] for p in wanted if p in oids}
    return TreeCheck(tuple(bad), _rebuild(repo, seen, bad_names), (forgotten[0] if ours_tree else None,
                                                                   forgotten[1]))


def _ancestors(path: str) -> list[str]:
    out = [""]
    parts = path.split("/") if path else []
    for n in range(1, len(parts) + 1):
        out.append("/".join(parts[:n]))
    return out


def _rebuild(repo: Repo, seen: Mapping[str, list[tuple[bytes, bytes, bytes]]],
             bad_names: Mapping[str, set[bytes]]) -> str:
    """Write new trees for every fetched folder on the way to a bad entry; returns the new root tree."""
    dirty = set()
    for parent in bad_names:
        p = parent
        while True:
            dirty.add(p)
            if not p:
                break
            p = p.rpartition("/")[0]
    new: dict[str, str | None] = {}
    for path in sorted((p for p in dirty if p in seen), key=lambda p: -p.count("/") - (1 if p else 0)):
        lines: list[tuple[str, str, str, str]] = []
        for mode, name, raw_oid in seen[path]:
            oid = raw_oid.hex()
            if name in bad_names.get(path, ()):
                continue
            child = f"{path}/{name.decode('utf-8')}" if path else name.decode("utf-8")
            kind = _MODES[mode]
            if child in new:
                if new[child] is None:
                    continue
                oid = str(new[child])
            lines.append(("040000" if kind == "tree" else mode.decode(), kind, oid, name.decode("utf-8")))
        if not lines and path:
            new[path] = None    # an emptied folder goes too
            continue
        new[path] = make_tree(repo, lines)
    return str(new[""])


# -- tombstones -------------------------------------------------------------------------------------------


def tombstone_names(repo: Repo, tree: str | None) -> frozenset[str]:
    if not tree:
        return frozenset()
    return frozenset(name for e in repo.ls_tree(tree, FORGOTTEN_DIR + "/")
                     if e.type == "blob" and (name := tombstone_name(e.path)))


def read_tombstones(repo: Repo, trees: Iterable[str]) -> Tombstones:
    """Every tombstone in ``trees`` (their union)."""
    oids: dict[str, str] = {}
    for tree in trees:
        for e in repo.ls_tree(tree, FORGOTTEN_DIR + "/"):
            if e.type == "blob" and (name := tombstone_name(e.path)):
                oids.setdefault(name, e.oid)
    out = Tombstones(names=frozenset(oids))
    blobs = repo.read_blobs(list(oids.values()))
    for name, oid in oids.items():
        data = blobs.get(oid, b"")
        try:
            doc = load_yaml(data.decode("utf-8"), tombstone_named(name))
        except (UnicodeDecodeError, RecordError) as exc:
            logger.warning("unreadable tombstone %s: %s", name, exc)
            continue
        if not isinstance(doc, dict):
            continue
        out.folders |= {str(f) for f in doc.get("sessions") or [] if isinstance(f, str)}
        out.paths |= {str(f) for f in doc.get("paths") or [] if isinstance(f, str)}
        out.blobs |= {str(b) for b in doc.get("blobs") or [] if isinstance(b, str)}
    return out


def filter_entries(entries: Mapping[str, tuple[str, str]], tombs: Tombstones) -> dict[str, tuple[str, str]]:
    """``{path: (mode, oid)}`` without what the tombstones name (never a tombstone itself)."""
    return {p: mo for p, mo in entries.items()
            if is_tombstone(p) or not tombs.covers(p, mo[1])}


def full_entries(repo: Repo, tree: str) -> dict[str, tuple[str, str]]:
    return {e.path: (e.mode, e.oid) for e in repo.ls_tree(tree, recursive=True)}


# -- ownership, deletions and dates ----------------------------------------------------------------------


def _author_of(blob: bytes) -> str:
    try:
        front, _body, _first = split_front_matter(blob.decode("utf-8"), SUMMARY_FILE)
        data = load_yaml(front, SUMMARY_FILE)
    except (UnicodeDecodeError, RecordError, ValueError):
        return ""
    return str(data.get("author") or "") if isinstance(data, dict) else ""


def own_folders(repo: Repo, ours_tree: str, folders: Iterable[str], identity: str) -> set[str]:
    """Which of ``folders`` hold, in our tree, a summary whose author is the local user (``identity.is_mine``)."""
    if not identity:
        return set()
    wanted = sorted(set(folders))
    if not wanted:
        return set()
    summaries = blob_ids(repo, [f"{ours_tree}:{summary_path(f)}" for f in wanted])
    oids = {folder: oid for folder, oid in zip(wanted, summaries) if oid is not None}
    blobs = repo.read_blobs(list(oids.values()))
    own = set()
    for folder, oid in oids.items():
        if is_mine(_author_of(blobs.get(oid, b"")), identity):
            own.add(folder)
    return own




# -- provenance: which sessions came from a fetch -----------------------------------------------------------

FETCHED_FILE = "fetched-sessions.txt"


def record_fetched(common_dir, session_ids: Iterable[str]) -> None:
    """Remember sessions whose folders first arrived here by a fetch: whatever their ``author`` says,
    another clone wrote them (``fetched_session_ids``)."""
    from gitmem.config import state_dir

    ids = sorted(set(session_ids))
    if not ids:
        return
    folder = state_dir(common_dir)
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / FETCHED_FILE, "a", encoding="utf-8") as fh:
        fh.write("".join(f"{i}\n" for i in ids))


def fetched_session_ids(common_dir) -> set[str]:
    from gitmem.config import state_dir

    try:
        text = (state_dir(common_dir) / FETCHED_FILE).read_text(encoding="utf-8")
    except (FileNotFoundError, OSError):
        return set()
    return {line for line in text.splitlines() if line}


