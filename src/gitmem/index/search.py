"""Searching the memory: the entry points callers use, each on an index brought up to date first.

``search`` answers one query (``find`` also says whether hybrid ranking ran: ``hybrid``); ``opened`` keeps one up-to-date index open for several; ``record_counts`` and
``observation_counts`` count what it holds. The index file and its freshness are ``index_file``'s, the query
language and ranking ``query``'s. A file damaged past what opening it checks is rebuilt once, then answered from.
"""

from __future__ import annotations

import contextlib
import datetime
import logging
import sqlite3
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator, Sequence

from gitmem.git import Repo
from gitmem.index import hybrid
from gitmem.index.index_file import connect_index, index_path, open_current, rebuild_locked, worktree_key, write_lock
from gitmem.index.query import SearchHit, parse_types
from gitmem.index.rows import TYPES
from gitmem.since import parse_since

logger = logging.getLogger(__name__)


@contextlib.contextmanager
def opened(repo: Repo, *, quick: bool = False) -> Iterator[Callable[..., list[SearchHit]]]:
    """One up-to-date index for several queries: ``find(query, **filters)`` as ``search`` takes them (words only
    unless ``lexical=False`` is passed).

    The freshness check (a rev-parse and a scan of the decision files) and the
    connection are paid once, not once per query. ``quick``: raise IndexNotReady rather than build the
    index or wait for its writer (see ``open_current``).
    """
    conn, _update = open_current(repo, quick=quick)
    worktree = worktree_key(repo)
    try:
        # Words only unless the caller asks for meaning too (``lexical=False``): the brief ranks by words.
        yield lambda query, **filters: hybrid.query(conn, query, worktree=worktree,
                                                    **{"lexical": True, **filters})[0]
    finally:
        conn.close()


def record_counts(repo: Repo) -> dict[str, int]:
    """How many sessions, observations and decisions the (up-to-date) index holds."""
    conn, _update = open_current(repo)
    try:
        worktree = worktree_key(repo)
        rows = conn.execute("SELECT type, count(*) FROM records WHERE type != 'decision' OR worktree = ? "
                            "GROUP BY type", (worktree,)).fetchall()
    finally:
        conn.close()
    return {t: 0 for t in TYPES} | {t: n for t, n in rows}


def observation_counts(repo: Repo, session_ids: Sequence[str]) -> dict[str, int]:
    """Observations per session, from the (up-to-date) index."""
    if not session_ids:
        return {}
    conn, _update = open_current(repo)
    try:
        marks = ",".join("?" * len(session_ids))
        rows = conn.execute(f"SELECT s.session_id, count(*) FROM sources s "
                            f"JOIN entries e ON e.rowid BETWEEN s.first AND s.last "
                            f"WHERE s.session_id IN ({marks}) AND e.kind = 2 GROUP BY s.session_id",
                            list(session_ids)).fetchall()
    finally:
        conn.close()
    return {sid: 0 for sid in session_ids} | dict(rows)


@dataclass(frozen=True, slots=True)
class Found:
    """What a search found, and whether words and meaning were fused (``hybrid``) or words alone ranked."""

    hits: list[SearchHit]
    hybrid: bool


def search(repo: Repo, query: str, *, types: Iterable[str] | str | None = None, author: str | None = None,
           branch: str | None = None, file: str | None = None, since: str | None = None, limit: int = 20,
           now: datetime.datetime | None = None, lexical: bool = False) -> list[SearchHit]:
    """Records of the memory ref and this work tree's decision files that match ``query``, best first.

    - ``query``: words, all of which must appear (when no record has all, any);
      ``word*`` is a prefix (3+ characters); punctuation is never syntax.
      With no searchable word (empty, or only stopwords) the newest records are listed.
      With the ``gitmem[semantic]`` extra, sessions and decisions near the query by meaning are fused in
      (``hybrid``); ``lexical``: words only.
    - ``types``: any of ``session``, ``observation``, ``decision``.
    - ``author``: words of the author's name or email (all must appear, any case).
    - ``branch``: the exact branch name; decisions have none.
    - ``file``: a path (also matches records about files under it) or a glob such as ``src/*.py``.
    - ``since``: ``7d``, ``2w``, ``12h``, ``3m``, ``1y``, or an ISO date or time.
    """
    return find(repo, query, types=types, author=author, branch=branch, file=file, since=since, limit=limit,
                now=now, lexical=lexical).hits


def find(repo: Repo, query: str, *, types: Iterable[str] | str | None = None, author: str | None = None,
         branch: str | None = None, file: str | None = None, since: str | None = None, limit: int = 20,
         now: datetime.datetime | None = None, lexical: bool = False) -> Found:
    """``search``, and whether hybrid ranking ran."""
    # Bad arguments fail before the index is touched.
    parse_types(types)
    if since:
        parse_since(since, now)
    worktree = worktree_key(repo)
    args = dict(types=types, author=author, branch=branch, file=file, since=since, limit=limit, worktree=worktree,
                now=now, lexical=lexical)
    conn, _update = open_current(repo)
    try:
        try:
            return Found(*hybrid.query(conn, query, **args))  # type: ignore[arg-type]
        except sqlite3.DatabaseError as exc:
            # A file damaged past what opening it checks: rebuild once and answer from the new one.
            logger.warning("search index query failed (%s); rebuilding it", exc)
            conn.close()
            with write_lock(index_path(repo)):
                rebuild_locked(repo, f"query failed: {exc}")
            conn = connect_index(index_path(repo))
            return Found(*hybrid.query(conn, query, **args))  # type: ignore[arg-type]
    finally:
        conn.close()
