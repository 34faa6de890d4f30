"""Read and write records in the memory ref ``refs/notes/gitmem``.

Invariants:
- Writes go through ``git fast-import`` with ``from <tip we read>``; git then
  refuses a stale parent and updates the ref in a transaction whose old
  value is the tip it checked, so every write is a compare-and-swap. A lost
  race re-reads the tip and rebuilds the commit; nothing is lost.
- Nothing here touches the user's index, work tree, HEAD or branches.
- A write costs what it adds: fast-import copies the untouched subtrees by id.
- Each session owns ``sessions/<yyyy-mm>/<session-id>/`` so two machines
  never write the same path. Paths built from payload values are validated.
- Reading never fails as a whole: a damaged record becomes an error naming
  its path and line, and every other record still loads.
"""

from __future__ import annotations

import datetime
import logging
import random
import time
from dataclasses import dataclass
from typing import Iterable, Iterator, Mapping

from gitmem.config import MEMORY_REF
from gitmem.errors import (GitError, GitmemError, NotFoundError, RecordError, RefUpdateConflict, StaleLockError,
                           WriteInterrupted)
from gitmem.git import Repo, missing_objects
from gitmem.git.history import commit_count, disk_usage
from gitmem.git.objects import blob_paths, folder_paths, note_count, object_types, tree_entries
from gitmem.progress import Progress, counted
from gitmem.store.layout import (SESSIONS_DIR, SUMMARY_FILE, file_name, folder_session_id, is_obs_file,
                                 is_session_folder, obs_path, obs_seq, session_dir, session_file, summary_path,
                                 validate_session_id)
from gitmem.store.records import Observation, ObservationBatch, SessionSummary
from gitmem.store.stream import commit_stream

logger = logging.getLogger(__name__)

MAX_WRITE_ATTEMPTS = 40
STALE_LOCK_SECONDS = 600  # git holds a ref lock for milliseconds; one this old was left by a killed process
MAX_ERRORS_LISTED = 10
BULK_FILES = 1_000
PART_FILES = 2_000   # files of the ref read at a time by a whole read (``memory_in_parts``)


@dataclass(frozen=True, slots=True)
class SessionRecord:
    """One session folder of the memory ref, as read."""

    session_id: str
    path: str
    summary: SessionSummary | None
    batches: tuple[ObservationBatch, ...] = ()

    @property
    def observations(self) -> tuple[Observation, ...]:
        return tuple(o for b in self.batches for o in b.observations)


@dataclass(frozen=True, slots=True)
class Memory:
    """Everything read from the ref: the sessions that loaded and the errors of those that did not."""

    tip: str | None
    sessions: tuple[SessionRecord, ...] = ()
    errors: tuple[RecordError, ...] = ()


@dataclass(frozen=True, slots=True)
class WriteResult:
    commit: str
    paths: tuple[str, ...]
    attempts: int


@dataclass(frozen=True, slots=True)
class StoreStats:
    tip: str | None
    sessions: int
    observation_files: int
    observations: int
    commit_notes: int
    ref_bytes: int
    commits: int
    errors: int = 0


# -- writing -----------------------------------------------------------------------


def memory_tip(repo: Repo, ref: str = MEMORY_REF) -> str | None:
    return repo.resolve(ref)


def write_files(repo: Repo, files: Mapping[str, bytes], message: str, *, ref: str = MEMORY_REF,
                notes: Mapping[str, bytes] | None = None, parent: str | None = None,
                author: str | None = None, bulk: bool | None = None) -> str:
    """One commit on ``ref`` whose parent is ``parent``; RefUpdateConflict when the ref moved.

    ``bulk`` (default: more than 1,000 files) trades a slightly larger pack for a write about twice as fast.
    """
    if bulk is None:
        bulk = len(files) > BULK_FILES
    author = author or repo.ident("AUTHOR")
    committer = repo.ident("COMMITTER")
    # The commit id comes from fast-import itself: re-reading the ref afterwards
    # could already return another writer's commit.
    stream = commit_stream(ref, [parent] if parent else [], author, committer, message,
                           [(path, "100644", content) for path, content in files.items()], notes=notes)
    try:
        out = repo.fast_import(stream, ref, bulk=bulk)
    except GitError as exc:
        if isinstance(exc, RefUpdateConflict) or not parent or (why := missing_objects(repo, parent)) is None:
            raise
        raise GitmemError(f"{ref} points at {parent[:12]}, which cannot be read in full ({why}); no write can "
                          "build on it",
                          hint="run `gitmem doctor` to repair it from the reflog, the remote's copy and the spool; "
                               "the sessions stay in the spool until then.") from None
    new = out.decode("ascii", "replace").strip()
    if not new:  # pragma: no cover - get-mark always answers after a successful import
        raise GitmemError(f"git fast-import did not report the commit it wrote to {ref}")
    return new


def _session_dirs(repo: Repo, tip: str, session_id: str) -> list[str]:
    """Folders of ``session_id`` in any month (normally one)."""
    months = [e.path for e in repo.ls_tree(tip, SESSIONS_DIR + "/") if e.type == "tree"]
    folders = [f"{m}/{session_id}" for m in months]
    return [f for f, kind in zip(folders, object_types(repo, [f"{tip}:{f}" for f in folders])) if kind == "tree"]


def _existing_session_dir(repo: Repo, tip: str | None, session_id: str, started_at: str) -> tuple[str, int]:
    """The session's folder (existing, or new for its month) and the next obs sequence number."""
    if tip is not None:
        dirs = _session_dirs(repo, tip, session_id)
        if dirs:
            folder = sorted(dirs)[0]
            seqs = [seq for e in repo.ls_tree(tip, folder + "/") if (seq := obs_seq(file_name(e.path)))]
            return folder, max(seqs, default=0) + 1
    return session_dir(session_id, started_at), 1


def write_session(repo: Repo, session_id: str, started_at: str, observations: Iterable[Observation] = (),
                  summary: SessionSummary | None = None, *, commit_notes: Mapping[str, str] | None = None,
                  message: str | None = None, ref: str = MEMORY_REF,
                  max_attempts: int = MAX_WRITE_ATTEMPTS) -> WriteResult:
    """Append one observation file and/or replace the summary of a session, in one commit.

    A session that already has a folder (a resumed session) keeps it and gets
    the next ``obs-NNNN.yaml``. Retries with jitter when another writer wins.
    """
    validate_session_id(session_id)
    obs = tuple(observations)
    if summary is not None and summary.id != session_id:
        raise RecordError(f"summary id {summary.id!r} does not match session {session_id!r}")
    title = summary.title if summary is not None else f"{len(obs)} observations"
    # One subject line even when a title holds newlines.
    msg = message or f"gitmem: session {session_id[:8]}: {' '.join(title.split())}\n\nSession: {session_id}\n"
    notes = {c: t.encode() for c, t in (commit_notes or {}).items()}
    last: RefUpdateConflict | None = None
    for attempt in range(1, max_attempts + 1):
        tip = memory_tip(repo, ref)
        folder, seq = _existing_session_dir(repo, tip, session_id, started_at)
        files: dict[str, bytes] = {}
        if obs:
            batch = ObservationBatch(session_id=session_id, seq=seq, observations=obs)
            files[obs_path(folder, seq)] = batch.to_text().encode()
        if summary is not None:
            files[summary_path(folder)] = summary.to_text().encode()
        if not files and not notes:
            return WriteResult(tip or "", (), attempt)
        try:
            commit = write_files(repo, files, msg, ref=ref, notes=notes, parent=tip)
        except RefUpdateConflict as exc:
            logger.debug("memory ref moved during write (attempt %d); retrying", attempt)
            last = exc
            remove_stale_ref_lock(repo, ref)
            time.sleep(random.uniform(0.005, 0.02) * min(attempt, 10))
            continue
        return WriteResult(commit, tuple(files), attempt)
    check_ref_lock(repo, ref)
    if isinstance(last, WriteInterrupted):
        raise last  # git's own words: why it could not write its objects
    raise RefUpdateConflict(["git", "fast-import", ref], 1,
                            f"the memory ref kept moving; gave up after {max_attempts} attempts",
                            hint="retry; the data is still in the spool.")


def remove_stale_ref_lock(repo: Repo, ref: str = MEMORY_REF, older_than: float = STALE_LOCK_SECONDS) -> bool:
    """Delete ``<ref>.lock`` when it is older than any live git process would keep it; True when deleted."""
    lock = repo.ref_lock_path(ref)
    try:
        age = time.time() - lock.stat().st_mtime
    except OSError:
        return False
    if age < older_than:
        return False
    try:
        lock.unlink()
    except FileNotFoundError:
        return False
    logger.warning("removed %s, a ref lock left %.0f s ago by a git process that was killed", lock, age)
    return True


def check_ref_lock(repo: Repo, ref: str = MEMORY_REF) -> None:
    """StaleLockError when ``<ref>.lock`` exists: what blocks the ref is a lock file, not other writers."""
    lock = repo.ref_lock_path(ref)
    try:
        age = time.time() - lock.stat().st_mtime
    except OSError:
        return
    raise StaleLockError(f"{ref} is locked by {lock} (created {age:.0f} s ago); every update of the ref fails "
                         "while it exists",
                         hint=f"if no git command is running in this repository, delete it (`rm {lock}`) or run "
                              "`gitmem doctor`; the sessions are still in the spool.")


# -- reading -------------------------------------------------------------------------


def _parse_session_files(session_files: dict[str, dict[str, bytes]], progress: Progress | None = None,
                         ) -> tuple[list[SessionRecord], list[RecordError]]:
    """Records of the session folders, each distinct file parsed once.

    A tree can name one blob from any number of folders (100,000 folders from a 10 KB pack), so a parse
    is cached by content, and a summary or observation file whose session id is not its folder's is an
    error, not a copy of that session. Past ``MAX_ERRORS_LISTED`` errors, one more says how many followed.
    ``progress`` is told the folders parsed (``reading sessions``).
    """
    records: list[SessionRecord] = []
    errors: list[RecordError] = []
    more = 0
    parsed: dict[tuple[str, bytes], tuple[object, str]] = {}   # (kind, content) -> (record or error, first path)

    def fail(exc: RecordError) -> None:
        nonlocal more
        if len(errors) < MAX_ERRORS_LISTED:
            errors.append(exc)
        else:
            more += 1

    for folder in counted(sorted(session_files), progress, "reading sessions", len(session_files)):
        files = session_files[folder]
        session_id = folder_session_id(folder)
        summary = None
        batches: list[ObservationBatch] = []
        for name in sorted(files):
            path = f"{folder}/{name}"
            kind = SUMMARY_FILE if name == SUMMARY_FILE else "obs" if is_obs_file(name) else ""
            if not kind:
                continue
            key = (kind, files[name])
            if key not in parsed:
                parsed[key] = (_parse_file(kind, files[name], path), path)
            result, first = parsed[key]
            if isinstance(result, RecordError):
                fail(result if first == path else RecordError(f"same content as {first}, which cannot be read",
                                                              path, hint=result.hint))
                continue
            owner = result.id if isinstance(result, SessionSummary) else result.session_id  # type: ignore[attr-defined]
            if owner != session_id:
                fail(RecordError(f"belongs to session {owner[:80]!r}, not to the folder it is in", path,
                                 hint="move it to its own session folder, or delete it from the memory ref."))
            elif isinstance(result, SessionSummary):
                summary = result
            else:
                batches.append(result)  # type: ignore[arg-type]
        records.append(SessionRecord(session_id, folder, summary, tuple(batches)))
    if more:
        errors.append(RecordError(f"{more} more unreadable records (not listed)", SESSIONS_DIR + "/"))
    return records, errors


def _parse_file(kind: str, data: bytes, path: str) -> SessionSummary | ObservationBatch | RecordError:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        return RecordError(f"not UTF-8 text (byte {exc.start})", path, line,
                           hint="restore the file from the ref's history (`git log refs/notes/gitmem`).")
    try:
        if kind == SUMMARY_FILE:
            return SessionSummary.from_text(text, path)
        return ObservationBatch.from_text(text, path)
    except RecordError as exc:
        return exc


def _group(entries: Iterable[tuple[str, str]]) -> dict[str, dict[str, str]]:
    """{session folder: {file name: blob id}} for ``sessions/<m>/<id>/<file>`` paths."""
    grouped: dict[str, dict[str, str]] = {}
    for path, oid in entries:
        if (where := session_file(path)) is not None:
            grouped.setdefault(where[0], {})[where[1]] = oid
    return grouped


def read_memory(repo: Repo, *, ref: str = MEMORY_REF, summaries_only: bool = False,
                progress: Progress | None = None) -> Memory:
    """All sessions in the ref, read with one ``ls-tree`` and one ``cat-file --batch``."""
    tip = memory_tip(repo, ref)
    if tip is None:
        return Memory(tip=None)
    entries = [(e.path, e.oid) for e in repo.ls_tree(tip, SESSIONS_DIR + "/", recursive=True) if e.type == "blob"]
    if summaries_only:
        entries = [(p, o) for p, o in entries if file_name(p) == SUMMARY_FILE]
    return _read_part(repo, tip, _group(entries), progress)


def session_count(repo: Repo, tip: str) -> int:
    """How many sessions the memory holds at ``tip`` (one ``ls-tree -r -d``: folders only, no file is read)."""
    return len(_session_folders(repo, tip))


def memory_in_parts(repo: Repo, tip: str, *, max_files: int | None = None) -> Iterator[Memory]:
    """All sessions at ``tip``, read a part at a time so that only one part is held in memory: month folders
    oldest first (those dated in the future first, as ``store.dates`` orders them), each read with one
    ``ls-tree`` and cut into parts of whole sessions of about ``max_files`` files, each part read with one
    ``cat-file --batch`` (``PART_FILES`` when not given). A part's sessions come in folder order."""
    max_files = max_files or PART_FILES
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m")
    months = [e.path for e in repo.ls_tree(tip, SESSIONS_DIR + "/") if e.type == "tree"]
    for month in sorted(months, key=lambda m: ("" if m.rsplit("/", 1)[-1] > now else m, m)):
        grouped = _group((e.path, e.oid) for e in repo.ls_tree(tip, month + "/", recursive=True) if e.type == "blob")
        part: dict[str, dict[str, str]] = {}
        files = 0
        for folder in sorted(grouped):
            part[folder] = grouped.pop(folder)
            files += len(part[folder])
            if files >= max_files:
                yield _read_part(repo, tip, part)
                part, files = {}, 0
        if part:
            yield _read_part(repo, tip, part)


def _read_part(repo: Repo, tip: str, grouped: dict[str, dict[str, str]], progress: Progress | None = None) -> Memory:
    """The sessions of ``grouped`` ({folder: {file name: blob id}}), read with one ``cat-file --batch``;
    ``progress`` is told the folders parsed."""
    blobs = repo.read_blobs([oid for files in grouped.values() for oid in files.values()])
    contents = {folder: {name: blobs.get(oid, b"") for name, oid in files.items()} for folder, files in grouped.items()}
    records, errors = _parse_session_files(contents, progress)
    return Memory(tip=tip, sessions=tuple(records), errors=tuple(errors))


def _session_folders(repo: Repo, tip: str) -> list[str]:
    """``sessions/<month>/<id>`` for every session, from one ``ls-tree -r -d`` (trees only)."""
    return [p for p in folder_paths(repo, tip, SESSIONS_DIR + "/") if is_session_folder(p)]


def _matching(folders: Iterable[str], id_or_prefix: str) -> tuple[list[str], set[str]]:
    """The folders of the sessions whose id is or starts with ``id_or_prefix``, and their ids; a full id wins
    over longer ids it is a prefix of."""
    matches = sorted(f for f in folders if folder_session_id(f).startswith(id_or_prefix))
    ids = {folder_session_id(m) for m in matches}
    if id_or_prefix in ids:
        return [m for m in matches if folder_session_id(m) == id_or_prefix], {id_or_prefix}
    return matches, ids


def find_summaries(repo: Repo, ids: Iterable[str], *, tip: str) -> dict[str, SessionSummary]:
    """The summary of each session named by id (or an unambiguous prefix) in ``ids``, by the id asked for:
    one scan of the session folders, one ``ls-tree`` and one ``cat-file`` however many are asked for. An id
    that matches no session, or several, is left out."""
    wanted = {i for i in ids if i and "/" not in i}
    if not wanted:
        return {}
    folders = _session_folders(repo, tip)
    by_id: dict[str, list[str]] = {}
    for folder in folders:
        by_id.setdefault(folder_session_id(folder), []).append(folder)
    chosen: dict[str, str] = {}
    for sid in wanted:
        matches, found = (sorted(by_id[sid]), {sid}) if sid in by_id else _matching(folders, sid)
        if len(found) == 1:
            chosen[sid] = matches[0]
    memory = read_sessions(repo, set(chosen.values()), tip=tip, summaries_only=True)
    by_folder = {r.path: r.summary for r in memory.sessions if r.summary is not None}
    return {sid: by_folder[folder] for sid, folder in chosen.items() if folder in by_folder}


def find_session(repo: Repo, id_or_prefix: str, *, ref: str = MEMORY_REF) -> SessionRecord:
    """The session whose id is or starts with ``id_or_prefix``."""
    tip = memory_tip(repo, ref)
    if tip is None:
        raise NotFoundError("the memory ref is empty: no sessions recorded yet",
                            hint="sessions are recorded by the Claude Code hooks after `gitmem init`.")
    if not id_or_prefix or "/" in id_or_prefix:
        raise NotFoundError(f"no session matches {id_or_prefix!r}")
    matches, ids = _matching(_session_folders(repo, tip), id_or_prefix)
    if not matches:
        raise NotFoundError(f"no session matches {id_or_prefix!r}")
    if len(ids) > 1:
        shown = ", ".join(sorted(ids)[:5])
        raise NotFoundError(f"{id_or_prefix!r} matches {len(ids)} sessions: {shown}",
                            hint="give more characters of the id.")
    entries = [(e.path, e.oid) for m in matches for e in repo.ls_tree(tip, m + "/", recursive=True)]
    grouped = _group(entries)
    blobs = repo.read_blobs([oid for files in grouped.values() for oid in files.values()])
    contents = {f: {n: blobs.get(o, b"") for n, o in files.items()} for f, files in grouped.items()}
    records, errors = _parse_session_files(contents)
    for err in errors:
        raise err
    return records[0]


def commit_notes(repo: Repo, *, ref: str = MEMORY_REF) -> int:
    tip = memory_tip(repo, ref)
    if tip is None:
        return 0
    return note_count(repo, ref)


def store_stats(repo: Repo, *, ref: str = MEMORY_REF) -> StoreStats:
    """Counts and sizes from tree listings alone: no record is parsed, so it stays fast at any size.

    ``observations`` and ``errors`` are left at 0 here; the search index knows them.
    """
    tip = memory_tip(repo, ref)
    if tip is None:
        return StoreStats(None, 0, 0, 0, 0, 0, 0, 0)
    names = blob_paths(repo, tip, SESSIONS_DIR + "/")
    folders = {where[0] for n in names if (where := session_file(n)) is not None}
    obs_files = sum(1 for n in names if is_obs_file(file_name(n)))
    return StoreStats(
        tip=tip,
        sessions=len(folders),
        observation_files=obs_files,
        observations=0,
        commit_notes=commit_notes(repo, ref=ref),
        ref_bytes=disk_usage(repo, ref),
        commits=commit_count(repo, ref),
        errors=0,
    )


def read_sessions(repo: Repo, folders: Iterable[str], *, tip: str, summaries_only: bool = False) -> Memory:
    """The session folders ``sessions/<month>/<id>`` named in ``folders``, as they are at ``tip``.

    One ``ls-tree`` (the folders as pathspecs) and one ``cat-file --batch``; a
    folder that does not exist at ``tip`` (a deleted session) is simply absent.
    The search index re-reads only the folders a ref update changed with it.
    With ``summaries_only`` git lists only each folder's ``summary.md``, so a
    folder of 100,000 observation files costs one entry (the brief needs no more).
    """
    wanted = {f.rstrip("/") for f in folders}
    if not wanted:
        return Memory(tip=tip)
    specs = sorted(summary_path(f) if summaries_only else f + "/" for f in wanted)
    entries = [(e.path, e.oid) for e in tree_entries(repo, tip, specs) if e.type == "blob"]
    return _read_part(repo, tip, {folder: files for folder, files in _group(entries).items() if folder in wanted})
