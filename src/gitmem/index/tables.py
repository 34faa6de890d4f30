"""Writing rows into the search index's tables: ``sources``, ``entries``, ``records_fts``, ``titles_fts``, ``meta``.

Invariants:
- ``records_fts`` is an external-content FTS5 table over the view ``records`` (``sources`` joined with
  ``entries``, see ``migrations.m002_sources``); only ``_add_rows`` and ``delete_sources`` write them, always
  together in one transaction, and always a whole source (a session folder or a decision file) at a time.
  A bulk load (``insert_rows`` into an empty index) is followed by one FTS5 ``'rebuild'`` in its transaction.
- ``titles_fts`` (the titles of sessions and decisions, for prompt recall) is written beside ``records_fts``:
  ``index_titles`` after rows are added, ``delete_sources`` before they go.
- ``source_words`` (the words of sessions' and decisions' titles and bodies, for query expansion) likewise:
  ``vectors.index_words`` after rows are added (the bulk load too), ``vectors.forget_words`` before they go.
- A source's entries sit on consecutive rowids (``first``..``last``), and rowid order is arrival order:
  sessions go in oldest first (``rows.by_date``), later ones are appended.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Sequence

from gitmem.index import vectors
from gitmem.index.rows import ENTRY_COLUMNS, SOURCE_COLUMNS, Rows, by_date, decision_rows, session_rows

if TYPE_CHECKING:   # a query imports this module (``json_list``): no YAML, no git behind it
    from gitmem.store.memory_ref import SessionRecord
    from gitmem.store.records import Decision

FTS_COLUMNS = "title, body, files, tags, facets, idents"
_INSERT_SOURCE = f"INSERT INTO sources (fid, {', '.join(SOURCE_COLUMNS)}, first, last) VALUES (?{', ?' * 8})"
_INSERT_ENTRY = f"INSERT INTO entries (rowid, fid, {', '.join(ENTRY_COLUMNS)}) VALUES (?, ?{', ?' * len(ENTRY_COLUMNS)})"


@contextlib.contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[None]:
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


def insert_rows(conn: sqlite3.Connection, groups: Iterable[Rows]) -> int:
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
    count = insert_rows(conn, groups)
    conn.execute(f"INSERT INTO records_fts (rowid, {FTS_COLUMNS}) SELECT rowid, {FTS_COLUMNS} FROM records "
                 "WHERE rowid > ?", (before,))
    index_titles(conn, before)
    vectors.index_words(conn, before)
    return count


def index_titles(conn: sqlite3.Connection, after: int = 0) -> None:
    """Add the titles of the sessions and decisions past rowid ``after`` to ``titles_fts`` (observations have none)."""
    conn.execute("INSERT INTO titles_fts (rowid, title) SELECT rowid, title FROM entries WHERE rowid > ? AND kind != 2",
                 (after,))


def delete_sources(conn: sqlite3.Connection, where: str, params: Sequence[Any]) -> None:
    """Delete the sources matching ``where`` (on ``sources``) and their records: from ``records_fts`` first,
    through the view while it still yields the exact old text and tokens, then the entries and sources (and the
    names of their embedded lines: ``vectors.forget``)."""
    vectors.forget(conn, where, params)
    vectors.forget_words(conn, where, params)
    for first, last in conn.execute(f"SELECT first, last FROM sources WHERE {where}", params).fetchall():
        conn.execute(f"INSERT INTO records_fts (records_fts, rowid, {FTS_COLUMNS}) "
                     f"SELECT 'delete', rowid, {FTS_COLUMNS} FROM records WHERE rowid BETWEEN ? AND ?", (first, last))
        conn.execute("INSERT INTO titles_fts (titles_fts, rowid, title) "
                     "SELECT 'delete', rowid, title FROM entries WHERE rowid BETWEEN ? AND ? AND kind != 2", (first, last))
        conn.execute("DELETE FROM entries WHERE rowid BETWEEN ? AND ?", (first, last))
    conn.execute(f"DELETE FROM sources WHERE {where}", params)


def set_meta(conn: sqlite3.Connection, key: str, value: str) -> None:
    conn.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                 (key, value))


def get_meta(conn: sqlite3.Connection, key: str) -> str | None:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return None if row is None else row[0]


def index_sessions(conn: sqlite3.Connection, sessions: Iterable[SessionRecord],
                   folders: Iterable[str] = ()) -> int:
    """Replace the rows of ``folders`` and of every session given with the sessions' rows; return rows added."""
    sessions = by_date(sessions)
    stale = sorted({*folders, *(s.path for s in sessions)})
    with transaction(conn):
        if stale:
            delete_sources(conn, "worktree = '' AND folder IN (SELECT value FROM json_each(?))",
                           (json_list(stale),))
        added = _add_rows(conn, (session_rows(rec) for rec in sessions))
        vectors.store(conn, session_units(sessions))
        return added


def index_decisions(conn: sqlite3.Connection, worktree: str, decisions: Iterable[tuple[str, Decision]]) -> int:
    """Replace the decision rows of ``worktree`` (a work tree root); return rows added."""
    with transaction(conn):
        delete_sources(conn, "worktree = ?", (worktree,))
        decisions = list(decisions)
        added = _add_rows(conn, decision_rows(worktree, decisions))
        vectors.store(conn, decision_units(worktree, decisions))
        return added


def session_units(sessions: Iterable[SessionRecord]) -> list[vectors.SourceUnits]:
    """The lines worth embedding of each session with a summary, by its source ('', folder)."""
    return [(("", rec.path), vectors.session_units(rec.summary)) for rec in sessions if rec.summary is not None]


def decision_units(worktree: str, decisions: Iterable[tuple[str, Decision]]) -> list[vectors.SourceUnits]:
    """The lines worth embedding of each decision file, by its source (work tree, path)."""
    return [((worktree, path), vectors.decision_units(d)) for path, d in decisions]


def json_list(items: Sequence[str]) -> str:
    return json.dumps(list(items))
