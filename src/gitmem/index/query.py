"""Queries of the search index: user text to FTS5 terms, filters, file matching and BM25 ranking.

Invariants:
- User text never reaches MATCH raw: every term is rebuilt from letters and
  digits and double-quoted, so no input is an FTS5 syntax error.
- Filters narrow inside FTS5 through index tokens (``rows.facet``), and every hit is then tested exactly
  against what the tokens only approximate (the day within the first month, the author, the branch, the path).
- A query sees the memory ref's records and its own work tree's decisions, never another work tree's.
- Queries only read: they run on an open connection (``index_file.open_current`` keeps it up to date).
"""

from __future__ import annotations

import dataclasses
import datetime
import re
import sqlite3
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Sequence

from gitmem import fence, globs
from gitmem.errors import GitmemError
from gitmem.index.identifiers import word_forms
from gitmem.index.rows import TYPE_FACETS, TYPES, expand_label, facet
from gitmem.index.tables import json_list
from gitmem.recall import STOPWORDS  # a query of only these lists recent records
from gitmem.since import parse_since

BM25_WEIGHTS = (10.0, 1.0, 4.0, 3.0, 0.0, 2.0)  # title, body, files, tags, facets, identifier words: a title hit
#                                                is worth ten body hits
MIN_PREFIX = 3                           # shorter prefixes match too many terms (MEASUREMENTS.md, table 5)
WIDEN_PREFIX = 4                         # the relaxed pass asks words this long as prefixes too
RELAX_BELOW = 5                          # fewer hits with every word than this (or the limit): the relaxed pass
MAX_TERMS = 16
MAX_RANKED = 10_000                      # rank at most the newest 10,000 matches: ~10 ms of BM25 at 100k rows
MAX_LIMIT = 1_000
GROUP_POOL_FACTOR, GROUP_POOL_EXTRA = 1, 10      # ranked per query: limit + 10, grouped per session
SNIPPET_TOKENS = 12
SNIPPET_CHARS = 160                      # the start of a record shown when its snippet would be identifier words
_MAX_AUTHOR_FACETS = 32
_TEXT_COLUMNS = "{title body files tags idents}"
_MAX_DATE_FACETS = 60
_RUN = re.compile(r"[^\W_]+")
_ASCII_RUN = re.compile(r"[A-Za-z0-9]+")


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
    match: str = "all"  # all: has every query word; any: some of them (the relaxed pass); recent: no words;
    #                     none: found by meaning alone (``hybrid``)
    session_matches: int = 1   # hits of the same session among those ranked (``hit_groups.per_session``)
    found_by: str = "words"    # words, meaning or both: which side of hybrid search found it (``hybrid``)

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type, "id": self.id, "session_id": self.session_id, "title": self.title,
                "snippet": self.snippet, "date": self.date, "author": self.author, "branch": self.branch,
                "path": self.path, "files": list(self.files), "score": round(self.score, 4),
                "match": self.match, "session_matches": self.session_matches, "found_by": self.found_by}


def query_terms(text: str, widen: bool = False) -> list[str]:
    """FTS5 terms for user text: each whitespace-separated word becomes a double-quoted phrase of its
    letter-and-digit runs (``store.py`` -> ``"store py"``), stopwords and one-character words are dropped,
    and a trailing ``*`` makes a prefix query when the last run has at least ``MIN_PREFIX`` characters.
    An identifier is also asked for in its other spellings (``identifiers.word_forms``): ``chargeRetry`` ->
    ``("chargeretry" OR "charge retry")``, ``charge_retry`` -> ``("charge retry" OR "chargeretry")``.
    ``widen``: every word of at least ``WIDEN_PREFIX`` characters is also a prefix, so an abbreviation finds
    what it abbreviates (``proto`` -> protobuf, ``auth`` -> authentication)."""
    terms: list[str] = []
    for word in text.split():
        runs = _RUN.findall(word.lower())
        if not runs or (len(runs) == 1 and (runs[0] in STOPWORDS or len(runs[0]) < 2)):
            continue
        phrases = []
        for form in word_forms(word):
            phrase = '"' + " ".join(form) + '"'
            if (word.endswith("*") and len(form[-1]) >= MIN_PREFIX) or (widen and len(form[-1]) >= WIDEN_PREFIX):
                phrase += "*"
            phrases.append(phrase)
        term = phrases[0] if len(phrases) == 1 else "(" + " OR ".join(phrases) + ")"
        if term not in terms:
            terms.append(term)
    return terms[:MAX_TERMS]


def fts_expression(text: str, any_term: bool = False, widen: bool = False) -> str:
    """The MATCH expression for user text (all terms, or any term; ``widen``: words as prefixes too, see
    ``query_terms``); '' when nothing searchable is left.

    The terms are confined to the text columns: a word never matches a filter token.
    """
    terms = query_terms(text, widen)
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


def parse_types(types: Iterable[str] | str | None) -> tuple[str, ...]:
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


def filters(conn: sqlite3.Connection, worktree: str, types: tuple[str, ...], author: str | None,
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
            fts.append("facets : (" + " OR ".join(f'"{TYPE_FACETS[t]}"' for t in sorted(kinds)) + ")")
    if author and author.strip():
        # Words of the author's name or email, all of them: `bob`, `Bob Builder`, `bob@example.com`.
        # Each source holds one token for its whole author: the filter names every author that has the words.
        words = set(_RUN.findall(author.lower()))
        authors = frozenset(a for (a,) in conn.execute("SELECT DISTINCT author FROM sources")
                            if words and words <= set(_RUN.findall(a.lower())))
        nothing = not authors
        conds.append("r.author IN (SELECT value FROM json_each(:authors))")
        params["authors"] = json_list(sorted(authors))
        if 0 < len(authors) <= _MAX_AUTHOR_FACETS:
            fts.append("facets : (" + " OR ".join(f'"{facet("a", a)}"' for a in sorted(authors)) + ")")
        elif authors:
            exact_author = authors
    branch = branch.strip() if branch else ""
    if branch:
        conds.append("r.branch = :branch")
        params["branch"] = branch
        fts.append(f'facets : "{facet("b", branch)}"')
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

    def check(kind: str, date: str, row_author: str, row_branch: str, files: str) -> bool:
        return ((not kinds or kind in kinds) and (not since or date >= since)
                and (not exact_author or row_author in exact_author)
                and (not branch or row_branch == branch) and (matcher is None or matcher(files)))

    exact = kinds or since or branch or matcher is not None or exact_author   # else every row passes: no test
    return _Filters(" AND ".join(conds), params, tuple(fts), check if exact else None, matcher, nothing)


_HIT_COLUMNS = ("r.type, r.rid, r.session_id, r.label, {snippet}, r.date, r.author, r.branch, r.path, r.files, "
                "{score}, r.title, r.body, r.tags")
_BM25 = "bm25(records_fts, " + ", ".join(str(w) for w in BM25_WEIGHTS) + ")"
_SNIPPET = f"snippet(records_fts, -1, '**', '**', '…', {SNIPPET_TOKENS})"
_JOIN = "records_fts CROSS JOIN records r ON r.rowid = records_fts.rowid"   # CROSS: FTS5 drives the join


def _hit(row: Sequence[Any], match: str = "all") -> SearchHit:
    kind, rid, session_id, label, snippet, date, author, branch, path, files, score, title, body, tags = row
    return SearchHit(kind, rid, session_id, expand_label(label, rid, title, body, files, tags),
                     " ".join((snippet or "").split()), date, author, branch, path,
                     tuple(files.split("\n")) if files else (), 0.0 - float(score), match)  # bm25: lower is better


def source_leaders(conn: sqlite3.Connection, fids: Sequence[int], f: _Filters) -> dict[int, SearchHit]:
    """The record that stands for each source of ``fids`` (a session's summary, a decision file), when it passes
    the filters ``f``; snippets are the start of its body. The caller registered ``gm_file_match`` if needed."""
    if not fids:
        return {}
    columns = _HIT_COLUMNS.format(snippet="substr(r.body, 1, 160)", score="0.0")
    sql = (f"SELECT r.fid, {columns} FROM records r WHERE r.rowid IN (SELECT first FROM sources WHERE fid IN "
           f"({', '.join(str(int(fid)) for fid in fids)})) AND r.type != 'observation' AND {f.sql}")
    return {row[0]: _hit(row[1:]) for row in conn.execute(sql, f.params)}


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


def _ranked(conn: sqlite3.Connection, text: str, f: _Filters, limit: int, words: str = "all") -> list[SearchHit]:
    """The best ``limit`` BM25 hits for the MATCH expression ``text`` among the newest ``MAX_RANKED``
    matches whose index tokens pass the filters; ``words`` is their ``match`` (``any`` for the relaxed pass).

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
        picked: list[tuple[int, float, str | None]] = []
        for rowid, score, snip in top:
            row = rows.get(rowid)
            if row is None or row[0] not in ("", f.params["worktree"]):
                continue
            if f.check is not None and not f.check(row[1], row[6], row[7], row[8], row[10]):
                continue
            picked.append((rowid, score, snip))
            if len(picked) == limit:
                break
        if len(picked) >= limit or len(top) < fetch:
            break
        fetch *= 4
    snippets = {rowid: snip for rowid, _, snip in picked}
    if not inline and picked:
        snippets = dict(conn.execute(
            f"SELECT rowid, {_SNIPPET} FROM records_fts WHERE records_fts MATCH ? "
            f"AND rowid IN ({', '.join(str(int(rowid)) for rowid, _, _ in picked)})", (text,)).fetchall())
    hits = []
    for rowid, score, _ in picked:   # each hit built once, with its final snippet
        row = rows[rowid]
        snip = _written(snippets.get(rowid) or "", row[12], row[13], row[10], row[14])
        hits.append(_hit((*row[1:5], snip, *row[6:11], score, *row[12:]), words))
    return hits


def _written(snippet: str, title: str, body: str, files: str, tags: str) -> str:
    """``snippet`` when it is text the record holds; else (it came from the identifier words, which no one
    wrote in that order) the start of the record's body or its title."""
    snippet = " ".join(snippet.split())
    plain = snippet.replace("**", "").strip("…")
    texts = (body, title, files, tags)
    # As written first (nearly every snippet); whitespace normalised only when that fails (a snippet across lines).
    if not plain or any(plain in text for text in texts) or any(plain in " ".join(t.split()) for t in texts):
        return snippet
    return fence.one_line(body or title, SNIPPET_CHARS)


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
    """Search an open index (no freshness check); see ``search.search`` for the arguments."""
    f = filters(conn, worktree, parse_types(types), author, branch, file, parse_since(since, now) if since else None)
    limit = max(0, min(int(limit), MAX_LIMIT))
    if limit == 0 or f.nothing:
        return []
    if f.file is not None:
        conn.create_function("gm_file_match", 1, f.file, deterministic=True)
    text = fts_expression(query)
    if not text:
        return [dataclasses.replace(hit, match="recent") for hit in _recent(conn, f, limit)]
    pool = min(MAX_LIMIT, GROUP_POOL_FACTOR * limit + GROUP_POOL_EXTRA)   # more than shown: other sessions to
    hits = per_session(_ranked(conn, text, f, pool))                     # lead with
    relaxed_text = fts_expression(query, any_term=True, widen=True)
    if len(hits) < min(limit, RELAX_BELOW) and relaxed_text != text:
        # Too few records have every word: the records with some of them, or with a longer word they begin
        # (an abbreviation), follow, ranked among themselves (BM25 favours more and rarer words; the
        # tokenizer stems each word).
        seen = {(h.type, h.id) for h in hits}
        relaxed = [h for h in _ranked(conn, relaxed_text, f, pool + len(hits), "any") if (h.type, h.id) not in seen]
        hits += per_session(relaxed)
    return hits[:limit]


def group_key(hit: SearchHit) -> tuple[str, str]:
    if hit.type == "decision" or not hit.session_id:
        return (hit.type, hit.id)   # a decision is a group of its own: people own it
    return ("session", hit.session_id)


def per_session(hits: Sequence[SearchHit]) -> list[SearchHit]:
    """``hits`` (best first) reordered so that one hit of each matching session comes before a second hit of any.

    A session's observations share its words, so records alone can fill the first places with one session's
    tool calls while other sessions that match wait below. Groups keep the order of their best hit; a group is
    led by its session summary when the summary matched (the record that says what the session was), else by
    its best hit; the other hits follow in the order given. Every hit comes back once, with
    ``session_matches`` set to the number of hits of its session given.
    """
    groups: dict[tuple[str, str], list[int]] = {}
    for i, hit in enumerate(hits):
        groups.setdefault(group_key(hit), []).append(i)
    leaders: list[SearchHit] = []
    rest: list[tuple[int, SearchHit]] = []
    for members in groups.values():
        lead = next((i for i in members if hits[i].type == "session"), members[0])
        if len(members) == 1 and hits[lead].session_matches == 1:
            leaders.append(hits[lead])   # alone in its session: nothing to change (most hits)
            continue
        leaders.append(dataclasses.replace(hits[lead], session_matches=len(members)))
        rest += [(i, dataclasses.replace(hits[i], session_matches=len(members))) for i in members if i != lead]
    return leaders + [hit for _, hit in sorted(rest, key=lambda pair: pair[0])]
