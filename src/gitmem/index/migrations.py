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
    stored once, in ``records``. There are no triggers: ``gitmem.index.tables`` is
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


@migration
def m002_sources(conn: sqlite3.Connection) -> None:
    """What every record of one source shares is stored once: the index shrinks from ~13x the memory ref to ~5x.

    A source is a session folder of the memory ref (``worktree`` '') or one
    decision file of a work tree. ``sources`` holds its session id, author,
    branch, their filter tokens and the rowids of its records (``first`` to
    ``last``: a source's records are inserted together, so their rowids are
    consecutive). ``entries`` holds what differs per record and names its
    source by ``fid``. The view ``records`` joins them back into the columns of
    ``m001`` (readers such as the recall hook keep reading ``records``),
    composing what is derived: the type name, the file path (``summary.md`` or
    ``obs-NNNN.yaml``, as ``gitmem.store.memory_ref`` names them), an observation id stored
    as its 8 bytes (``o1-`` + hex), and the filter tokens: ``zzt1``/``zzt3``
    for sessions and decisions (a filter on observations, nearly every row,
    never uses a token), the source's branch and author tokens, and
    ``zzm<yyyymm>`` from a record's date. ``records_fts`` is an external-content
    table over that view (FTS5 reads content by rowid, which a view may serve):
    the facet tokens are indexed, never stored per record. Deleting a record
    from ``records_fts`` needs its old column values: a source's records are
    always deleted through the view before its entries and its source row.
    No ``prefix='3'`` index: it was 40% of the full-text data, and prefix
    queries stay within the search goals without it.
    The old tables go; forgetting the indexed tip makes the next use re-index.
    """
    conn.execute("DROP TABLE IF EXISTS records_fts")
    conn.execute("DROP TABLE IF EXISTS records")
    conn.execute("DELETE FROM meta")
    conn.execute("""
        CREATE TABLE sources (
            fid INTEGER PRIMARY KEY,
            worktree TEXT NOT NULL,         -- '' for a session folder; the work tree root of a decision file
            folder TEXT NOT NULL,           -- sessions/<yyyy-mm>/<id>, or the decision file's path in its work tree
            session_id TEXT NOT NULL,
            author TEXT NOT NULL,
            branch TEXT NOT NULL,
            facets TEXT NOT NULL,           -- ' '-led branch and author filter tokens of every record of the source
            first INTEGER NOT NULL,         -- rowids of its entries: first to last
            last INTEGER NOT NULL
        )""")
    conn.execute("CREATE INDEX sources_folder ON sources (worktree, folder)")
    conn.execute("CREATE INDEX sources_author ON sources (author)")
    conn.execute("""
        CREATE TABLE entries (
            rowid INTEGER PRIMARY KEY,
            fid INTEGER NOT NULL,           -- sources.fid
            kind INTEGER NOT NULL,          -- 1 session, 2 observation, 3 decision
            seq INTEGER NOT NULL,           -- the observation file's number; 0 for other records
            rid NOT NULL,                   -- the id; an observation's o1-<16 hex> as those 8 bytes (a blob)
            date TEXT NOT NULL,
            label NOT NULL,                 -- the text, or the number of the candidate it equals
                                            -- (gitmem.index.rows._stored_label); no type: stored as given
            title TEXT NOT NULL,
            body TEXT NOT NULL,
            files TEXT NOT NULL,
            tags TEXT NOT NULL
        )""")
    conn.execute("CREATE INDEX entries_date ON entries (date)")
    conn.execute("""
        CREATE VIEW records AS SELECT
            e.rowid AS rowid,
            CASE e.kind WHEN 1 THEN 'session' WHEN 2 THEN 'observation' ELSE 'decision' END AS type,
            CASE WHEN typeof(e.rid) = 'blob' THEN 'o1-' || lower(hex(e.rid)) ELSE e.rid END AS rid,
            s.session_id AS session_id,
            CASE WHEN s.worktree = '' THEN s.folder ELSE '' END AS folder,
            s.worktree AS worktree,
            CASE e.kind WHEN 1 THEN s.folder || '/summary.md'
                        WHEN 2 THEN s.folder || printf('/obs-%04d.yaml', e.seq)
                        ELSE s.folder END AS path,
            e.date AS date,
            s.author AS author,
            s.branch AS branch,
            e.label AS label,
            e.title AS title,
            e.body AS body,
            e.files AS files,
            e.tags AS tags,
            CASE e.kind WHEN 2 THEN '' ELSE 'zzt' || e.kind END || s.facets
                || CASE WHEN e.date GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*'
                        THEN ' zzm' || substr(e.date, 1, 4) || substr(e.date, 6, 2) ELSE '' END AS facets,
            e.fid AS fid
        FROM entries e CROSS JOIN sources s ON s.fid = e.fid  -- CROSS: entries drive (by rowid or date)
        """)
    conn.execute("""
        CREATE VIRTUAL TABLE records_fts USING fts5 (
            title, body, files, tags, facets,
            content = 'records', content_rowid = 'rowid',
            tokenize = 'porter unicode61 remove_diacritics 2'
        )""")


@migration
def m003_identifier_words(conn: sqlite3.Connection) -> None:
    """The words of camel-case identifiers get a column of their own: ``chargeRetry`` is found by ``charge retry``.

    ``entries.idents`` holds them (``gitmem.index.identifiers.split_text``: '' for most rows), the view
    ``records`` passes them on, and ``records_fts`` indexes them as its last column, after ``facets``, so a
    reader that weighs the first five columns (the recall hook) ranks as before. The tokenizer stays
    ``porter unicode61 remove_diacritics 2``. Rows and the indexed tip are forgotten: the next use re-indexes.
    """
    conn.execute("DROP TABLE IF EXISTS records_fts")
    conn.execute("DROP VIEW IF EXISTS records")
    conn.execute("DELETE FROM entries")
    conn.execute("DELETE FROM sources")
    conn.execute("DELETE FROM meta")
    conn.execute("ALTER TABLE entries ADD COLUMN idents TEXT NOT NULL DEFAULT ''")
    conn.execute("""
        CREATE VIEW records AS SELECT
            e.rowid AS rowid,
            CASE e.kind WHEN 1 THEN 'session' WHEN 2 THEN 'observation' ELSE 'decision' END AS type,
            CASE WHEN typeof(e.rid) = 'blob' THEN 'o1-' || lower(hex(e.rid)) ELSE e.rid END AS rid,
            s.session_id AS session_id,
            CASE WHEN s.worktree = '' THEN s.folder ELSE '' END AS folder,
            s.worktree AS worktree,
            CASE e.kind WHEN 1 THEN s.folder || '/summary.md'
                        WHEN 2 THEN s.folder || printf('/obs-%04d.yaml', e.seq)
                        ELSE s.folder END AS path,
            e.date AS date,
            s.author AS author,
            s.branch AS branch,
            e.label AS label,
            e.title AS title,
            e.body AS body,
            e.files AS files,
            e.tags AS tags,
            CASE e.kind WHEN 2 THEN '' ELSE 'zzt' || e.kind END || s.facets
                || CASE WHEN e.date GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*'
                        THEN ' zzm' || substr(e.date, 1, 4) || substr(e.date, 6, 2) ELSE '' END AS facets,
            e.fid AS fid,
            e.idents AS idents
        FROM entries e CROSS JOIN sources s ON s.fid = e.fid  -- CROSS: entries drive (by rowid or date)
        """)
    conn.execute("""
        CREATE VIRTUAL TABLE records_fts USING fts5 (
            title, body, files, tags, facets, idents,
            content = 'records', content_rowid = 'rowid',
            tokenize = 'porter unicode61 remove_diacritics 2'
        )""")


@migration
def m004_vectors(conn: sqlite3.Connection) -> None:
    """Vectors for hybrid search (``gitmem.index.vectors``; only filled with the ``gitmem[semantic]`` extra).

    ``vectors`` maps a 16-byte hash of (model id, storage format, exact text) to the text's vector (int8: a unit
    vector x 127), so a line is
    encoded once and a rebuild copies vectors by key. ``units`` names, for each source (``sources.fid``), its
    embedded lines (``title``, ``learned 2``, ``decision``...), their text, and their vector's key: a line
    indexed where the model is missing (or on the SessionStart path) is embedded by a later writer. The indexed tip is
    forgotten, so the next use re-indexes (and embeds, where the extra is installed).
    """
    conn.execute("CREATE TABLE vectors (key BLOB PRIMARY KEY, vec BLOB NOT NULL) WITHOUT ROWID")
    conn.execute("""
        CREATE TABLE units (
            fid INTEGER NOT NULL,           -- sources.fid
            unit TEXT NOT NULL,             -- which line of the source: title, prompt, learned 1, decision, ...
            key BLOB NOT NULL,              -- vectors.key
            text TEXT NOT NULL              -- the line, kept so that a process with the model embeds it later
        )""")
    conn.execute("CREATE INDEX units_fid ON units (fid)")
    conn.execute("CREATE INDEX units_key ON units (key)")
    conn.execute("DELETE FROM meta")


@migration
def m005_titles(conn: sqlite3.Connection) -> None:
    """``titles_fts``: the titles of sessions and decisions alone, for prompt recall (``gitmem.recall``).

    Recall asks whether a prompt's longest words are all in one title. Asked of ``records_fts`` with a column
    filter, FTS5 reads each word's whole list of rows (observations' bodies included: ~40,000 rows for a common
    word at 10,000 sessions, 6-7 ms, in a hook that has ~10); this table lists titles only (10x fewer rows, under
    1 ms). External content over ``records`` like ``records_fts``, written with it (``index.tables``): a row is
    added and deleted with its title, and only sessions and decisions (``entries.kind`` 1 and 3) have one.
    """
    conn.execute("""
        CREATE VIRTUAL TABLE titles_fts USING fts5 (
            title,
            content = 'records', content_rowid = 'rowid',
            tokenize = 'porter unicode61 remove_diacritics 2'
        )""")
    conn.execute("INSERT INTO titles_fts (rowid, title) SELECT rowid, title FROM entries WHERE kind != 2")


@migration
def m006_source_words(conn: sqlite3.Connection) -> None:
    """``source_words``: each word (``vectors.stem``) of a session summary's or decision file's title and body, and
    the sources holding it (their fids packed as int32), for query expansion (``gitmem.index.expansion``).

    Built in memory by every search process it cost 0.6-0.9 s at 100,000 observations; stored, a query reads the
    rows of its words only. Written with the rows (``index.tables``: added after a source's rows, deleted with
    them; ``vectors.forget_words`` finds a source's words again from its text). One row per word and source was
    3x the size. Filled here from the rows already indexed: no re-index.
    """
    from gitmem.index import vectors

    conn.execute("CREATE TABLE source_words (word TEXT PRIMARY KEY, fids BLOB NOT NULL) WITHOUT ROWID")
    vectors.index_words(conn)
