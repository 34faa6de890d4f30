"""Hybrid ranking: the lexical hits fused with the sources nearest by meaning (reciprocal rank fusion).

Invariants:
- Hybrid runs only with the extra installed, an index holding vectors, a query with a searchable word, and
  not ``lexical``; otherwise the answer is exactly the lexical one (``query.query_index``).
- Both sides rank groups: a session (its summary and observations) or a decision file. The lexical side is
  ``query_index``'s order (grouped per session); the meaning side ranks sources by their nearest embedded line
  (``vectors.nearest_sources``), then the sources that hold words near several query words (``expansion``,
  found by meaning too: no query word need be in them). A group's fused score is the sum over the sides that
  found it of ``1 / (RRF_K + rank)``.
- Exact wording keeps its recall: a source found only by meaning must be at least ``FLOOR`` similar to the
  query by one line, or ``WHOLE_FLOOR`` by its lines together, or be found by ``expansion``, to be listed, and
  unless it is ``STRONG``ly similar it comes after every hit that has all the query words (it competes by fused
  score only with hits that have some of them), so a vague neighbour never pushes a hit with the words out of
  the first places.
- Filters apply to both sides alike (``query.filters``); the meaning side sees only the records the lexical
  side could list (this work tree's decisions, the memory ref's sessions).
"""

from __future__ import annotations

import dataclasses
import datetime
import sqlite3
from typing import Iterable

from gitmem.index import embedding, expansion, vectors
from gitmem.index.query import SearchHit, filters, fts_expression, group_key, parse_types, query_index, source_leaders
from gitmem.since import parse_since

RRF_K = 60              # reciprocal rank fusion's constant (Cormack et al. 2009); 10-60 rank alike on the benchmark
FLOOR = 0.18            # cosine a source needs by one of its lines to be found by meaning (tuned on
WHOLE_FLOOR = 0.16      # benchmarks/quality: see the decision) or by its lines together (vectors.WHOLE)
STRONG = 0.30           # below it, a source found only by meaning never outranks a hit with every query word
NEAR_POOL = 20          # sources ranked by meaning per query, before filters


def query(conn: sqlite3.Connection, text: str, *, lexical: bool = False, types: Iterable[str] | str | None = None,
          author: str | None = None, branch: str | None = None, file: str | None = None, since: str | None = None,
          limit: int = 20, worktree: str = "", now: datetime.datetime | None = None) -> tuple[list[SearchHit], bool]:
    """(hits best first, whether hybrid ran): ``query_index``'s hits fused with the nearest sources by meaning."""
    words = query_index(conn, text, types=types, author=author, branch=branch, file=file, since=since, limit=limit,
                        worktree=worktree, now=now)
    if lexical or limit <= 0 or not fts_expression(text) or not embedding.available() or not vectors.has_vectors(conn):
        return words, False
    f = filters(conn, worktree, parse_types(types), author, branch, file, parse_since(since, now) if since else None)
    if f.nothing:
        return words, True
    if f.file is not None:
        conn.create_function("gm_file_match", 1, f.file, deterministic=True)
    near = vectors.nearest_sources(conn, text, NEAR_POOL, FLOOR, WHOLE_FLOOR)
    # Then the sources holding words near several of the query's words (``expansion``), after those: weak hits,
    # so not looked for when enough groups have every query word to fill the answer (they would come later).
    if len({group_key(h) for h in words if h.match == "all"}) < limit:
        seen = {fid for fid, _ in near}
        near += [(fid, 0.0) for fid, _ in expansion.sources(conn, text) if fid not in seen][:NEAR_POOL]
    leaders = source_leaders(conn, [fid for fid, _ in near], f)
    meaning = [dataclasses.replace(leaders[fid], score=sim, match="none", found_by="meaning") for fid, sim in near if fid in leaders]
    return fuse(words, meaning)[:limit], True


def fuse(words: list[SearchHit], meaning: list[SearchHit]) -> list[SearchHit]:
    """Groups of both lists by fused score (lexical rank breaks ties), the weak ones after the others (a hit with
    only some of the words, or found by meaning alone below ``STRONG``); each group led by its lexical leader
    (a session by its summary when either side found that), marked ``both`` when meaning found it too; then the
    other lexical hits, in their order."""
    rank_words: dict[tuple[str, str], int] = {}
    lead: dict[tuple[str, str], tuple[int, SearchHit]] = {}
    rest: list[tuple[int, SearchHit]] = []
    for i, hit in enumerate(words):
        g = group_key(hit)
        if g in lead:
            rest.append((i, hit))
        else:
            rank_words[g] = len(rank_words) + 1
            lead[g] = (i, hit)
    rank_meaning: dict[tuple[str, str], int] = {}
    for hit in meaning:
        g = group_key(hit)
        if g in rank_meaning:
            continue
        rank_meaning[g] = len(rank_meaning) + 1
        if g not in lead:
            lead[g] = (len(words), hit)
        elif lead[g][1].type != hit.type:
            # Words found the session by an observation, meaning by its summary: the summary leads (it says what
            # the session was), keeping the words' rank; the observation follows with the other hits.
            i, by_words = lead[g]
            rest.append((i, by_words))
            lead[g] = (i, dataclasses.replace(hit, found_by="both", match=by_words.match,
                                                 session_matches=by_words.session_matches))
        else:
            lead[g] = (lead[g][0], dataclasses.replace(lead[g][1], found_by="both"))

    def score(g: tuple[str, str]) -> tuple[bool, float, int]:
        hit = lead[g][1]
        weak = (hit.found_by == "meaning" and hit.score < STRONG) or (hit.found_by == "words" and hit.match == "any")
        fused = sum(1.0 / (RRF_K + r[g]) for r in (rank_words, rank_meaning) if g in r)
        return (weak, -fused, rank_words.get(g, len(words) + 1))

    order = sorted(lead, key=score)
    return [lead[g][1] for g in order] + [hit for _, hit in sorted(rest, key=lambda pair: pair[0])]
