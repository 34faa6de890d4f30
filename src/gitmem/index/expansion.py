"""Query expansion: sources that hold words near several of the query's words in the static model's vocabulary.

A paraphrase shares no word with what it asks for, and its sentence vector is often too far from the recorded
line to pass the meaning floor (``hybrid.FLOOR``). Word by word it is closer: the static model's own token table
puts a word near its synonyms and the words used with it. Each content word of the query is widened to itself and
its ``NEIGHBOURS`` nearest whole-word tokens; a session summary or decision file whose text (title and body) holds
words of at least ``MIN_WORDS`` different query words this way is found.

Invariants:
- Only with the extra (the token table is the model's); numpy inside the functions.
- Only session summaries and decision files are matched (``vectors.word_sources``: the table ``source_words``),
  never observations: their text is most of the index and full of incidental words.
- One query word counts once per source however many of its neighbours the source holds; a source needs
  ``MIN_WORDS`` different query words, so one stray shared word never finds it (one word found paraphrase
  targets and unrelated questions' sources alike: see the semantic search decision).
- Words meet by ``vectors.stem`` on both sides. Nothing is written to the index; the vocabulary's vectors are
  rows of the model's table, derived once and cached beside its weights (``embedding.derived``).
"""

from __future__ import annotations

from functools import lru_cache
import sqlite3
from typing import Any

from gitmem.index import embedding, vectors

NEIGHBOURS = 12       # nearest whole words per query word (tuned on benchmarks/quality: see the decision)
MIN_WORDS = 2         # different query words a source must hold (itself or a neighbour) to be found
MAX_WORDS = 8         # query words widened (the first ones): a long question is a sentence vector's job


@lru_cache(maxsize=1)
def _vocabulary() -> tuple[list[str], Any]:
    """The tokenizer's whole-word tokens (lower-cased, alphabetic, 3+ letters) and their unit vectors: the rows
    of the model's token table (a one-token word's vector is its row, normalized). Derived once and cached beside
    the model's weights (``embedding.derived``): deriving them cost every search process ~0.2 s."""
    words, rows = embedding.derived("vocabulary", 2, _derive_vocabulary)
    return [str(w) for w in words.tolist()], rows


def _derive_vocabulary() -> tuple[Any, Any]:
    numpy = embedding.numpy_module()
    model = embedding.model()
    best: dict[str, int] = {}
    for token, i in sorted(model.tokenizer.get_vocab().items(), key=lambda pair: pair[1]):   # the lower id wins
        if token[:1] == "\u2581" and token[1:].isalpha() and len(token) > 3:
            best.setdefault(token[1:].lower(), i)
    words = sorted(best)
    rows = model.matrix[numpy.array([best[w] for w in words], dtype=numpy.int64)]
    rows = rows / numpy.maximum(numpy.linalg.norm(rows, axis=1, keepdims=True), 1e-12)
    return numpy.array(words, dtype=str), numpy.ascontiguousarray(rows, dtype=numpy.float32)


def query_words(text: str) -> list[str]:
    """The query's content words (``embedding.content_words``' split), lower-cased, each once, 3+ characters."""
    out: list[str] = []
    for word in embedding.content_words(text).lower().split():
        if len(word) >= 3 and word not in embedding.FILLER and word not in out:
            out.append(word)
    return out[:MAX_WORDS]


def related(words: list[str], k: int | None = None) -> list[list[str]]:
    """Per word: itself, then its ``k`` (``NEIGHBOURS``) nearest whole words of the vocabulary by cosine."""
    k = NEIGHBOURS if k is None else k
    if not words:
        return []
    numpy = embedding.numpy_module()
    vocab, matrix = _vocabulary()
    sims = embedding.model().embed(words) @ matrix.T
    out = []
    for word, row in zip(words, sims):
        top = numpy.argpartition(-row, k)[:k + 1]
        near = [vocab[i] for i in top[numpy.argsort(-row[top], kind="stable")] if vocab[i] != word]
        out.append([word, *near[:k]])
    return out


def sources(conn: sqlite3.Connection, text: str, min_words: int | None = None) -> list[tuple[int, int]]:
    """(fid, how many query words it holds) of the sources whose summary or decision text holds words (themselves
    or neighbours) of at least ``min_words`` (``MIN_WORDS``) different query words, most words first, then newest."""
    min_words = MIN_WORDS if min_words is None else min_words
    words = query_words(text)
    if len(words) < min_words:
        return []
    groups = [[vectors.stem(w) for w in group] for group in related(words)]
    index = vectors.word_sources(conn, (w for group in groups for w in group))
    counts: dict[int, int] = {}
    for group in groups:
        for fid in set().union(*(index.get(w, ()) for w in group)):
            counts[fid] = counts.get(fid, 0) + 1
    found = [(fid, n) for fid, n in counts.items() if n >= min_words]
    return sorted(found, key=lambda pair: (-pair[1], -pair[0]))
