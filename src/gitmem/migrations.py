"""Ordered schema steps for the search index (``<git-common-dir>/gitmem/index.sqlite``).

Invariants:
- A step is a named function registered with ``@migration``; steps run in the
  order they are defined, each in its own ``BEGIN IMMEDIATE`` transaction
  together with the ``_migrations`` row that records it, so a step is applied
  exactly once even when two processes open a new index at the same time.
- ``apply_migrations`` runs on every open. When everything is applied it costs
  one small query.
- Never edit or reorder a released step: add a new one. The index is a cache,
  so a step that changes what rows hold may simply empty the tables and
  forget the indexed tip (``meta``); the next use re-indexes everything.
- An index with a step this version does not know (written by a newer gitmem)
  raises ``UnknownMigrationError``; the caller rebuilds the file from scratch.
"""

from __future__ import annotations

import datetime
import logging
import sqlite3
from typing import Callable

logger = logging.getLogger(__name__)

MigrationStep = Callable[[sqlite3.Connection], None]
MIGRATIONS: list[tuple[str, MigrationStep]] = []

_TABLE = "_migrations"


class UnknownMigrationError(Exception):
    """The index holds schema steps this version of gitmem does not know."""


def migration(fn: MigrationStep) -> MigrationStep:
    """Register ``fn`` as the next schema step, under its function name."""
    if any(name == fn.__name__ for name, _ in MIGRATIONS):  # pragma: no cover - programming error
        raise ValueError(f"migration {fn.__name__} is defined twice")
    MIGRATIONS.append((fn.__name__, fn))
    return fn


def applied_migrations(conn: sqlite3.Connection) -> list[str]:
    """Names of the steps recorded in ``conn``, in the order they were applied."""
    exists = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (_TABLE,)).fetchone()
    if not exists:
        return []
    return [row[0] for row in conn.execute(f"SELECT name FROM {_TABLE} ORDER BY seq")]


def pending_migrations(conn: sqlite3.Connection) -> list[str]:
    """Names of the steps ``conn`` still lacks; raises ``UnknownMigrationError`` for a newer index."""
    known = [name for name, _ in MIGRATIONS]
    done = applied_migrations(conn)
    if done != known:
        _check_known(done, known)
    return known[len(done):]


def apply_migrations(conn: sqlite3.Connection) -> list[str]:
    """Apply the steps ``conn`` lacks, in order; return the names applied now.

    ``conn`` must be in autocommit mode (``isolation_level=None``): each step
    opens its own transaction.
    """
    known = [name for name, _ in MIGRATIONS]
    done = applied_migrations(conn)
    if done == known:
        return []
    _check_known(done, known)
    applied: list[str] = []
    conn.execute(f"CREATE TABLE IF NOT EXISTS {_TABLE} ("
                 "seq INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, applied_at TEXT NOT NULL)")
    for name, step in MIGRATIONS:
        conn.execute("BEGIN IMMEDIATE")
        try:
            # Re-read under the write lock: another process may have applied it meanwhile.
            if conn.execute(f"SELECT 1 FROM {_TABLE} WHERE name = ?", (name,)).fetchone():
                conn.execute("COMMIT")
                continue
            step(conn)
            now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
            conn.execute(f"INSERT INTO {_TABLE} (name, applied_at) VALUES (?, ?)", (name, now))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        logger.debug("index migration %s applied", name)
        applied.append(name)
    return applied


def _check_known(done: list[str], known: list[str]) -> None:
    unknown = [name for name in done if name not in known]
    if unknown or done != known[:len(done)]:
        raise UnknownMigrationError(
            f"the index holds schema steps {', '.join(unknown or done)} that do not match this gitmem's "
            f"({', '.join(known)})")


# -- the steps ---------------------------------------------------------------------------------


@migration
def m001_records(conn: sqlite3.Connection) -> None:
    """One row per session summary, observation and decision file, and their FTS5 index.

    ``records_fts`` is an external-content table over ``records``: the text is
    stored once, in ``records``. There are no triggers: ``gitmem.search`` is
    the only writer and keeps the two in step (a bulk load then builds the
    index with one ``'rebuild'``, 3x faster than per-row triggers).
    ``porter unicode61``: English stemming (``caching`` finds ``cache``) over
    Unicode-aware, case- and accent-folded tokens; ``_ . / -`` separate tokens,
    so ``read_memory`` and ``src/gitmem/store.py`` are searchable by their parts.
    ``prefix='3'``: the 3-character prefix queries the query parser allows at
    the minimum are read from one doclist instead of merging every expansion.
    ``facets`` holds one token per filterable value (``zzt2`` for an
    observation, ``zzb<hash>`` for a branch, ...): filters become doclist
    intersections inside FTS5, so BM25 runs only on rows that pass them.
    """
    conn.execute("""
        CREATE TABLE meta (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        )""")
    conn.execute("""
        CREATE TABLE records (
            rowid INTEGER PRIMARY KEY,
            type TEXT NOT NULL,             -- session | observation | decision
            rid TEXT NOT NULL,              -- session id, observation id or decision id
            session_id TEXT NOT NULL,
            folder TEXT NOT NULL,           -- sessions/<yyyy-mm>/<id> in the memory ref; '' for decisions
            worktree TEXT NOT NULL,         -- work tree root of a decision file; '' for ref records
            path TEXT NOT NULL,             -- file the record was read from
            date TEXT NOT NULL,             -- ISO 8601, UTC when the record had a time
            author TEXT NOT NULL,
            branch TEXT NOT NULL,
            label TEXT NOT NULL,            -- one line to show for the hit
            title TEXT NOT NULL,
            body TEXT NOT NULL,
            files TEXT NOT NULL,            -- one path per line
            tags TEXT NOT NULL,
            facets TEXT NOT NULL            -- filter tokens: type, branch, author words, month
        )""")
    conn.execute("CREATE INDEX records_folder ON records (folder)")
    conn.execute("CREATE INDEX records_worktree ON records (worktree, type)")
    conn.execute("CREATE INDEX records_date ON records (date)")
    conn.execute("""
        CREATE VIRTUAL TABLE records_fts USING fts5 (
            title, body, files, tags, facets,
            content = 'records', content_rowid = 'rowid',
            tokenize = 'porter unicode61 remove_diacritics 2',
            prefix = '3'
        )""")
