"""The stored word index of query expansion (``source_words``, migration m006) and the cached vocabulary."""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

import pytest

from gitmem.index import embedding, expansion, index_file, migrations, tables, vectors
from gitmem.store import layout, memory_ref
from gitmem.store.records import Decision, DecisionNote, Observation, ObservationBatch, SessionSummary

needs_model = pytest.mark.skipif(not embedding.available(), reason="gitmem[semantic] not installed")

WORDS = ("cache exchange rates redis hour currency money conversion retries retry verified payment invoice "
         "webhook queue worker timeout deploy rollback release branch merge conflict memory storage database "
         "index search query ranking vector embedding token budget summary session decision rationale review "
         "tests failing flaky network socket loopback server client upload download archive compress").split()
QUERIES = ("keep currency conversion figures in memory store", "why do payment webhooks retry on timeout",
           "roll back a failing release", "how is the search ranking budgeted", "compress archives before upload")


def _text(rng: random.Random, lo: int, hi: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(lo, hi))).capitalize()


def _session(rng: random.Random, n: int) -> memory_ref.SessionRecord:
    sid = f"s-{n:04d}"
    start = f"2026-11-{1 + n % 28:02d}T09:00:00Z"
    summary = SessionSummary(id=sid, title=_text(rng, 3, 7), started_at=start, request=_text(rng, 5, 12),
                             learned=(_text(rng, 4, 9),), next_steps=(_text(rng, 3, 6),),
                             decisions=(DecisionNote(title=_text(rng, 3, 5), rationale=_text(rng, 4, 8)),))
    obs = (Observation(ts=start, kind="edit", tool="Edit", text=_text(rng, 5, 10)),)   # never counted
    return memory_ref.SessionRecord(sid, f"{layout.SESSIONS_DIR}/2026-11/{sid}", summary,
                                    (ObservationBatch(session_id=sid, seq=1, observations=obs),))


def _decisions(rng: random.Random, count: int) -> list[tuple[str, Decision]]:
    return [(f".gitmem/decisions/d{i}.md", Decision(id=f"d{i}", title=_text(rng, 3, 6), date="2026-11-02",
                                                   body=f"## Decision\n\n{_text(rng, 5, 10)}\n\n## Rationale\n\n"
                                                        f"{_text(rng, 5, 10)}\n"))
            for i in range(count)]


def _read_every_text(conn: sqlite3.Connection) -> dict[str, set[int]]:
    """What expansion read before m006: every summary's and decision's title and body, split and stemmed."""
    index: dict[str, set[int]] = {}
    for fid, text in conn.execute("SELECT s.fid, e.title || ' ' || e.body FROM sources s "
                                  "JOIN entries e ON e.rowid = s.first WHERE e.kind != 2"):
        for word in {vectors.stem(w) for w in vectors._WORD.findall(text.lower())}:
            index.setdefault(word, set()).add(fid)
    return index


def _stored(conn: sqlite3.Connection) -> dict[str, set[int]]:
    return vectors.word_sources(conn, [w for (w,) in conn.execute("SELECT word FROM source_words")])


@pytest.fixture
def built(tmp_path: Path) -> tuple[Path, random.Random]:
    rng = random.Random(17)
    path = tmp_path / "index.sqlite"
    index_file.build_index_file(path, tip=None, sessions=[_session(rng, n) for n in range(40)],
                                worktree="/wt", decisions=_decisions(rng, 6))
    return path, rng


def test_source_words_hold_what_reading_every_text_gave_through_build_refresh_and_delete(
        built: tuple[Path, random.Random]) -> None:
    path, rng = built
    conn = index_file.connect_index(path)
    try:
        expected = _read_every_text(conn)
        assert expected and _stored(conn) == expected
        assert "exchange" in expected and vectors.stem("retries") in expected
        # a changed session (same folder, new text), a new one, fewer decision files, a deleted session
        tables.index_sessions(conn, [_session(rng, 3), _session(rng, 99)])
        tables.index_decisions(conn, "/wt", _decisions(rng, 2))
        with tables.transaction(conn):
            tables.delete_sources(conn, "worktree = '' AND folder = ?", (f"{layout.SESSIONS_DIR}/2026-11/s-0007",))
        expected = _read_every_text(conn)
        assert _stored(conn) == expected
        live = {fid for (fid,) in conn.execute("SELECT fid FROM sources")}
        assert set().union(*_stored(conn).values()) <= live
        assert vectors.word_sources(conn, ["exchange", "nosuchword"]) == {"exchange": expected["exchange"]}
    finally:
        conn.close()


def test_an_index_from_before_m006_gets_its_words_in_the_migration(built: tuple[Path, random.Random]) -> None:
    path, _ = built
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("DROP TABLE source_words")
    conn.execute("DELETE FROM _migrations WHERE name = 'm006_source_words'")
    conn.close()
    conn = index_file.connect_index(path)
    try:
        assert migrations.applied_migrations(conn)[-1] == "m006_source_words"
        assert _stored(conn) == _read_every_text(conn) != {}
        assert tables.get_meta(conn, "ref_tip") is not None     # nothing forgotten: no re-index
    finally:
        conn.close()


@needs_model
def test_expansion_finds_the_same_sources_as_from_every_text(built: tuple[Path, random.Random],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    path, _ = built
    conn = index_file.connect_index(path)
    try:
        stored = [expansion.sources(conn, q) for q in QUERIES]
        every = _read_every_text(conn)
        monkeypatch.setattr(vectors, "word_sources", lambda _conn, words: {w: every[w] for w in words if w in every})
        assert [expansion.sources(conn, q) for q in QUERIES] == stored
        assert sum(map(len, stored)) > 0
    finally:
        conn.close()


@needs_model
def test_the_vocabulary_is_derived_once_and_read_back_from_the_state_folder(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(embedding, "_weights_folder", [tmp_path])
    derive = expansion._derive_vocabulary
    expansion._vocabulary.cache_clear()
    try:
        words, rows = expansion._vocabulary()
        assert sorted(p.name.split("-")[1] for p in tmp_path.glob("vocabulary-*.npy")) == ["0", "1"]
        expansion._vocabulary.cache_clear()
        monkeypatch.setattr(expansion, "_derive_vocabulary", lambda: pytest.fail("derived again"))
        again, mapped = expansion._vocabulary()
        assert again == words and type(again[0]) is str and (mapped == rows).all() and len(words) > 10_000
        next(tmp_path.glob("vocabulary-1-*.npy")).write_bytes(b"damaged")
        expansion._vocabulary.cache_clear()
        monkeypatch.setattr(expansion, "_derive_vocabulary", derive)
        assert expansion._vocabulary()[0] == words                      # a damaged copy is derived again
    finally:
        expansion._vocabulary.cache_clear()
