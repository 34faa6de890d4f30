"""Vectors: the lines of each session and decision file worth embedding, stored in the index, ranked by cosine.

Invariants:
- Without the extra (``embedding.available()``) nothing is recorded, and the index remembers it: the first
  writer with the extra rebuilds it (``needs_rebuild``). With it, lines are recorded with their text
  (``units``) and embedded, except inside ``deferred`` (the SessionStart brief's quick open, which must not load
  the model): a line left unembedded marks the index incomplete (meta ``vectors_model`` ''), and the next
  writer that may embed fills in exactly the missing lines (``fill``), no rebuild.
- A vector is stored as int8 (a unit vector x 127, ``_packed``) and keyed by a hash of (``embedding.MODEL_ID``,
  that format, the exact text): the same line is encoded once per
  model, a rebuild copies the old file's vectors by key (``reuse``), and another model never mixes in.
- ``units`` names, per source (``sources.fid``) and unit (``title``, ``learned 2``, ...), the key of its vector;
  a source's units go with the source (``forget``), and a vector no unit names is dropped (``store``, ``prune``).
- Observations are never embedded: per session its title, the first lines of its prompt, each learned,
  dead-end, next-step and decided line; per decision file its title, decision and rationale; and per source
  those lines together (``WHOLE``), which a question touching several of them is nearer to than to any one.
- numpy is imported inside the functions that need it: the module loads without the extra.
"""

from __future__ import annotations

import array
import contextlib
import contextvars
import hashlib
import json
import logging
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Sequence

from gitmem import fence
from gitmem.index import embedding

if TYPE_CHECKING:
    import numpy

    from gitmem.store.records import Decision, SessionSummary

logger = logging.getLogger(__name__)

UNIT_CHARS = 300                 # a unit is one line of at most this many characters: a long text averages to mush
PROMPT_LINES = 3                 # the prompt's first lines: where people say what they want
WHOLE = "whole"                  # the unit of a source's lines together (when it has more than one)
WHOLE_CHARS = 1200               # ... cut here: the first lines say what the source is about
MODEL_KEY = "vectors_model"      # meta: the model every source's units were embedded with ('' when some were not)
STAMP_KEY = "vectors_stamp"      # meta: changes whenever units change, so a process reloads its matrix
PRUNE_KEY = "vectors_prune"      # meta: units were forgotten since vectors were last pruned
UNRECORDED_KEY = "vectors_unrecorded"   # meta: sources were indexed without the extra, their lines not recorded
_BATCH = 500
_WORD = re.compile(r"[^\W_]+")          # a word of a line, as ``embedding.content_words`` splits them
_FORMAT = "int8"                 # how a vector is stored (``_packed``); part of its key
_deferred: contextvars.ContextVar[bool] = contextvars.ContextVar("gitmem_vectors_deferred", default=False)

Units = list[tuple[str, str]]                          # (unit name, text) of one source
SourceUnits = tuple[tuple[str, str], Units]            # ((worktree, folder) of the source, its units)


def _line(text: str) -> str:
    return fence.one_line(text, UNIT_CHARS)


def session_units(s: SessionSummary) -> Units:
    """What a session says in its own words: title, prompt, learned, dead ends, next steps, decisions."""
    units: Units = [("title", _line(s.title)),
                    ("prompt", _line(" ".join(s.request.strip().splitlines()[:PROMPT_LINES])))]
    for name, lines in (("learned", s.learned), ("dead end", s.dead_ends), ("next", s.next_steps)):
        units += [(f"{name} {i}", _line(x)) for i, x in enumerate(lines, 1)]
    for i, d in enumerate(s.decisions, 1):
        units.append((f"decided {i}", _line(" ".join(x for x in (d.title, d.decision) if x))))
        units.append((f"decided {i} because", _line(d.rationale)))
    return _kept(units)


def decision_units(d: Decision) -> Units:
    """A decision file: its title, what was decided and why."""
    from gitmem.decisions.decision_files import section_text

    return _kept([("title", _line(d.title)), ("decision", _line(section_text(d.body, "Decision"))),
                  ("rationale", _line(section_text(d.body, "Rationale") or section_text(d.body, "Context")))])


def _kept(units: Units) -> Units:
    seen: set[str] = set()
    out = []
    for name, text in units:
        if text and text not in seen:
            seen.add(text)
            out.append((name, text))
    if len(out) > 1:
        out.append((WHOLE, " ".join(text for _, text in out)[:WHOLE_CHARS].rstrip()))
    return out


def key(text: str) -> bytes:
    return hashlib.sha256(f"{embedding.MODEL_ID}/{_FORMAT}\0{text}".encode("utf-8", "surrogateescape")).digest()[:16]


def _packed(vectors: "numpy.ndarray") -> list[bytes]:
    """Unit vectors stored as int8 (x 127): a quarter of float32's bytes; cosines move by about 0.005."""
    numpy = embedding.numpy_module()
    return [row.tobytes() for row in numpy.clip(numpy.rint(vectors * 127.0), -127, 127).astype(numpy.int8)]


def _new_stamp() -> str:
    import uuid   # only writers need it (its import is a tenth of a start)

    return uuid.uuid4().hex


def _set_meta(conn: sqlite3.Connection, name: str, value: str) -> None:
    conn.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                 (name, value))


def _meta(conn: sqlite3.Connection, name: str) -> str:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (name,)).fetchone()
    return "" if row is None else str(row[0])


@contextlib.contextmanager
def deferred(defer: bool = True) -> Iterator[None]:
    """Within: lines are recorded but not embedded, and an index with lines not embedded counts as complete (the
    SessionStart brief's quick open must not load the model; the next writer that may embeds them)."""
    token = _deferred.set(defer or _deferred.get())
    try:
        yield
    finally:
        _deferred.reset(token)


def _may_embed() -> bool:
    return embedding.available() and not _deferred.get()


def complete(conn: sqlite3.Connection) -> bool:
    """Is every line embedded that this process should embed now? (always, without the extra or when deferred)."""
    return not _may_embed() or _meta(conn, MODEL_KEY) == embedding.MODEL_ID


def needs_rebuild(conn: sqlite3.Connection) -> bool:
    """Were sources indexed without the extra (their lines never recorded), or embedded by another model (its
    units name other keys), while this process has the extra?"""
    return embedding.available() and (_meta(conn, UNRECORDED_KEY) == "1"
                                      or _meta(conn, MODEL_KEY) not in ("", embedding.MODEL_ID))


def forget(conn: sqlite3.Connection, where: str, params: Sequence[Any]) -> None:
    """Drop the units of the sources matching ``where`` (on ``sources``); their vectors go at the next ``prune``."""
    if conn.execute(f"DELETE FROM units WHERE fid IN (SELECT fid FROM sources WHERE {where})", params).rowcount:
        _set_meta(conn, PRUNE_KEY, "1")
        _set_meta(conn, STAMP_KEY, _new_stamp())


def prune(conn: sqlite3.Connection) -> int:
    """Delete the vectors no unit names (when units were forgotten since the last prune); return how many."""
    if not _meta(conn, PRUNE_KEY):
        return 0
    conn.execute("DELETE FROM meta WHERE key = ?", (PRUNE_KEY,))
    return conn.execute("DELETE FROM vectors WHERE key NOT IN (SELECT key FROM units)").rowcount


def store(conn: sqlite3.Connection, sources: Iterable[SourceUnits], reuse: Path | None = None) -> int:
    """Record the units of ``sources`` (already in ``sources``), then embed those of their lines no vector has
    yet (``fill``); return how many texts were encoded."""
    wanted = list(sources)
    if not embedding.available():
        # No model here, ever: the lines are not even recorded (they would grow every index); a writer that
        # has the extra rebuilds the index (``needs_rebuild``).
        if any(units for _, units in wanted):
            _set_meta(conn, MODEL_KEY, "")
            _set_meta(conn, UNRECORDED_KEY, "1")
        return 0
    fids: dict[tuple[str, str], int] = {}
    for start in range(0, len(wanted), _BATCH):
        chunk = [where for where, _ in wanted[start:start + _BATCH]]
        fids.update(((w, f), fid) for fid, w, f in conn.execute(
            "SELECT fid, worktree, folder FROM sources WHERE (worktree, folder) IN "
            "(SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(?))", (json.dumps(chunk),)))
    rows = [(fids[where], name, key(text), text) for where, units in wanted if where in fids for name, text in units]
    conn.executemany("INSERT INTO units (fid, unit, key, text) VALUES (?, ?, ?, ?)", rows)
    if rows:
        _set_meta(conn, STAMP_KEY, _new_stamp())
        if _meta(conn, MODEL_KEY) and not _may_embed():
            _set_meta(conn, MODEL_KEY, "")
    return fill(conn, reuse, {k: text for _, _, k, text in rows})


def fill(conn: sqlite3.Connection, reuse: Path | None = None, lines: dict[bytes, str] | None = None) -> int:
    """Embed the lines no vector has yet (``lines``: only these, by key; else every unit's): copied by key from
    ``reuse`` (an older index file) when it has them, else encoded; drop vectors no line names. Return how many
    texts were encoded. Without the extra, or deferred, nothing happens: the index stays marked incomplete."""
    if not _may_embed():
        return 0
    if lines is None:
        missing = dict(conn.execute("SELECT DISTINCT u.key, u.text FROM units u WHERE NOT EXISTS "
                                    "(SELECT 1 FROM vectors v WHERE v.key = u.key)").fetchall())
    else:
        have = _present(conn, list(lines))
        missing = {k: text for k, text in lines.items() if k not in have}
    keys = list(missing)
    if keys and reuse is not None and reuse.exists():
        keys = _copy_from(conn, reuse, keys)
    for start in range(0, len(keys), _BATCH):
        chunk = keys[start:start + _BATCH]
        packed = _packed(embedding.encode([missing[k] for k in chunk]))
        conn.executemany("INSERT OR REPLACE INTO vectors (key, vec) VALUES (?, ?)", zip(chunk, packed))
    prune(conn)
    if lines is None or _meta(conn, MODEL_KEY) != embedding.MODEL_ID:
        # complete only when every unit was looked at, or when the index was complete before these lines
        if lines is None or not conn.execute("SELECT 1 FROM units u WHERE NOT EXISTS "
                                             "(SELECT 1 FROM vectors v WHERE v.key = u.key) LIMIT 1").fetchone():
            _set_meta(conn, MODEL_KEY, embedding.MODEL_ID)
    if missing:
        _set_meta(conn, STAMP_KEY, _new_stamp())
    if keys:
        logger.debug("embedded %d new lines", len(keys))
    return len(keys)


def _present(conn: sqlite3.Connection, keys: list[bytes]) -> set[bytes]:
    found: set[bytes] = set()
    for start in range(0, len(keys), _BATCH):
        chunk = keys[start:start + _BATCH]
        marks = ",".join("?" * len(chunk))
        found.update(k for (k,) in conn.execute(f"SELECT key FROM vectors WHERE key IN ({marks})", chunk))
    return found


def _copy_from(conn: sqlite3.Connection, old: Path, keys: list[bytes]) -> list[bytes]:
    """Copy the vectors of ``keys`` that the index file ``old`` holds; return the keys still missing."""
    try:
        src = sqlite3.connect(f"file:{old}?mode=ro", uri=True)
    except sqlite3.Error:
        return keys
    try:
        for start in range(0, len(keys), _BATCH):
            chunk = keys[start:start + _BATCH]
            marks = ",".join("?" * len(chunk))
            conn.executemany("INSERT OR REPLACE INTO vectors (key, vec) VALUES (?, ?)",
                             src.execute(f"SELECT key, vec FROM vectors WHERE key IN ({marks})", chunk).fetchall())
    except sqlite3.Error as exc:   # an old file of another schema, or damaged: encode instead
        logger.debug("vectors not reused from %s: %s", old, exc)
    finally:
        src.close()
    have = _present(conn, keys)
    return [k for k in keys if k not in have]


# -- ranking -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Matrix:
    stamp: str
    vectors: "numpy.ndarray"      # one unit per row, grouped by source (rows of one fid are consecutive)
    whole: "numpy.ndarray"        # per row: is it a source's ``WHOLE`` unit
    starts: "numpy.ndarray"       # the first row of each source
    fids: "numpy.ndarray"         # the fid of each source


_cache: dict[str, _Matrix] = {}


def _matrix(conn: sqlite3.Connection) -> _Matrix | None:
    """Every unit's vector as one matrix, loaded once per process and again only when the units changed."""
    numpy = embedding.numpy_module()

    stamp = _meta(conn, STAMP_KEY)
    cached = _cache.get("m")
    if cached is not None and cached.stamp == stamp and stamp:
        return cached
    rows = conn.execute("SELECT u.fid, v.vec, u.unit = ? FROM units u JOIN vectors v ON v.key = u.key ORDER BY u.fid",
                        (WHOLE,)).fetchall()
    if not rows:
        return None
    vectors = numpy.frombuffer(b"".join(vec for _, vec, _ in rows), dtype=numpy.int8).reshape(len(rows), -1)
    vectors = vectors.astype(numpy.float32)
    vectors /= numpy.maximum(numpy.linalg.norm(vectors, axis=1, keepdims=True), 1e-6)
    fid_of_row = numpy.fromiter((fid for fid, _, _ in rows), dtype=numpy.int64, count=len(rows))
    whole = numpy.fromiter((bool(w) for _, _, w in rows), dtype=bool, count=len(rows))
    starts = numpy.flatnonzero(numpy.r_[True, fid_of_row[1:] != fid_of_row[:-1]])
    _cache["m"] = m = _Matrix(stamp, vectors, whole, starts, fid_of_row[starts])
    return m


def has_vectors(conn: sqlite3.Connection) -> bool:
    return conn.execute("SELECT 1 FROM units LIMIT 1").fetchone() is not None


def nearest_sources(conn: sqlite3.Connection, query: str, limit: int, floor: float,
                    whole_floor: float | None = None) -> list[tuple[int, float]]:
    """(fid, cosine) of the ``limit`` sources nearest to ``query`` by their nearest unit among those at least
    ``floor`` similar (a ``WHOLE`` unit: at least ``whole_floor``, by default ``floor``)."""
    numpy = embedding.numpy_module()

    m = _matrix(conn)
    if m is None or not query.strip():
        return []
    q = embedding.encode([query])[0]
    if q.shape[0] != m.vectors.shape[1]:
        return []
    sims = m.vectors @ q
    passing = sims >= numpy.where(m.whole, floor if whole_floor is None else whole_floor, floor)
    best = numpy.maximum.reduceat(numpy.where(passing, sims, -2.0), m.starts)
    n = min(limit, len(best))
    top = numpy.argpartition(-best, n - 1)[:n] if n < len(best) else numpy.arange(len(best))
    top = top[numpy.argsort(-best[top], kind="stable")]
    return [(int(m.fids[i]), float(best[i])) for i in top if best[i] > -2.0]


_SUFFIX = re.compile(r"(?<=\w\w\w)(?:ies|ied|y|es|s|ed|ing|ly|ions|ion)$")


def stem(word: str) -> str:
    """A lower-cased word without its common English ending (``retries``, ``retry`` -> ``retr``; ``verified``,
    ``verify`` -> ``verif``): enough for word lookups to meet across inflections, the same function on both sides."""
    return _SUFFIX.sub("", word)


def index_words(conn: sqlite3.Connection, after: int = 0) -> None:
    """Add to ``source_words`` each word (``stem``) of the title and body of the session summaries and decision
    files whose entries start past rowid ``after``: what ``word_sources`` reads. Observations have none."""
    _change_words(conn, _words_of(conn, "first > ?", (after,)), add=True)


def forget_words(conn: sqlite3.Connection, where: str, params: Sequence[Any]) -> None:
    """Drop the words of the sources matching ``where`` (on ``sources``), found again from their entries; call it
    before the entries go."""
    _change_words(conn, _words_of(conn, where, params), add=False)


def _words_of(conn: sqlite3.Connection, where: str, params: Sequence[Any]) -> dict[str, set[int]]:
    words: dict[str, set[int]] = {}
    for fid, text in conn.execute("SELECT e.fid, e.title || ' ' || e.body FROM entries e WHERE e.kind != 2 AND "
                                  f"e.rowid IN (SELECT first FROM sources WHERE {where})", params):
        for word in {stem(w) for w in _WORD.findall(text.lower())}:
            words.setdefault(word, set()).add(fid)
    return words


def _change_words(conn: sqlite3.Connection, words: dict[str, set[int]], *, add: bool) -> None:
    """Add ``words``' sources to their rows of ``source_words`` (one row per word, its sources' fids packed as
    int32: a row per word and source was 3x the size), or take them out (a row left with none goes)."""
    old = word_sources(conn, words)
    rows = [(word, array.array("i", sorted(old.get(word, set()) | fids if add else old.get(word, set()) - fids))
             .tobytes()) for word, fids in words.items()]
    conn.executemany("INSERT OR REPLACE INTO source_words (word, fids) VALUES (?, ?)", [r for r in rows if r[1]])
    conn.executemany("DELETE FROM source_words WHERE word = ?", [(word,) for word, packed in rows if not packed])


def word_sources(conn: sqlite3.Connection, words: Iterable[str]) -> dict[str, set[int]]:
    """Each of ``words`` (already ``stem``-med) held by a session summary's or decision file's title or body ->
    the sources holding it (``expansion`` looks query words up here), read from ``source_words``."""
    wanted = sorted(set(words))
    index: dict[str, set[int]] = {}
    for start in range(0, len(wanted), _BATCH):
        chunk = wanted[start:start + _BATCH]
        for word, packed in conn.execute(
                f"SELECT word, fids FROM source_words WHERE word IN ({','.join('?' * len(chunk))})", chunk):
            fids = array.array("i")
            fids.frombytes(packed)
            index[word] = set(fids)
    return index
