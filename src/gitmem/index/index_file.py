"""The search index file: where it lives, opening and creating it, keeping it up to date with the memory ref.

Invariants:
- The index (``<git-common-dir>/gitmem/index.sqlite``) is a cache. Everything
  in it can be rebuilt from the memory ref and the decision files at any time;
  a missing, corrupt or unknown-schema file is rebuilt, never an error.
- A rebuild writes a new file beside the old one and ``os.replace``s it in:
  readers see the old index or the new one, never half of one.
- Before each use the index is compared with the ref tip (one ``rev-parse``)
  and the decision files' (name, mtime, size, inode) signature (one
  ``scandir``). When the ref moved forward, only the session folders that
  ``diff-tree`` names are re-read (one ``ls-tree`` + one ``cat-file --batch``);
  when it did not move forward (rewritten history) or anything is off, rebuild.
- Writers (update and rebuild) hold ``index.lock`` (``flock``), so a rebuild
  never replaces the file under another writer's journal. Readers take no lock.
- Where gitmem was never set up (no state folder) the index is built in memory: readers create no state.
"""

from __future__ import annotations

import contextlib
import fcntl
import itertools
import logging
import os
import sqlite3
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, Sequence

from gitmem.config import state_dir
from gitmem.git import Repo
from gitmem.git.trees import changed_paths
from gitmem.index.current import decisions_key as _decisions_key, recorded_state as _state
from gitmem.index.migrations import UnknownMigrationError, apply_migrations, pending_migrations
from gitmem.index.rows import by_date, decision_rows, decisions_signature, read_decision_files, session_rows
from gitmem.index import embedding, vectors
from gitmem.index.tables import (decision_units, delete_sources, index_decisions, index_sessions,
                                 index_titles, insert_rows, session_units, set_meta, transaction)
from gitmem.progress import Progress, counted
from gitmem.store.layout import SESSIONS_DIR, session_folder
from gitmem.store.memory_ref import (SessionRecord, memory_in_parts, memory_tip, read_memory, read_sessions,
                                     session_count)
from gitmem.store.records import Decision

logger = logging.getLogger(__name__)

INDEX_FILE = "index.sqlite"
LOCK_FILE = "index.lock"
MAX_INCREMENTAL_FOLDERS = 2_000          # past this, one full read is cheaper than pathspecs
QUICK_FOLDERS = 200                      # a quick open (the SessionStart brief) re-reads at most this many
BUSY_TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True, slots=True)
class IndexUpdate:
    """What bringing the index up to date did."""

    action: str             # current | incremental | rebuilt
    tip: str | None         # the memory ref commit the index now reflects
    folders: int = 0        # session folders re-read from the ref
    decisions: bool = False  # decision files re-read
    reason: str = ""        # why it was rebuilt


class _NeedRebuild(Exception):
    pass


class IndexNotReady(Exception):
    """A quick open found no index it could use at once: missing, being built, or far behind the ref.

    The caller answers without the index (the brief reads the newest sessions from the ref) and may start
    the build in the background (``index_build.start``).
    """


def index_path(repo: Repo) -> Path:
    return state_dir(repo.common_dir) / INDEX_FILE


def worktree_key(repo: Repo) -> str:
    """What this work tree's decision rows are keyed by: its root ('' where there is no work tree)."""
    return str(repo.root) if repo.root is not None else ""


class _NeedsMigration(Exception):
    pass


def connect_index(path: Path, *, migrate: bool = True) -> sqlite3.Connection:
    """Open (creating when missing) the index at ``path`` with every migration applied.

    Raises ``sqlite3.DatabaseError`` for a file that is not an index this
    version can use; callers rebuild it. With ``migrate=False`` a pending step
    raises ``_NeedsMigration`` instead of writing (writers hold the lock).
    """
    if path.name != ":memory:":
        embedding.keep_weights_in(path.parent)   # the state folder: the model's weights are cached beside the index
    conn = sqlite3.connect(path, isolation_level=None, timeout=BUSY_TIMEOUT_SECONDS)
    try:
        if not migrate and pending_migrations(conn):
            raise _NeedsMigration(str(path))
        apply_migrations(conn)
    except UnknownMigrationError as exc:
        conn.close()
        raise sqlite3.DatabaseError(str(exc)) from exc
    except BaseException:
        conn.close()
        raise
    return conn


@contextlib.contextmanager
def write_lock(path: Path, *, wait: bool = True) -> Iterator[None]:
    """The index's write lock; with ``wait=False`` raise IndexNotReady when another writer holds it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.parent / LOCK_FILE, "a+b") as fh:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            raise IndexNotReady("the index is being written") from None
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def _fill_index(conn: sqlite3.Connection, *, tip: str | None, sessions: Iterable[SessionRecord], worktree: str,
                decisions: Iterable[tuple[str, Decision]], decisions_sig: str, reuse: Path | None = None,
                parts: Iterable[Sequence[SessionRecord]] = (), progress: Progress | None = None) -> int:
    """Load every row into an empty index in one transaction, then build the FTS index with one 'rebuild';
    embed the lines worth embedding, reusing the vectors of the index file ``reuse`` (the one being replaced).
    ``parts`` (after ``sessions``) are loaded one at a time, so only one is held in memory; ``progress`` is told
    the decision files written, then the last steps (the sessions are counted by whoever reads the parts)."""
    conn.execute("PRAGMA journal_mode = OFF")   # a failed build is thrown away whole
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("BEGIN IMMEDIATE")
    rows = 0
    for part in itertools.chain((sessions,), parts):
        part = by_date(part)
        rows += insert_rows(conn, (session_rows(rec) for rec in part))
        vectors.store(conn, session_units(part), reuse)
    decisions = list(decisions)
    rows += insert_rows(conn, counted(decision_rows(worktree, decisions), progress, "indexing decisions",
                                      len(decisions)))
    finishing = "full-text index, then vectors"
    if progress is not None:
        progress(finishing, 0, 2)
    conn.execute("INSERT INTO records_fts (records_fts) VALUES ('rebuild')")
    index_titles(conn)
    vectors.index_words(conn)
    if progress is not None:
        progress(finishing, 1, 2)
    vectors.store(conn, decision_units(worktree, decisions), reuse)
    if progress is not None:
        progress(finishing, 2, 2)
    set_meta(conn, "ref_tip", tip or "")
    if worktree:
        set_meta(conn, _decisions_key(worktree), decisions_sig)
    conn.execute("COMMIT")
    return rows


def build_index_file(path: Path, *, tip: str | None, sessions: Iterable[SessionRecord], worktree: str = "",
                     decisions: Iterable[tuple[str, Decision]] = (), decisions_sig: str = "",
                     parts: Iterable[Sequence[SessionRecord]] = (), progress: Progress | None = None) -> int:
    """Write a complete index to a temporary file and move it over ``path``; return the rows written.

    The caller holds the write lock. Rows go in with no FTS work per row; one
    ``'rebuild'`` then indexes them all (3x faster than row by row).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{INDEX_FILE}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        conn = connect_index(tmp)
        try:
            rows = _fill_index(conn, tip=tip, sessions=sessions, worktree=worktree, decisions=decisions,
                               decisions_sig=decisions_sig, reuse=path, parts=parts, progress=progress)
            conn.execute("VACUUM")   # the pages FTS5 freed merging its segments: ~5% of the file
        finally:
            conn.close()
        # A journal left by a writer that crashed belongs to the old file: were it
        # still there, the first reader of the new file would "roll it back" into it.
        for suffix in ("-journal", "-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(f"{path}{suffix}")
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return rows


def rebuild_locked(repo: Repo, reason: str, progress: Progress | None = None) -> IndexUpdate:
    path = index_path(repo)
    worktree = worktree_key(repo)
    sig = decisions_signature(repo.root)
    decisions = read_decision_files(repo.root) if repo.root is not None else []
    tip = memory_tip(repo)
    read = [0]
    build_index_file(path, tip=tip, sessions=(), worktree=worktree, decisions=decisions, decisions_sig=sig,
                     parts=_session_parts(repo, tip, read, progress), progress=progress)
    logger.info("search index rebuilt (%s): %d sessions, %d decision files", reason, read[0], len(decisions))
    return IndexUpdate("rebuilt", tip, read[0], repo.root is not None, reason)


def _session_parts(repo: Repo, tip: str | None, read: list[int],
                   progress: Progress | None = None) -> Iterator[Sequence[SessionRecord]]:
    """The sessions at ``tip`` a part at a time (``memory_in_parts``: the whole memory is never held at once);
    ``read[0]`` counts them and ``progress`` is told the sessions read and indexed of all there are."""
    if tip is None:
        return
    what = "reading and indexing sessions"
    total = session_count(repo, tip) if progress is not None else 0
    if progress is not None:
        progress(what, 0, total)
    for memory in memory_in_parts(repo, tip):
        for err in memory.errors:
            logger.warning("search index skips %s", err)
        read[0] += len(memory.sessions)
        yield memory.sessions
        if progress is not None:
            progress(what, read[0], max(total, read[0]))


def rebuild_index(repo: Repo, progress: Progress | None = None) -> IndexUpdate:
    """Build the index from scratch from the memory ref and this work tree's decision files; ``progress`` is
    told the session folders read, then the sources written."""
    with write_lock(index_path(repo)):
        return rebuild_locked(repo, "requested", progress)


def changed_session_folders(repo: Repo, old: str, new: str) -> list[str]:
    """``sessions/<month>/<id>`` folders with any file added, changed or deleted between two commits."""
    folders = {session_folder(path) for path in changed_paths(repo, old, new, SESSIONS_DIR)}
    return sorted(f for f in folders if f is not None)


def _update_locked(conn: sqlite3.Connection, repo: Repo, tip: str | None, sig: str,
                   max_folders: int = MAX_INCREMENTAL_FOLDERS) -> IndexUpdate:
    """Bring an open, current-schema index up to ``tip`` and ``sig``; raise _NeedRebuild when it cannot."""
    worktree = worktree_key(repo)
    old_tip, old_sig = _state(conn, worktree)
    if vectors.needs_rebuild(conn):
        raise _NeedRebuild("indexed without the semantic extra")
    if (old_tip, old_sig) == (tip or "", sig):
        if not vectors.complete(conn):
            with transaction(conn):
                vectors.fill(conn)   # lines indexed where the model was missing or not to be loaded
        return IndexUpdate("current", tip)
    folders: list[str] = []
    sessions: Sequence[SessionRecord] = ()
    if old_tip != (tip or ""):
        if not old_tip:
            raise _NeedRebuild("not indexed yet" if old_tip is None else "the memory ref was created")
        if tip is not None:
            if not repo.is_ancestor(old_tip, tip):
                raise _NeedRebuild("the memory ref was rewritten")
            folders = changed_session_folders(repo, old_tip, tip)
            if len(folders) > max_folders:
                raise _NeedRebuild(f"{len(folders)} sessions changed")
            memory = read_sessions(repo, folders, tip=tip)
            for err in memory.errors:
                logger.warning("search index skips %s", err)
            sessions = memory.sessions
    decisions = None
    if worktree and old_sig != sig:
        decisions = read_decision_files(Path(worktree))
    with transaction(conn):
        if old_tip != (tip or ""):
            if tip is None:
                delete_sources(conn, "worktree = ''", ())
                vectors.prune(conn)
            else:
                index_sessions(conn, sessions, folders)
            set_meta(conn, "ref_tip", tip or "")
        if decisions is not None:
            index_decisions(conn, worktree, decisions)
            set_meta(conn, _decisions_key(worktree), sig)
            _forget_missing_worktrees(conn)
    if old_tip != (tip or ""):
        logger.debug("search index: %d session folders re-read (%s..%s)", len(folders), old_tip, tip)
    return IndexUpdate("incremental", tip, len(folders), decisions is not None)


def _forget_missing_worktrees(conn: sqlite3.Connection) -> None:
    """Drop decision rows of work trees that no longer exist (removed with ``git worktree remove``)."""
    for (worktree,) in conn.execute("SELECT DISTINCT worktree FROM sources WHERE worktree != ''").fetchall():
        if not os.path.isdir(worktree):
            delete_sources(conn, "worktree = ?", (worktree,))
            vectors.prune(conn)
            conn.execute("DELETE FROM meta WHERE key = ?", (_decisions_key(worktree),))


def _open_if_usable(path: Path, *, migrate: bool, log: bool = True) -> sqlite3.Connection | None:
    if not path.exists():
        return None
    try:
        return connect_index(path, migrate=migrate)
    except _NeedsMigration:
        return None
    except sqlite3.DatabaseError as exc:
        if log:
            logger.warning("search index %s is unusable (%s); rebuilding it", path, exc)
        return None


def _memory_index(repo: Repo) -> tuple[sqlite3.Connection, IndexUpdate]:
    """A complete index in memory, for a repository where gitmem was never set up: readers create no state."""
    memory = read_memory(repo)
    decisions = read_decision_files(repo.root) if repo.root is not None else []
    conn = connect_index(Path(":memory:"))
    _fill_index(conn, tip=memory.tip, sessions=memory.sessions, worktree=worktree_key(repo), decisions=decisions,
                decisions_sig=decisions_signature(repo.root))
    return conn, IndexUpdate("rebuilt", memory.tip, len(memory.sessions), repo.root is not None, "not set up")


def _session_count(repo: Repo, at_most: int) -> int:
    """How many session folders the memory ref holds, counted up to ``at_most`` (one ``ls-tree`` per month)."""
    tip = memory_tip(repo)
    if tip is None:
        return 0
    count = 0
    for month in reversed(repo.ls_tree(tip, SESSIONS_DIR + "/")):
        if month.type == "tree":
            count += len(repo.ls_tree(month.oid))
            if count >= at_most:
                break
    return count


def open_current(repo: Repo, *, quick: bool = False) -> tuple[sqlite3.Connection, IndexUpdate]:
    """An open index that reflects the ref tip and this work tree's decision files.

    ``quick``: never build the whole index of more than ``QUICK_FOLDERS`` sessions nor wait for another
    writer; raise IndexNotReady instead (an update of at most ``QUICK_FOLDERS`` folders is still made).
    """
    path = index_path(repo)
    if not path.parent.is_dir():
        if quick:
            raise IndexNotReady("gitmem is not set up here")
        return _memory_index(repo)
    tip = memory_tip(repo)
    sig = decisions_signature(repo.root)
    conn = _open_if_usable(path, migrate=False)
    if conn is not None:
        try:
            if _state(conn, worktree_key(repo)) == (tip or "", sig) and (quick or vectors.complete(conn)):
                return conn, IndexUpdate("current", tip)
        except sqlite3.DatabaseError as exc:
            logger.warning("search index %s is unusable (%s); rebuilding it", path, exc)
        conn.close()
    # The quick open (the SessionStart brief) records new lines but never loads the model to embed them.
    with write_lock(path, wait=not quick), vectors.deferred(quick):
        # Reopen and re-read under the lock: another writer may have updated or replaced the file,
        # and the ref may have moved again, meanwhile.
        conn = _open_if_usable(path, migrate=True, log=False)
        update: IndexUpdate | None = None
        if conn is not None:
            try:
                update = _update_locked(conn, repo, memory_tip(repo), decisions_signature(repo.root),
                                        QUICK_FOLDERS if quick else MAX_INCREMENTAL_FOLDERS)
            except _NeedRebuild as exc:
                reason = str(exc)
            except Exception as exc:  # noqa: BLE001 - anything off in a cache: rebuild it from the source
                logger.warning("search index update failed (%s); rebuilding it", exc)
                reason = f"update failed: {exc}"
            if update is None:
                conn.close()
        else:
            reason = "missing" if not path.exists() else "unusable"
        if update is None:
            if quick and _session_count(repo, QUICK_FOLDERS + 1) > QUICK_FOLDERS:
                raise IndexNotReady(reason)
            update = rebuild_locked(repo, reason)
            conn = connect_index(path)
    assert conn is not None
    return conn, update



def ensure_index(repo: Repo) -> IndexUpdate:
    """Bring the index up to date with the memory ref and this work tree's decision files."""
    conn, update = open_current(repo)
    conn.close()
    return update
