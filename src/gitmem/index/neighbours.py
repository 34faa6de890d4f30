"""Word neighbours: for each word, the recorded sessions and decisions it is close to, for prompt recall.

Prompt-time recall runs in the hook and may load no model, so the worker that has one (the flush worker,
``gitmem reindex``) precomputes what the hook needs: per word, the few records whose embedding is closest to
the word's own, with their cosine. wordllama is a static model (a sentence vector is the normalized mean of its
token vectors), so the mean of a prompt's per-word scores for a record approximates the prompt's own score for
it (decision 2026-12-03-semantic-search-is-an-optional-extra...); ``recall.py`` reads that mean.

Invariants:
- The store (``<state>/neighbours.sqlite``) is a cache of the index and the model: written whole to a temporary
  file and moved in place with ``os.replace``, so the hook reads the old store or the new one, never half.
- Rebuilt only when what it was computed from changes: its key is a hash of the model, the parameters and every
  embedded record (its index rowid, type, id and text); the same key leaves the file untouched.
- A record is named by its index rowid and its id; the hook re-reads the row by rowid and drops it when the id
  differs (the index was rebuilt since), so a stale store can miss a record but never names a wrong one.
- Bounded: at most ``MAX_RECORDS`` records (the newest sessions, every live decision) and the vocabulary of
  their words plus the model tokenizer's whole words; ``refresh`` never raises (a failure is logged and recall
  stays lexical), and without the extra it removes the store (no stale neighbours).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import sqlite3
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from gitmem.config import state_dir
from gitmem.git import Repo
from gitmem.index import embedding, expansion
from gitmem.index.vectors import stem
from gitmem.recall import NEIGHBOURS_FILE, STOPWORDS, word_runs

if TYPE_CHECKING:
    import numpy

logger = logging.getLogger(__name__)

SCHEMA = "2"
TOP = 6                  # records kept per word
FLOOR = 0.05             # below this a word says nothing about a record (cosine of unit vectors)
MAX_RECORDS = 5_000      # the newest sessions beyond this are left to lexical recall
MIN_WORD = 3             # letters: "orm", "sql" and "jwt" matter
TEXT_CHARS = 600         # of a decision's text; a sentence vector is a mean, so more words only blur it
CHUNK = 2048             # vocabulary rows per matrix product (bounds memory: CHUNK x records floats)
LIVE = ("accepted", "proposed")
RELATED_SCORE = 0.3      # a word's score for a record holding it or one of its nearest words (``expansion``)
MAX_RELATED = 10         # ... only when that names at most this many records: a common word tells nothing
RELATED_CHUNK = 512      # record words widened per matrix product (bounds memory: CHUNK x vocabulary floats)


@dataclass(frozen=True, slots=True)
class Target:
    """One record prompt recall may name: its index rowid and id, and the text it is embedded from."""

    rowid: int
    type: str
    rid: str
    text: str


@dataclass(frozen=True, slots=True)
class NeighboursUpdate:
    action: str          # current | rebuilt | removed | skipped
    records: int = 0
    words: int = 0
    seconds: float = 0.0


def store_path(repo: Repo) -> Path:
    return state_dir(repo.common_dir) / NEIGHBOURS_FILE


def _decision_text(body: str) -> str:
    """The decision's own paragraph (its ``## Decision`` section), else the body's start."""
    lower = body.lower()
    at = lower.find("## decision")
    if at >= 0:
        rest = body[at:].split("\n", 1)[1] if "\n" in body[at:] else ""
        end = rest.find("\n## ")
        body = rest if end < 0 else rest[:end]
    return " ".join(body.split())[:TEXT_CHARS]


def targets(conn: sqlite3.Connection) -> list[Target]:
    """Sessions (title and the first line of their body: the request when there is one) and live decisions
    (title and decision text) of an open index, newest sessions first, at most ``MAX_RECORDS``."""
    out = []
    for rowid, kind, rid, title, body, tags in conn.execute(
            "SELECT rowid, type, rid, title, body, tags FROM records WHERE type = 'decision'"):
        if (tags or "").split(" ", 1)[0] in LIVE:
            out.append(Target(rowid, kind, rid, f"{title}. {_decision_text(body or '')}".strip()))
    rows = conn.execute("SELECT rowid, type, rid, title, body FROM records WHERE type = 'session' "
                        "ORDER BY date DESC LIMIT ?", (max(0, MAX_RECORDS - len(out)),)).fetchall()
    for rowid, kind, rid, title, body in rows:
        first = (body or "").split("\n", 1)[0][:TEXT_CHARS]
        out.append(Target(rowid, kind, rid, f"{title}. {first}".strip() if first and first != title else title))
    return out


def store_key(found: Sequence[Target]) -> str:
    h = hashlib.sha256(f"{SCHEMA}\0{embedding.MODEL_ID}\0{TOP}\0{FLOOR}\0{MIN_WORD}\0{RELATED_SCORE}\0"
                       f"{MAX_RELATED}\0{expansion.NEIGHBOURS}\n".encode())
    for t in sorted(found, key=lambda t: t.rowid):
        h.update(f"{t.rowid}\0{t.type}\0{t.rid}\0{t.text}\n".encode("utf-8", "surrogateescape"))
    return h.hexdigest()


def read_key(path: Path) -> str | None:
    """The key the store at ``path`` was built for; None when there is none or it cannot be read."""
    if not path.exists():
        return None
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            row = conn.execute("SELECT value FROM meta WHERE key = 'key'").fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return None
    return row[0] if row else None


def _words(text: str) -> list[str]:
    """Lower-cased alphabetic words of ``MIN_WORD`` letters or more, minus stopwords (what recall looks up)."""
    return [w for w in word_runs(text) if w.isalpha() and len(w) >= MIN_WORD and w not in STOPWORDS]


def vocabulary(found: Sequence[Target]) -> list[str]:
    """The words of the records' texts and the tokenizer's whole-word tokens (alphabetic, over 3 letters)."""
    words = {w for t in found for w in _words(t.text)}
    words.update(w for w in embedding.whole_words() if len(w) > 3 and w not in STOPWORDS)
    return sorted(words)


def neighbours(word_vectors: "numpy.ndarray", record_vectors: "numpy.ndarray") -> list[tuple[list[int], list[float]]]:
    """Per word row: the columns of its ``TOP`` closest records with cosine >= ``FLOOR``, best first."""
    import numpy

    out: list[tuple[list[int], list[float]]] = []
    n = record_vectors.shape[0]
    k = min(TOP, n)
    for start in range(0, word_vectors.shape[0], CHUNK):
        scores = word_vectors[start:start + CHUNK] @ record_vectors.T
        if k < n:
            top = numpy.argpartition(-scores, k - 1, axis=1)[:, :k]
        else:
            top = numpy.broadcast_to(numpy.arange(n), (scores.shape[0], n))
        picked = numpy.take_along_axis(scores, top, axis=1)
        order = numpy.argsort(-picked, axis=1)
        top, picked = numpy.take_along_axis(top, order, axis=1), numpy.take_along_axis(picked, order, axis=1)
        for cols, vals in zip(top.tolist(), picked.tolist()):
            kept = [i for i, v in enumerate(vals) if v >= FLOOR]
            out.append(([cols[i] for i in kept], [vals[i] for i in kept]))
    return out


def related(found: Sequence[Target], words: Sequence[str]) -> list[list[int]]:
    """Per word of ``words``: the rows of ``found`` whose text holds a word that has it among its
    ``expansion.NEIGHBOURS`` nearest whole words (or is it), when they are at most ``MAX_RELATED``, else none.
    The widening is the search side's (``expansion``), turned around: each record word is widened, since the
    hook cannot widen the prompt's words (it loads no model)."""
    holders: dict[str, set[int]] = {}
    for n, t in enumerate(found):
        for w in _words(t.text):
            holders.setdefault(w, set()).add(n)
    record_words = sorted(holders)
    by_word: dict[str, set[int]] = {}
    for start in range(0, len(record_words), RELATED_CHUNK):
        chunk = record_words[start:start + RELATED_CHUNK]
        for group in expansion.related(chunk):
            for w in group:
                by_word.setdefault(stem(w), set()).update(holders[group[0]])
    out = []
    for w in words:
        rows = by_word.get(stem(w), set())
        out.append(sorted(rows) if len(rows) <= MAX_RELATED else [])
    return out


def with_related(near: Sequence[tuple[list[int], list[float]]],
                 rel: Sequence[list[int]]) -> list[tuple[list[int], list[float]]]:
    """``near`` with each word's related rows at ``RELATED_SCORE`` (a row in both keeps the higher), best first."""
    out = []
    for (cols, vals), extra in zip(near, rel):
        score = dict(zip(cols, vals))
        for n in extra:
            score[n] = max(score.get(n, -1.0), RELATED_SCORE)
        ranked = sorted(score.items(), key=lambda cv: -cv[1])
        out.append(([c for c, _ in ranked], [v for _, v in ranked]))
    return out


def write_store(path: Path, key: str, found: Sequence[Target], words: Sequence[str],
                near: Sequence[tuple[list[int], list[float]]]) -> int:
    """Write the store to a temporary file beside ``path`` and move it in place; return the words written.

    ``words(word, hits)``: hits is ``"<n>:<score in thousandths> ..."``, n a row of ``targets``, best first
    (empty for a word close to no record).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        conn = sqlite3.connect(tmp, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode = OFF")
            conn.execute("BEGIN")
            conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            conn.execute("CREATE TABLE targets (n INTEGER PRIMARY KEY, rowid_ INTEGER NOT NULL, type TEXT NOT NULL, "
                         "rid TEXT NOT NULL)")
            conn.execute("CREATE TABLE words (word TEXT PRIMARY KEY, hits TEXT NOT NULL) WITHOUT ROWID")
            conn.executemany("INSERT INTO meta VALUES (?, ?)",
                             [("key", key), ("model", embedding.MODEL_ID), ("schema", SCHEMA),
                              ("built", time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))])
            conn.executemany("INSERT INTO targets VALUES (?, ?, ?, ?)",
                             [(n, t.rowid, t.type, t.rid) for n, t in enumerate(found)])
            # Every word, even one close to no record: it counts in a prompt's mean (as 0), so a prompt that
            # shares one word with a record and says nothing else about it is not taken for a match.
            rows = [(w, " ".join(f"{c}:{round(v * 1000)}" for c, v in zip(cols, vals)))
                    for w, (cols, vals) in zip(words, near)]
            conn.executemany("INSERT INTO words VALUES (?, ?)", rows)
            conn.execute("COMMIT")
        finally:
            conn.close()
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return len(rows)


def build(repo: Repo, conn: sqlite3.Connection) -> NeighboursUpdate:
    """Bring the store up to date with the open index ``conn`` (this repository's); raises on failure."""
    path = store_path(repo)
    if not embedding.available():
        if path.exists():
            path.unlink()
            return NeighboursUpdate("removed")
        return NeighboursUpdate("skipped")
    started = time.perf_counter()
    found = targets(conn)
    key = store_key(found)
    if read_key(path) == key:
        return NeighboursUpdate("current", len(found))
    words = vocabulary(found)
    near = neighbours(embedding.encode(words), embedding.encode([t.text for t in found])) if found else []
    if found:
        near = with_related(near, related(found, words))
    written = write_store(path, key, found, words, near)
    update = NeighboursUpdate("rebuilt", len(found), written, time.perf_counter() - started)
    logger.info("prompt recall neighbours rebuilt: %d records, %d words in %.1f s", update.records, written,
                update.seconds)
    return update


def refresh(repo: Repo, *, quick: bool = True) -> NeighboursUpdate:
    """``build`` on this repository's up-to-date index; never raises (recall stays lexical on a failure).

    ``quick``: never build a big index from scratch for this (see ``index_file.open_current``)."""
    from gitmem.index import index_file

    if not state_dir(repo.common_dir).is_dir():
        return NeighboursUpdate("skipped")
    try:
        conn, _update = index_file.open_current(repo, quick=quick)
        with contextlib.closing(conn):
            return build(repo, conn)
    except Exception:  # noqa: BLE001 - a cache for a convenience: the flush and the index must not fail for it
        logger.warning("the prompt recall neighbours were not rebuilt; prompt recall stays lexical", exc_info=True)
        return NeighboursUpdate("skipped")
