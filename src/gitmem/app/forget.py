"""Take memory back: ``gitmem forget <session | observation | --grep TEXT>``.

Invariants:
- The memory ref is rewritten as one new parentless commit holding the
  current tree without what is forgotten, plus a tombstone
  ``forgotten/<id>.yaml`` that names the removed session folders, the removed
  paths and the blob ids of every removed or rewritten file (never the text
  searched for). The old history is no longer reachable from any gitmem ref.
- Before rewriting, teammates' memory is fetched and merged (when the remote
  is enabled and pushes are not held), so the rewrite keeps their records.
- The rewrite is pushed with ``--force-with-lease`` on the remote tip that was
  fetched and merged: a teammate's push that landed meanwhile makes the push
  fail (reported), never disappear.
- Merges honour tombstones (``merge_guard``): a teammate's clone drops the
  forgotten records at its next sync and rebuilds its own history without them,
  so it cannot push them back.
- Locally, once the remote has the rewrite (or there is no remote to wait for),
  gitmem's reflogs are expired and unreachable objects pruned (``git repack -a
  -d``, ``git prune --expire=now``), the search index is rebuilt and the
  pre-rendered briefs deleted. Spool files (sessions not flushed yet) are only
  reported: they are the only copy of that work.
- ``--grep`` matches the text case-sensitively in each file's bytes and in its
  parsed YAML strings (YAML may fold or escape a long line). A summary that
  holds it takes its whole session; an observation file loses the observations
  that hold it; a note on a commit loses the paragraphs that hold it.
"""

from __future__ import annotations

import datetime
import hashlib
import logging
import os
from dataclasses import dataclass
from typing import Sequence

from gitmem.config import MEMORY_REF, state_dir
from gitmem.errors import GitmemError, NotFoundError, RecordError, RefUpdateConflict
from gitmem.git import Repo
from gitmem.git.objects import commit_tree, delete_unreachable_objects, hash_blob, tree_of, write_tree
from gitmem.git.refs import set_ref
from gitmem.store import layout, memory_ref
from gitmem.store.records import ObservationBatch
from gitmem.team import merge, merge_guard, resolve, setup, sharing, sync
from gitmem.yaml_text import dump_yaml, load_yaml, split_front_matter

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 10
BRIEF_DIR = "briefs"


@dataclass(frozen=True, slots=True)
class ForgetResult:
    sessions: tuple[str, ...]           # session folders removed
    files: tuple[str, ...]              # other files removed or rewritten
    observations: int                   # observations removed from files that stay
    tombstone: str                      # path of the tombstone in the ref
    old_tip: str
    new_tip: str
    remote: str = ""                    # where the rewrite was pushed (or was to be)
    pushed: bool = False
    push_error: str = ""                # the lease failed, or the remote refused
    not_pushed: str = ""                # held, no remote, remote not enabled, --local
    pruned: bool = False                # old objects deleted from this clone
    spool_files: tuple[str, ...] = ()   # unflushed spool files that hold the text (--grep)

    def to_dict(self) -> dict:
        from dataclasses import asdict

        return asdict(self)


# -- matching ---------------------------------------------------------------------------------------------


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (*_strings(k), *_strings(v))]
    if isinstance(value, (list, tuple)):
        return [s for v in value for s in _strings(v)]
    return []


def _holds(data: bytes, text: str) -> bool:
    """Whether ``data`` holds ``text``: in its bytes, or in the strings its YAML parses to."""
    if text.encode("utf-8") in data:
        return True
    try:
        decoded = data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    try:
        front, body, _first = split_front_matter(decoded, layout.SUMMARY_FILE)
        parsed: object = [load_yaml(front, "front matter"), body]
    except (RecordError, ValueError):
        try:
            parsed = load_yaml(decoded, "record")
        except (RecordError, ValueError):
            return False
    return any(text in s for s in _strings(parsed))


def _note_without(data: bytes, drop) -> bytes | None:
    """A note without the paragraphs ``drop`` selects: the same bytes when none, None when nothing is left."""
    text = data.decode("utf-8", "surrogateescape")
    units = resolve._note_units(text)
    paras = units if units is not None else text.strip("\n").split("\n\n")
    kept = [p for p in paras if not drop(p)]
    if len(kept) == len(paras):
        return data
    return ("\n\n".join(kept) + "\n").encode("utf-8", "surrogateescape") if kept else None


# -- the plan ------------------------------------------------------------------------------------------------


@dataclass
class _Plan:
    entries: dict[str, tuple[str, str]]
    folders: set[str]
    removed: list[str]
    rewritten: dict[str, bytes]
    blobs: set[str]
    observations: int = 0


def _plan(repo: Repo, tip: str, sessions: Sequence[str], observations: Sequence[str], grep: str | None) -> _Plan:
    tree = tree_of(repo, tip)
    entries = merge_guard.full_entries(repo, tree)
    plan = _Plan(dict(entries), set(), [], {}, set())
    for ident in sessions:
        plan.folders.add(memory_ref.find_session(repo, ident).path)
    files = {p: oid for p, (_m, oid) in entries.items() if not layout.is_tombstone(p)}
    blobs = repo.read_blobs(list(dict.fromkeys(files.values()))) if (grep or observations) else {}
    if grep:
        for path, oid in files.items():
            if (folder := layout.summary_folder(path)) is not None and _holds(blobs.get(oid, b""), grep):
                plan.folders.add(folder)
    ids = [o for o in observations if o]
    found_ids: set[str] = set()
    session_ids = {layout.folder_session_id(f) for f in plan.folders}
    for path, oid in files.items():
        folder = layout.session_folder(path)
        in_conflicts = layout.is_conflict_copy(path)
        if folder in plan.folders or (in_conflicts and any(f"/{f}/" in path for f in plan.folders)):
            plan.removed.append(path)
            plan.blobs.add(oid)
            continue
        data = blobs.get(oid)
        name = layout.file_name(path)
        if layout.note_commit(path):
            if data is None:
                data = repo.read_blobs([oid]).get(oid, b"")
            new = _note_without(data, lambda p: (_holds(p.encode("utf-8", "surrogateescape"), grep) if grep else False)
                                or any(p.startswith(f"gitmem session {s}") for s in session_ids))
            _apply(plan, path, oid, data, new)
        elif layout.session_folder(path) and layout.is_obs_file(name) and data is not None \
                and (ids or grep):
            try:
                batch = ObservationBatch.from_text(data.decode("utf-8"), path)
            except (UnicodeDecodeError, RecordError):
                if grep and _holds(data, grep):
                    _apply(plan, path, oid, data, None)
                continue
            keep = []
            for o in batch.observations:
                hit = any(o.id.startswith(i) for i in ids)
                if hit:
                    found_ids.update(i for i in ids if o.id.startswith(i))
                if hit or (grep and _holds(dump_yaml(o.to_dict()).encode("utf-8"), grep)):
                    continue
                keep.append(o)
            if len(keep) != len(batch.observations):
                plan.observations += len(batch.observations) - len(keep)
                new_batch = ObservationBatch(batch.session_id, batch.seq, tuple(keep), batch.schema)
                _apply(plan, path, oid, data, new_batch.to_text().encode("utf-8") if keep else None)
            elif grep and _holds(data, grep):
                _apply(plan, path, oid, data, None)   # the text sits outside any observation (hand-edited)
        elif grep and data is not None and _holds(data, grep):
            _apply(plan, path, oid, data, None)
    missing = [i for i in ids if i not in found_ids]
    if missing:
        raise NotFoundError(f"no observation matches {', '.join(repr(m) for m in missing)}",
                            hint="observation ids start with `o1-`; find them with `gitmem search --json` "
                                 "or `gitmem show <session> --json`.")
    return plan


def _apply(plan: _Plan, path: str, oid: str, old: bytes, new: bytes | None) -> None:
    if new == old:
        return
    plan.blobs.add(oid)
    if new is None:
        plan.removed.append(path)
    else:
        plan.rewritten[path] = new


def _tombstone(repo: Repo, plan: _Plan, why: str) -> tuple[str, bytes]:
    now = datetime.datetime.now(datetime.timezone.utc)
    doc = {"forgotten_at": now.strftime("%Y-%m-%dT%H:%M:%SZ"), "by": repo.ident("COMMITTER").rsplit(" ", 2)[0],
           "why": why, "sessions": sorted(plan.folders),
           "paths": sorted(p for p in plan.removed if layout.session_folder(p) not in plan.folders),
           "blobs": sorted(plan.blobs)}
    data = dump_yaml(doc).encode("utf-8")
    digest = hashlib.sha1(data).hexdigest()[:12]
    return layout.tombstone_path(now.strftime('%Y%m%dT%H%M%SZ'), digest), data


# -- the command -------------------------------------------------------------------------------------------


def forget(repo: Repo, *, sessions: Sequence[str] = (), observations: Sequence[str] = (), grep: str | None = None,
           remote: str | None = None, local_only: bool = False) -> ForgetResult:
    """Rewrite the memory ref without the named sessions, observations or anything holding ``grep``."""
    if not sessions and not observations and not grep:
        raise GitmemError("nothing to forget", hint="name a session id, an observation id (o1-...), or use "
                                                    "`--grep TEXT`.")
    if grep is not None and len(grep.strip()) < 4:
        raise GitmemError("--grep needs at least 4 characters", hint="a shorter text would match most of memory.")
    why = "grep" if grep else "session" if sessions else "observation"
    name, not_pushed = _push_target(repo, remote, local_only)
    lease: str | None = None
    if name and not not_pushed:
        tip, tree = sync.fetch_memory(repo, name)
        merge.merge_memory(repo, tip, theirs_tree=tree, label=name)
        lease = tip or ""
    for _attempt in range(MAX_ATTEMPTS):
        old = memory_ref.memory_tip(repo)
        if old is None:
            raise NotFoundError("the memory ref is empty: there is nothing to forget")
        plan = _plan(repo, old, sessions, observations, grep)
        if not plan.removed and not plan.rewritten:
            raise NotFoundError(f"nothing in memory holds {grep!r}" if grep else "nothing to forget was found")
        entries = {p: mo for p, mo in plan.entries.items() if p not in set(plan.removed)}
        for path, data in plan.rewritten.items():
            entries[path] = ("100644", hash_blob(repo, data))
        stone_path, stone = _tombstone(repo, plan, why)
        entries[stone_path] = ("100644", hash_blob(repo, stone))
        tree = write_tree(repo, entries)
        message = (f"gitmem forget: {len(plan.folders)} session(s), {len(plan.removed)} file(s) removed, "
                   f"{len(plan.rewritten)} rewritten\n\nThe history before this commit was dropped; "
                   f"{stone_path} lists what was removed.\n")
        new = commit_tree(repo, tree, [], message)
        try:
            repo.update_ref(MEMORY_REF, new, old, "gitmem: forget")
            break
        except RefUpdateConflict:
            continue   # a flush wrote meanwhile: plan again on the new tip
    else:
        raise RefUpdateConflict(["git", "update-ref", MEMORY_REF], 1, "the memory ref kept moving",
                                hint="run `gitmem forget` again.")
    result = ForgetResult(tuple(sorted(plan.folders)), tuple(sorted({*plan.removed, *plan.rewritten} - {
        p for p in plan.removed if layout.session_folder(p) in plan.folders})), plan.observations, stone_path,
        old, new, remote=name or "", not_pushed=not_pushed)
    pushed, push_error = False, ""
    if name and not not_pushed:
        outcome = sync.push_memory(repo, name, lease=lease)
        if outcome.accepted:
            pushed = True
            set_ref(repo, sharing.tracking_ref(name), new, "gitmem: forget pushed")
        else:
            said = sync._remote_said(outcome.detail)
            push_error = (f"the rewrite was not pushed to {name} ({outcome.summary}{'; ' + said if said else ''}). "
                          + ("Its memory moved since it was fetched (a teammate pushed): nothing of theirs is lost. "
                             if outcome.transient else "")
                          + f"Your clone has forgotten it; `gitmem sync {name}` merges their new memory and pushes "
                            f"the rewrite again with a lease")
    pruned = False
    if pushed or not name or (not_pushed and not push_error):
        pruned = prune(repo)
    _drop_caches(repo)
    return _replace(result, pushed=pushed, push_error=push_error, pruned=pruned,
                    spool_files=_spool_hits(repo, grep) if grep else ())


def _replace(result: ForgetResult, **changes) -> ForgetResult:
    from dataclasses import replace

    return replace(result, **changes)


def _push_target(repo: Repo, remote: str | None, local_only: bool) -> tuple[str | None, str]:
    if local_only:
        return None, "--local: the remote keeps its copy until `gitmem sync` pushes the rewrite"
    if remote:
        sharing.require_remote(repo, remote)
    else:
        try:
            remote = setup.default_remote(repo)
        except GitmemError:
            return None, ""
    if sharing.is_held(repo):
        return remote, "memory pushes are held here: the rewrite goes out with `gitmem sync --release`"
    if not sharing.push_enabled(repo, remote):
        return None, f"{remote} is not enabled for memory, so it never received any from this clone"
    return remote, ""


def prune(repo: Repo) -> bool:
    """Make the old memory unreachable and delete it from this clone's object store."""
    merge.expire_memory_reflogs(repo)
    failed = delete_unreachable_objects(repo)
    if failed:
        logger.warning("pruning old memory failed: %s", failed)
        return False
    return True


def _drop_caches(repo: Repo) -> None:
    """The search index and the pre-rendered briefs are copies of memory: rebuild and delete them."""
    from gitmem.index import index_file

    folder = state_dir(repo.common_dir)
    briefs = folder / BRIEF_DIR
    if briefs.is_dir():
        for entry in briefs.iterdir():
            if entry.is_file():
                entry.unlink()
    if folder.is_dir():
        index_file.rebuild_index(repo)


def _spool_hits(repo: Repo, text: str) -> tuple[str, ...]:
    from gitmem.capture import spool

    folder = spool.spool_dir(repo.common_dir)
    hits = []
    if folder.is_dir():
        needle = text.encode("utf-8")
        for root, _dirs, names in os.walk(folder):
            for n in names:
                path = os.path.join(root, n)
                try:
                    with open(path, "rb") as fh:
                        if needle in fh.read():
                            hits.append(path)
                except OSError:
                    continue
    return tuple(sorted(hits))
