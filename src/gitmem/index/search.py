"""The search index: SQLite FTS5 over the memory ref and the decision files, and its queries.

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
- ``records_fts`` is an external-content FTS5 table over the view ``records``
  (``sources`` joined with ``entries``, see ``migrations.m002_sources``); only
  ``_add_rows`` and ``_delete_sources`` write them, always together in one transaction,
  and always a whole source (a session folder or a decision file) at a time.
- Decision files differ per work tree while the index is shared by all work
  trees of a repository, so decision rows are keyed by their work tree root
  and a query sees only its own work tree's decisions.
- User text never reaches MATCH raw: every term is rebuilt from letters and
  digits and double-quoted, so no input is an FTS5 syntax error.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import fcntl
import hashlib
import itertools
import json
import logging
import os
import re
import sqlite3
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Sequence

from gitmem import fence, globs
from gitmem.config import DECISIONS_DIR, state_dir
from gitmem.decisions.decision_files import read_decisions
from gitmem.errors import GitmemError
from gitmem.git import Repo
from gitmem.index.migrations import UnknownMigrationError, apply_migrations, pending_migrations
from gitmem.recall import STOPWORDS  # a query of only these lists recent records
from gitmem.store.layout import SESSIONS_DIR, folder_month, session_folder
from gitmem.store.memory_ref import SessionRecord, memory_tip, read_memory, read_sessions
from gitmem.store.records import Decision, Observation
from gitmem.team.merge_guard import believable_date

logger = logging.getLogger(__name__)

INDEX_FILE = "index.sqlite"
LOCK_FILE = "index.lock"
TITLE_CHARS = 120                        # an index title is one line of at most this many characters
TYPES = ("session", "observation", "decision")
BM25_WEIGHTS = (10.0, 1.0, 4.0, 3.0, 0.0)  # title, body, files, tags, facets: a title hit is worth ten body hits
MIN_PREFIX = 3                           # shorter prefixes match too many terms (MEASUREMENTS.md, table 5)
MAX_TERMS = 16
MAX_RANKED = 10_000                      # rank at most the newest 10,000 matches: ~10 ms of BM25 at 100k rows
MAX_INCREMENTAL_FOLDERS = 2_000          # past this, one full read is cheaper than pathspecs
QUICK_FOLDERS = 200                      # a quick open (the SessionStart brief) re-reads at most this many
MAX_LIMIT = 1_000
BUSY_TIMEOUT_SECONDS = 10.0
SNIPPET_TOKENS = 12



_SOURCE_COLUMNS = ("worktree", "folder", "session_id", "author", "branch", "facets")
_ENTRY_COLUMNS = ("kind", "seq", "rid", "date", "label", "title", "body", "files", "tags")
_INSERT_SOURCE = f"INSERT INTO sources (fid, {', '.join(_SOURCE_COLUMNS)}, first, last) VALUES (?{', ?' * 8})"
_INSERT_ENTRY = f"INSERT INTO entries (rowid, fid, {', '.join(_ENTRY_COLUMNS)}) VALUES (?, ?{', ?' * 9})"
_OBSERVATION_ID = re.compile(r"o1-[0-9a-f]{16}")   # stored as its 8 bytes; the view `records` spells it again
_MAX_AUTHOR_FACETS = 32
_FTS_COLUMNS = "title, body, files, tags, facets"
_TEXT_COLUMNS = "{title body files tags}"
_KINDS = {"session": 1, "observation": 2, "decision": 3}   # entries.kind; `zzt<kind>` is the type's filter token
_TYPE_FACETS = {name: f"zzt{kind}" for name, kind in _KINDS.items()}
_MAX_DATE_FACETS = 60
_RUN = re.compile(r"[^\W_]+")
_ASCII_RUN = re.compile(r"[A-Za-z0-9]+")
_RELATIVE = re.compile(r"(\d+)\s*(h|d|w|m|y)", re.IGNORECASE)
_RELATIVE_DAYS = {"h": 1 / 24, "d": 1, "w": 7, "m": 30, "y": 365}

Source = tuple[str, str, str, str, str, str]                    # as _SOURCE_COLUMNS
Entry = tuple[int, int, str | bytes, str, str | int, str, str, str, str]   # as _ENTRY_COLUMNS
Rows = tuple[Source, list[Entry]]                                # one source and its records


# -- results -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One record that matched: a session summary, an observation or a decision file."""

    type: str           # session | observation | decision
    id: str             # session id, observation id or decision id
    session_id: str     # the session it belongs to ('' for a decision made outside a session)
    title: str
    snippet: str        # matched text with the terms in **bold**
    date: str
    author: str
    branch: str
    path: str           # the file in the memory ref, or the decision file in the work tree
    files: tuple[str, ...]
    score: float        # BM25, higher is better; 0.0 when listed by recency

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type, "id": self.id, "session_id": self.session_id, "title": self.title,
                "snippet": self.snippet, "date": self.date, "author": self.author, "branch": self.branch,
                "path": self.path, "files": list(self.files), "score": round(self.score, 4)}


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


# -- records -> rows -------------------------------------------------------------------------------


def _utc_time(value: str) -> str | None:
    """An ISO 8601 time as ``2026-11-24T08:00:00Z`` (UTC; a time without offset is taken as UTC), or None."""
    try:
        stamp = datetime.datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    if stamp.tzinfo is not None:
        stamp = stamp.astimezone(datetime.timezone.utc)
    return stamp.strftime("%Y-%m-%dT%H:%M:%SZ")


def _norm_date(value: str) -> str:
    """A record's date in a form that sorts and compares as text: a bare date as is, a time in UTC,
    anything else unchanged."""
    value = value.strip()
    if len(value) == 10:
        with contextlib.suppress(ValueError):
            return datetime.date.fromisoformat(value).isoformat()
    return _utc_time(value) or value


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(i for i in items if i))


def _observation_label(o: Observation) -> str:
    head = " ".join(x for x in (o.kind, o.tool) if x)
    first = next((x for x in (o.command, o.text, o.detail) if x.strip()), "")
    if not first and o.files:
        first = ", ".join(o.files[:3])
    return fence.one_line(f"{head}: {first}" if first else head, TITLE_CHARS)


def _facet(kind: str, value: str) -> str:
    """A filter token: digits after the prefix, so the porter stemmer leaves it alone."""
    digest = hashlib.blake2b(value.encode("utf-8", "surrogateescape"), digest_size=8).digest()
    return f"zz{kind}{int.from_bytes(digest, 'big')}"


def _label_candidates(rid: str, title: str, body: str, files: str, tags: str) -> Iterator[str]:
    """Labels a record's other columns spell: its title (or id), then "<kind> <tool>: <line>" for each of the
    first lines of its body and for its first files (an observation's label, mostly)."""
    yield fence.one_line(title, TITLE_CHARS) or rid
    head = " ".join(tags.split()[:2])
    for part in body.split("\n")[:3]:
        yield fence.one_line(f"{head}: {part}", TITLE_CHARS)
    yield fence.one_line(f"{head}: {', '.join(files.split(chr(10))[:3])}", TITLE_CHARS)


def _stored_label(label: str, rid: str, title: str, body: str, files: str, tags: str) -> str | int:
    """What ``entries.label`` holds: the number of the first candidate equal to ``label`` (so the label is
    computed again when read, and not stored), else ``label``."""
    for i, candidate in enumerate(_label_candidates(rid, title, body, files, tags)):
        if candidate == label:
            return i
    return label


def _label(stored: str | int, rid: str, title: str, body: str, files: str, tags: str) -> str:
    """The label ``_stored_label`` stored."""
    if isinstance(stored, str):
        return stored
    return next(itertools.islice(_label_candidates(rid, title, body, files, tags), stored, None), "")


def _source(worktree: str, folder: str, session_id: str, author: str, branch: str) -> Source:
    """A source row with the filter tokens its records share: its branch and its author, each led by a space
    (the view ``records`` adds the type and date tokens of each record)."""
    tokens = [_facet("b", branch)] if branch else []
    if author:
        tokens.append(_facet("a", author))   # the whole name: an author filter names each author it matches
    return (worktree, folder, session_id, author, branch, "".join(f" {t}" for t in tokens))


def _entry(kind: int, seq: int, rid: str, date: str, label: str, title: str, body: str, files: str,
           tags: str) -> Entry:
    return (kind, seq, bytes.fromhex(rid[3:]) if _OBSERVATION_ID.fullmatch(rid) else rid, date,
            _stored_label(label, rid, title, body, files, tags), title, body, files, tags)


def session_rows(record: SessionRecord) -> Rows:
    """The rows of one session folder: its source row, its summary (when it has one) and each observation."""
    s = record.summary
    author = s.author if s else ""
    branch = s.branch if s else ""
    rows: list[Entry] = []
    if s is not None:
        decisions = [part for d in s.decisions
                     for part in (d.title, d.decision, d.context, d.rationale, *d.alternatives) if part]
        body = "\n".join(x for x in (s.request, *s.investigated, *s.learned, *s.completed, *s.next_steps,
                                     *s.dead_ends, *decisions) if x)
        files = _unique((*s.files_modified, *s.files_read, *(f for d in s.decisions for f in d.files)))
        # A date in the future (forged, or a broken clock) sorts as the oldest, never as the newest work.
        date = _norm_date(believable_date(s.ended_at, s.started_at))
        rows.append(_entry(_KINDS["session"], 0, s.id, date, fence.one_line(s.title, TITLE_CHARS) or s.id, s.title, body,
                           "\n".join(files), " ".join(s.tags)))
    for batch in record.batches:
        for o in batch.observations:
            rows.append(_entry(_KINDS["observation"], batch.seq, o.id, _norm_date(o.ts), _observation_label(o),
                               "", "\n".join(x for x in (o.text, o.command, o.detail) if x),
                               "\n".join(_unique(o.files)), " ".join(x for x in (o.kind, o.tool, o.outcome) if x)))
    return _source("", record.path, record.session_id, author, branch), rows


def decision_row(worktree: str, path: str, d: Decision, replaces: Sequence[str] = ()) -> Rows:
    """The row of one decision file; ``path`` is relative to the work tree root. ``replaces`` are the titles of
    the decisions it supersedes: a search in the words of an old decision also finds what replaced it."""
    stem = path.rsplit("/", 1)[-1].removesuffix(".md")
    date, authors = _norm_date(d.date), ", ".join(d.authors)
    body = d.body + "".join(f"\n{title}" for title in replaces)  # the titles alone: no status word to match
    return _source(worktree, path, d.session, authors, ""), [
        _entry(_KINDS["decision"], 0, d.id or stem, date, fence.one_line(d.title, TITLE_CHARS) or stem, d.title, body,
               "\n".join(_unique(d.files)), " ".join((d.status, *d.tags)))]


def decision_rows(worktree: str, decisions: Iterable[tuple[str, Decision]]) -> Iterator[Rows]:
    """The rows of a work tree's decision files, each naming the titles of the decisions it supersedes."""
    found = list(decisions)
    titles = {d.id: d.title for _, d in found if d.id}
    for path, d in found:
        yield decision_row(worktree, path, d, [titles[i] for i in d.supersedes if i in titles])


# -- decision files ---------------------------------------------------------------------------------


def _decision_entries(root: Path) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(root / DECISIONS_DIR) as it:
            return sorted((e for e in it if e.name.endswith(".md") and not e.name.startswith(".")
                           and e.is_file()), key=lambda e: e.name)
    except (FileNotFoundError, NotADirectoryError):
        return []


def decisions_signature(root: Path | None) -> str:
    """Changes whenever a decision file is added, removed, renamed or rewritten (no file is read)."""
    if root is None:
        return ""
    parts = []
    for entry in _decision_entries(root):
        with contextlib.suppress(OSError):
            st = entry.stat()
            parts.append(f"{entry.name}\0{st.st_mtime_ns}\0{st.st_size}\0{st.st_ino}")
    return hashlib.sha1("\n".join(parts).encode("utf-8", "surrogateescape")).hexdigest()


def read_decision_files(root: Path) -> list[tuple[str, Decision]]:
    """(path relative to ``root``, decision) of every readable decision file, by name; broken, conflicted
    and refused ones (links, files over the size cap) are logged and left out (``decisions.read_decisions``)."""
    found = read_decisions(root)
    for err in found.errors:
        logger.warning("search index skips %s", err.message)
    return [(f.path, f.decision) for f in sorted(found.files, key=lambda f: f.path)]


# -- writing rows ------------------------------------------------------------------------------------


@contextlib.contextmanager
def _transaction(conn: sqlite3.Connection) -> Iterator[None]:
    if conn.in_transaction:
        yield
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def _insert_rows(conn: sqlite3.Connection, groups: Iterable[Rows]) -> int:
    """Insert sources and their entries (not into ``records_fts``), each source's on the next consecutive
    rowids; return the entries inserted."""
    fid, rowid = conn.execute("SELECT (SELECT coalesce(max(fid), 0) FROM sources), "
                              "(SELECT coalesce(max(rowid), 0) FROM entries)").fetchone()
    count = 0
    for source, entries in groups:
        fid += 1
        conn.execute(_INSERT_SOURCE, (fid, *source, rowid + 1, rowid + len(entries)))
        conn.executemany(_INSERT_ENTRY, ((rowid + i, fid, *entry) for i, entry in enumerate(entries, 1)))
        rowid += len(entries)
        count += len(entries)
    return count


def _add_rows(conn: sqlite3.Connection, groups: Iterable[Rows]) -> int:
    """Insert sources and their entries, and the entries' records into ``records_fts``."""
    before = conn.execute("SELECT coalesce(max(rowid), 0) FROM entries").fetchone()[0]
    count = _insert_rows(conn, groups)
    conn.execute(f"INSERT INTO records_fts (rowid, {_FTS_COLUMNS}) SELECT rowid, {_FTS_COLUMNS} FROM records "
                 "WHERE rowid > ?", (before,))
    return count


def _delete_sources(conn: sqlite3.Connection, where: str, params: Sequence[Any]) -> None:
    """Delete the sources matching ``where`` (on ``sources``) and their records: from ``records_fts`` first,
    through the view while it still yields the exact old text and tokens, then the entries and sources."""
    for first, last in conn.execute(f"SELECT first, last FROM sources WHERE {where}", params).fetchall():
        conn.execute(f"INSERT INTO records_fts (records_fts, rowid, {_FTS_COLUMNS}) "
                     f"SELECT 'delete', rowid, {_FTS_COLUMNS} FROM records WHERE rowid BETWEEN ? AND ?", (first, last))
        conn.execute("DELETE FROM entries WHERE rowid BETWEEN ? AND ?", (first, last))
    conn.execute(f"DELETE FROM sources WHERE {where}", params)


def _set_meta(conn: sqlite3.Connection, key: str, value: str) -> None:
    conn.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                 (key, value))


def _get_meta(conn: sqlite3.Connection, key: str) -> str | None:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return None if row is None else row[0]


def _by_date(sessions: Iterable[SessionRecord]) -> list[SessionRecord]:
    """Oldest first, so rowid order is roughly time order (the newest-matches window relies on it)."""
    def key(rec: SessionRecord) -> tuple[str, str]:
        s = rec.summary
        return (_norm_date(believable_date(s.started_at)) if s else folder_month(rec.path), rec.path)
    return sorted(sessions, key=key)


def index_sessions(conn: sqlite3.Connection, sessions: Iterable[SessionRecord],
                   folders: Iterable[str] = ()) -> int:
    """Replace the rows of ``folders`` and of every session given with the sessions' rows; return rows added."""
    sessions = _by_date(sessions)
    stale = sorted({*folders, *(s.path for s in sessions)})
    with _transaction(conn):
        if stale:
            _delete_sources(conn, "worktree = '' AND folder IN (SELECT value FROM json_each(?))",
                            (_json_list(stale),))
        return _add_rows(conn, (session_rows(rec) for rec in sessions))


def index_decisions(conn: sqlite3.Connection, worktree: str, decisions: Iterable[tuple[str, Decision]]) -> int:
    """Replace the decision rows of ``worktree`` (a work tree root); return rows added."""
    with _transaction(conn):
        _delete_sources(conn, "worktree = ?", (worktree,))
        return _add_rows(conn, decision_rows(worktree, decisions))


def _json_list(items: Sequence[str]) -> str:
    return json.dumps(list(items))


# -- the index file -----------------------------------------------------------------------------------


def index_path(repo: Repo) -> Path:
    return state_dir(repo.common_dir) / INDEX_FILE


def _worktree(repo: Repo) -> str:
    return str(repo.root) if repo.root is not None else ""


def _decisions_key(worktree: str) -> str:
    return f"decisions:{worktree}"


class _NeedsMigration(Exception):
    pass


def connect_index(path: Path, *, migrate: bool = True) -> sqlite3.Connection:
    """Open (creating when missing) the index at ``path`` with every migration applied.

    Raises ``sqlite3.DatabaseError`` for a file that is not an index this
    version can use; callers rebuild it. With ``migrate=False`` a pending step
    raises ``_NeedsMigration`` instead of writing (writers hold the lock).
    """
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
def _write_lock(path: Path, *, wait: bool = True) -> Iterator[None]:
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
                decisions: Iterable[tuple[str, Decision]], decisions_sig: str) -> int:
    """Load every row into an empty index in one transaction, then build the FTS index with one 'rebuild'."""
    conn.execute("PRAGMA journal_mode = OFF")   # a failed build is thrown away whole
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("BEGIN IMMEDIATE")
    rows = _insert_rows(conn, (session_rows(rec) for rec in _by_date(sessions)))
    rows += _insert_rows(conn, decision_rows(worktree, decisions))
    conn.execute("INSERT INTO records_fts (records_fts) VALUES ('rebuild')")
    _set_meta(conn, "ref_tip", tip or "")
    if worktree:
        _set_meta(conn, _decisions_key(worktree), decisions_sig)
    conn.execute("COMMIT")
    return rows


def build_index_file(path: Path, *, tip: str | None, sessions: Iterable[SessionRecord], worktree: str = "",
                     decisions: Iterable[tuple[str, Decision]] = (), decisions_sig: str = "") -> int:
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
                               decisions_sig=decisions_sig)
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


def _rebuild_locked(repo: Repo, reason: str) -> IndexUpdate:
    path = index_path(repo)
    worktree = _worktree(repo)
    sig = decisions_signature(repo.root)
    decisions = read_decision_files(repo.root) if repo.root is not None else []
    memory = read_memory(repo)
    for err in memory.errors:
        logger.warning("search index skips %s", err)
    build_index_file(path, tip=memory.tip, sessions=memory.sessions, worktree=worktree, decisions=decisions,
                     decisions_sig=sig)
    logger.info("search index rebuilt (%s): %d sessions, %d decision files", reason, len(memory.sessions),
                len(decisions))
    return IndexUpdate("rebuilt", memory.tip, len(memory.sessions), repo.root is not None, reason)


def rebuild_index(repo: Repo) -> IndexUpdate:
    """Build the index from scratch from the memory ref and this work tree's decision files."""
    with _write_lock(index_path(repo)):
        return _rebuild_locked(repo, "requested")


def changed_session_folders(repo: Repo, old: str, new: str) -> list[str]:
    """``sessions/<month>/<id>`` folders with any file added, changed or deleted between two commits."""
    out = repo.git_bytes("diff-tree", "-r", "-z", "--name-only", "--no-renames", old, new, "--",
                         SESSIONS_DIR + "/").stdout
    folders = {session_folder(path) for path in out.decode("utf-8", "surrogateescape").split("\0")}
    return sorted(f for f in folders if f is not None)


def _state(conn: sqlite3.Connection, worktree: str) -> tuple[str | None, str | None]:
    return _get_meta(conn, "ref_tip"), _get_meta(conn, _decisions_key(worktree)) if worktree else ""


def _update_locked(conn: sqlite3.Connection, repo: Repo, tip: str | None, sig: str,
                   max_folders: int = MAX_INCREMENTAL_FOLDERS) -> IndexUpdate:
    """Bring an open, current-schema index up to ``tip`` and ``sig``; raise _NeedRebuild when it cannot."""
    worktree = _worktree(repo)
    old_tip, old_sig = _state(conn, worktree)
    if (old_tip, old_sig) == (tip or "", sig):
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
    with _transaction(conn):
        if old_tip != (tip or ""):
            if tip is None:
                _delete_sources(conn, "worktree = ''", ())
            else:
                index_sessions(conn, sessions, folders)
            _set_meta(conn, "ref_tip", tip or "")
        if decisions is not None:
            index_decisions(conn, worktree, decisions)
            _set_meta(conn, _decisions_key(worktree), sig)
            _forget_missing_worktrees(conn)
    if old_tip != (tip or ""):
        logger.debug("search index: %d session folders re-read (%s..%s)", len(folders), old_tip, tip)
    return IndexUpdate("incremental", tip, len(folders), decisions is not None)


def _forget_missing_worktrees(conn: sqlite3.Connection) -> None:
    """Drop decision rows of work trees that no longer exist (removed with ``git worktree remove``)."""
    for (worktree,) in conn.execute("SELECT DISTINCT worktree FROM sources WHERE worktree != ''").fetchall():
        if not os.path.isdir(worktree):
            _delete_sources(conn, "worktree = ?", (worktree,))
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
    _fill_index(conn, tip=memory.tip, sessions=memory.sessions, worktree=_worktree(repo), decisions=decisions,
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


def _open_current(repo: Repo, *, quick: bool = False) -> tuple[sqlite3.Connection, IndexUpdate]:
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
            if _state(conn, _worktree(repo)) == (tip or "", sig):
                return conn, IndexUpdate("current", tip)
        except sqlite3.DatabaseError as exc:
            logger.warning("search index %s is unusable (%s); rebuilding it", path, exc)
        conn.close()
    with _write_lock(path, wait=not quick):
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
            update = _rebuild_locked(repo, reason)
            conn = connect_index(path)
    assert conn is not None
    return conn, update


@contextlib.contextmanager
def opened(repo: Repo, *, quick: bool = False) -> Iterator[Callable[..., list[SearchHit]]]:
    """One up-to-date index for several queries: ``find(query, **filters)`` as ``search`` takes them.

    The freshness check (a rev-parse and a scan of the decision files) and the
    connection are paid once, not once per query. ``quick``: raise IndexNotReady rather than build the
    index or wait for its writer (see ``_open_current``).
    """
    conn, _update = _open_current(repo, quick=quick)
    worktree = _worktree(repo)
    try:
        yield lambda query, **filters: query_index(conn, query, worktree=worktree, **filters)
    finally:
        conn.close()


def record_counts(repo: Repo) -> dict[str, int]:
    """How many sessions, observations and decisions the (up-to-date) index holds."""
    conn, _update = _open_current(repo)
    try:
        worktree = _worktree(repo)
        rows = conn.execute("SELECT type, count(*) FROM records WHERE type != 'decision' OR worktree = ? "
                            "GROUP BY type", (worktree,)).fetchall()
    finally:
        conn.close()
    return {t: 0 for t in TYPES} | {t: n for t, n in rows}


def observation_counts(repo: Repo, session_ids: Sequence[str]) -> dict[str, int]:
    """Observations per session, from the (up-to-date) index."""
    if not session_ids:
        return {}
    conn, _update = _open_current(repo)
    try:
        marks = ",".join("?" * len(session_ids))
        rows = conn.execute(f"SELECT s.session_id, count(*) FROM sources s "
                            f"JOIN entries e ON e.rowid BETWEEN s.first AND s.last "
                            f"WHERE s.session_id IN ({marks}) AND e.kind = 2 GROUP BY s.session_id",
                            list(session_ids)).fetchall()
    finally:
        conn.close()
    return {sid: 0 for sid in session_ids} | dict(rows)


def ensure_index(repo: Repo) -> IndexUpdate:
    """Bring the index up to date with the memory ref and this work tree's decision files."""
    conn, update = _open_current(repo)
    conn.close()
    return update


# -- queries ------------------------------------------------------------------------------------------


def query_terms(text: str) -> list[str]:
    """FTS5 terms for user text: each whitespace-separated word becomes a double-quoted phrase of its
    letter-and-digit runs (``store.py`` -> ``"store py"``), stopwords and one-character words are dropped,
    and a trailing ``*`` makes a prefix query when the last run has at least ``MIN_PREFIX`` characters."""
    terms: list[str] = []
    for word in text.split():
        runs = _RUN.findall(word.lower())
        if not runs or (len(runs) == 1 and (runs[0] in STOPWORDS or len(runs[0]) < 2)):
            continue
        term = '"' + " ".join(runs) + '"'
        if word.endswith("*") and len(runs[-1]) >= MIN_PREFIX:
            term += "*"
        if term not in terms:
            terms.append(term)
    return terms[:MAX_TERMS]


def fts_expression(text: str, any_term: bool = False) -> str:
    """The MATCH expression for user text (all terms, or any term); '' when nothing searchable is left.

    The terms are confined to the text columns: a word never matches a filter token.
    """
    terms = query_terms(text)
    if not terms:
        return ""
    return f"{_TEXT_COLUMNS} : (" + (" OR " if any_term else " AND ").join(terms) + ")"


def _file_terms(pattern: str) -> list[str]:
    """``files:`` terms that every path matching ``pattern`` contains: whole ASCII tokens not touching a wildcard."""
    pieces = re.split(r"\*+|\?|\[[^\]]*\]", pattern)
    terms = []
    for i, piece in enumerate(pieces):
        for m in _RUN.finditer(piece):
            token = m.group()
            touches = (m.start() == 0 and i > 0) or (m.end() == len(piece) and i < len(pieces) - 1)
            if not touches and _ASCII_RUN.fullmatch(token):
                term = f'files : "{token.lower()}"'
                if term not in terms:
                    terms.append(term)
    return terms[:6]


def file_matcher(pattern: str) -> Callable[[str], bool]:
    """A test for a record's files (one per line): does ``pattern`` cover any of them (``globs.matches``)?

    An absolute path in a record is matched by its tails, so ``src/app.py`` also
    matches a record that holds ``/home/me/project/src/app.py``.
    """
    pat = globs.clean(pattern)
    return lambda files: any(globs.matches(pat, p) for p in files.split("\n") if p)


def parse_since(value: str, now: datetime.datetime | None = None) -> str:
    """``7d``, ``2w``, ``12h``, ``3m`` (30 days), ``1y``, an ISO date or an ISO time -> a comparable date string."""
    text = value.strip()
    m = _RELATIVE.fullmatch(text)
    if m:
        now = now or datetime.datetime.now(datetime.timezone.utc)
        start = now - datetime.timedelta(days=int(m.group(1)) * _RELATIVE_DAYS[m.group(2).lower()])
        return start.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        with contextlib.suppress(ValueError):
            return datetime.date.fromisoformat(text).isoformat()
    elif re.match(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}", text) and (stamp := _utc_time(text)):
        return stamp
    raise GitmemError(f"cannot read --since {value!r}",
                      hint="give a date (2026-11-24), a time (2026-11-24T08:00:00Z) or an age such as 7d, 2w, 12h.")


def _types(types: Iterable[str] | str | None) -> tuple[str, ...]:
    if types is None:
        return ()
    wanted = (types,) if isinstance(types, str) else tuple(types)
    out = []
    for t in wanted:
        name = t.strip().lower().removesuffix("s")
        if name not in TYPES:
            raise GitmemError(f"unknown record type {t!r}", hint=f"use one of: {', '.join(TYPES)}.")
        out.append(name)
    return tuple(dict.fromkeys(out))


def _months(first: str, last: str) -> list[str]:
    """Facet terms covering the months from ``first``'s to ``last``'s ([] when that is too many to be worth
    it: nearly every row passes then). The days of the first month before ``first`` pass too; the exact
    test drops them."""
    if not (re.match(r"\d{4}-\d{2}-\d{2}", first) and re.match(r"\d{4}-\d{2}", last)):
        return []
    y, m = int(first[:4]), int(first[5:7])
    end = (int(last[:4]), int(last[5:7]))
    if (y, m) > end:
        return ['"zzm000000"']  # nothing is that new
    out = [f'"zzm{y:04d}{m:02d}"']
    while (y, m) < end:
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        out.append(f'"zzm{y:04d}{m:02d}"')
        if len(out) > _MAX_DATE_FACETS:
            return []
    return out


@dataclass(frozen=True, slots=True)
class _Filters:
    sql: str                    # exact conditions on `r`, joined with AND (always the work tree one)
    params: dict[str, Any]
    fts: tuple[str, ...]        # FTS5 terms every passing row has: facet and file tokens
    check: Callable[[str, str, str, str, str], bool] | None   # exact test of (type, date, author, branch, files)
    file: Callable[[str], bool] | None
    nothing: bool = False       # a filter no row can pass


def _filters(conn: sqlite3.Connection, worktree: str, types: tuple[str, ...], author: str | None,
             branch: str | None, file: str | None, since: str | None) -> _Filters:
    """Filters as index tokens (which narrow inside FTS5) plus the exact test the tokens approximate."""
    conds = ["(r.worktree = '' OR r.worktree = :worktree)"]
    params: dict[str, Any] = {"worktree": worktree}
    fts: list[str] = []
    nothing = False
    exact_author: frozenset[str] = frozenset()   # authors the tokens do not narrow to: tested on each hit
    kinds = frozenset(types) if types and set(types) != set(TYPES) else frozenset()
    if kinds:
        conds.append("r.type IN (" + ", ".join(f"'{t}'" for t in sorted(kinds)) + ")")
        if "observation" not in kinds:
            # Observations are nearly every row: their token narrows nothing and slows the intersection,
            # so it is used only for the rare types; the exact test below drops the few others.
            fts.append("facets : (" + " OR ".join(f'"{_TYPE_FACETS[t]}"' for t in sorted(kinds)) + ")")
    if author and author.strip():
        # Words of the author's name or email, all of them: `bob`, `Bob Builder`, `bob@example.com`.
        # Each source holds one token for its whole author: the filter names every author that has the words.
        words = set(_RUN.findall(author.lower()))
        authors = frozenset(a for (a,) in conn.execute("SELECT DISTINCT author FROM sources")
                            if words and words <= set(_RUN.findall(a.lower())))
        nothing = not authors
        conds.append("r.author IN (SELECT value FROM json_each(:authors))")
        params["authors"] = _json_list(sorted(authors))
        if 0 < len(authors) <= _MAX_AUTHOR_FACETS:
            fts.append("facets : (" + " OR ".join(f'"{_facet("a", a)}"' for a in sorted(authors)) + ")")
        elif authors:
            exact_author = authors
    branch = branch.strip() if branch else ""
    if branch:
        conds.append("r.branch = :branch")
        params["branch"] = branch
        fts.append(f'facets : "{_facet("b", branch)}"')
    if since:
        conds.append("r.date >= :since")
        params["since"] = since
        dates = _months(since, conn.execute("SELECT max(date) FROM records WHERE date < ':'").fetchone()[0] or "")
        if dates:
            fts.append("facets : (" + " OR ".join(dates) + ")")
    matcher = None
    if file and file.strip():
        matcher = file_matcher(file)
        conds.append("gm_file_match(r.files)")
        fts += _file_terms(file.strip())
    check = None
    if kinds or since or branch or matcher is not None or exact_author:
        def check(kind: str, date: str, row_author: str, row_branch: str, files: str) -> bool:
            return ((not kinds or kind in kinds) and (not since or date >= since)
                    and (not exact_author or row_author in exact_author)
                    and (not branch or row_branch == branch) and (matcher is None or matcher(files)))
    return _Filters(" AND ".join(conds), params, tuple(fts), check, matcher, nothing)


_HIT_COLUMNS = ("r.type, r.rid, r.session_id, r.label, {snippet}, r.date, r.author, r.branch, r.path, r.files, "
                "{score}, r.title, r.body, r.tags")
_BM25 = "bm25(records_fts, " + ", ".join(str(w) for w in BM25_WEIGHTS) + ")"
_SNIPPET = f"snippet(records_fts, -1, '**', '**', '…', {SNIPPET_TOKENS})"
_JOIN = "records_fts CROSS JOIN records r ON r.rowid = records_fts.rowid"   # CROSS: FTS5 drives the join


def _hit(row: Sequence[Any]) -> SearchHit:
    kind, rid, session_id, label, snippet, date, author, branch, path, files, score, title, body, tags = row
    return SearchHit(kind, rid, session_id, _label(label, rid, title, body, files, tags),
                     " ".join((snippet or "").split()), date, author, branch, path,
                     tuple(files.split("\n")) if files else (), 0.0 - float(score))  # bm25: lower is better


def _window(conn: sqlite3.Connection, match: str) -> int | None:
    """The rowid of the ``MAX_RANKED``-th newest match, or None when there are fewer.

    BM25 costs ~1 us per matching row; a term in most rows would cost ~100 ms.
    Walking the doclist backwards without ranking is ~30x cheaper, and a term
    that common adds almost nothing to BM25 anyway. Rowid order is arrival
    order: a rebuild inserts sessions oldest first, updates append.
    """
    row = conn.execute("SELECT rowid FROM records_fts WHERE records_fts MATCH ? ORDER BY rowid DESC "
                       "LIMIT 1 OFFSET ?", (match, MAX_RANKED - 1)).fetchone()
    return None if row is None else row[0]


def _ranked(conn: sqlite3.Connection, text: str, f: _Filters, limit: int) -> list[SearchHit]:
    """The best ``limit`` BM25 hits for the MATCH expression ``text`` among the newest ``MAX_RANKED``
    matches whose index tokens pass the filters.

    Ranking happens in the FTS table alone; joining every match to ``records``
    before the sort would double the cost. The few winners are then read and
    checked exactly (work tree, and what the tokens only approximate: the time
    within the first day of ``since``, the branch, the file path); when too
    many fail, more are ranked.
    """
    match = " AND ".join((f"({text})", *f.fts))
    cut = _window(conn, match)
    window = "" if cut is None else "AND rowid >= :cut "
    # Decision rows of other work trees are dropped after ranking, so that many more are fetched.
    foreign = conn.execute("SELECT count(*) FROM sources WHERE worktree > '' AND worktree != ?",
                           (f.params["worktree"],)).fetchone()[0]
    inline = not f.fts   # a facet or file token could otherwise win the snippet's choice of column
    snippet = f", {_SNIPPET}" if inline else ", NULL"
    fetch = limit + foreign if f.check is None else 4 * limit + foreign
    while True:
        top = conn.execute(f"SELECT rowid, {_BM25} AS score{snippet} FROM records_fts "
                           f"WHERE records_fts MATCH :match {window}ORDER BY score LIMIT :n",
                           {"match": match, "cut": cut, "n": fetch}).fetchall()
        rows = {row[0]: row[1:] for row in conn.execute(
            f"SELECT rowid, worktree, {_HIT_COLUMNS.format(snippet='NULL', score='NULL')} FROM records r "
            f"WHERE rowid IN ({', '.join(str(int(t[0])) for t in top)})")} if top else {}
        hits: list[tuple[int, SearchHit]] = []
        for rowid, score, snip in top:
            row = rows.get(rowid)
            if row is None or row[0] not in ("", f.params["worktree"]):
                continue
            if f.check is not None and not f.check(row[1], row[6], row[7], row[8], row[10]):
                continue
            hits.append((rowid, _hit((*row[1:5], snip, *row[6:11], score, *row[12:]))))
            if len(hits) == limit:
                break
        if len(hits) >= limit or len(top) < fetch:
            break
        fetch *= 4
    if not inline and hits:
        snippets = dict(conn.execute(
            f"SELECT rowid, {_SNIPPET} FROM records_fts WHERE records_fts MATCH ? "
            f"AND rowid IN ({', '.join(str(int(rowid)) for rowid, _ in hits)})", (text,)).fetchall())
        return [dataclasses.replace(hit, snippet=" ".join((snippets.get(rowid) or "").split()))
                for rowid, hit in hits]
    return [hit for _, hit in hits]


def _recent(conn: sqlite3.Connection, f: _Filters, limit: int) -> list[SearchHit]:
    """Newest records passing the filters: the answer to a query with nothing searchable in it."""
    params = {**f.params, "limit": limit}
    columns = _HIT_COLUMNS.format(snippet="substr(r.body, 1, 160)", score="0.0")
    if f.fts:
        # Narrow through the index tokens, newest (highest rowid) first, until `limit` pass exactly.
        params["match"] = " AND ".join(f.fts)
        # Rows arrive in fetch order, not time order: sessions (a few per day) are sorted by their date, so
        # records dated in the future (indexed with no date) cannot take the newest places.
        order = "r.date DESC, records_fts.rowid DESC" if "r.type IN ('session')" in f.sql else "records_fts.rowid DESC"
        sql = (f"SELECT {columns} FROM {_JOIN} WHERE records_fts MATCH :match AND {f.sql} "
               f"ORDER BY {order} LIMIT :limit")
    else:
        sql = f"SELECT {columns} FROM records r WHERE {f.sql} ORDER BY r.date DESC, r.rowid DESC LIMIT :limit"
    return [_hit(row) for row in conn.execute(sql, params)]


def query_index(conn: sqlite3.Connection, query: str, *, types: Iterable[str] | str | None = None,
                author: str | None = None, branch: str | None = None, file: str | None = None,
                since: str | None = None, limit: int = 20, worktree: str = "",
                now: datetime.datetime | None = None) -> list[SearchHit]:
    """Search an open index (no freshness check); see ``search`` for the arguments."""
    f = _filters(conn, worktree, _types(types), author, branch, file, parse_since(since, now) if since else None)
    limit = max(0, min(int(limit), MAX_LIMIT))
    if limit == 0 or f.nothing:
        return []
    if f.file is not None:
        conn.create_function("gm_file_match", 1, f.file, deterministic=True)
    text = fts_expression(query)
    if not text:
        return _recent(conn, f, limit)
    hits = _ranked(conn, text, f, limit)
    if not hits and len(query_terms(query)) > 1:
        # No record has every word: rank the records that have any of them.
        hits = _ranked(conn, fts_expression(query, any_term=True), f, limit)
    return hits


def search(repo: Repo, query: str, *, types: Iterable[str] | str | None = None, author: str | None = None,
           branch: str | None = None, file: str | None = None, since: str | None = None, limit: int = 20,
           now: datetime.datetime | None = None) -> list[SearchHit]:
    """Records of the memory ref and this work tree's decision files that match ``query``, best first.

    - ``query``: words, all of which must appear (when no record has all, any);
      ``word*`` is a prefix (3+ characters); punctuation is never syntax.
      With no searchable word (empty, or only stopwords) the newest records are listed.
    - ``types``: any of ``session``, ``observation``, ``decision``.
    - ``author``: words of the author's name or email (all must appear, any case).
    - ``branch``: the exact branch name; decisions have none.
    - ``file``: a path (also matches records about files under it) or a glob such as ``src/*.py``.
    - ``since``: ``7d``, ``2w``, ``12h``, ``3m``, ``1y``, or an ISO date or time.
    """
    # Bad arguments fail before the index is touched.
    _types(types)
    if since:
        parse_since(since, now)
    worktree = _worktree(repo)
    conn, _update = _open_current(repo)
    try:
        try:
            return query_index(conn, query, types=types, author=author, branch=branch, file=file, since=since,
                               limit=limit, worktree=worktree, now=now)
        except sqlite3.DatabaseError as exc:
            # A file damaged past what opening it checks: rebuild once and answer from the new one.
            logger.warning("search index query failed (%s); rebuilding it", exc)
            conn.close()
            with _write_lock(index_path(repo)):
                _rebuild_locked(repo, f"query failed: {exc}")
            conn = connect_index(index_path(repo))
            return query_index(conn, query, types=types, author=author, branch=branch, file=file, since=since,
                               limit=limit, worktree=worktree, now=now)
    finally:
        conn.close()
