"""Hybrid search: words fused with meaning (the gitmem[semantic] extra), vectors kept in the index.

Real git, real repositories and the real wordllama model; the tests that need the model skip when the extra is
not installed. The path without the extra is tested by turning ``embedding.available`` off in this process.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from conftest import run

from gitmem.config import DECISIONS_DIR
from gitmem.git import Repo, discover
from gitmem.index import embedding, index_file, search, vectors
from gitmem.store import memory_ref
from gitmem.store.records import Decision, DecisionNote, SessionSummary

needs_model = pytest.mark.skipif(not embedding.available(), reason="gitmem[semantic] not installed")

# A question in other words: no word of it (nor its stem) is in the session it must find.
PARAPHRASE = "colour of the brand image"
SESSIONS = {
    "s-logo": SessionSummary(id="s-logo", title="Make the logo blue on the landing page",
                             started_at="2026-11-20T09:00:00Z", request="The logo should be blue, not green",
                             learned=("The landing page reads the logo from static/img",)),
    "s-orm": SessionSummary(id="s-orm", title="Chose raw SQL over SQLAlchemy for the reports",
                            started_at="2026-11-21T09:00:00Z", request="Reports are slow",
                            learned=("SQLAlchemy produced N+1 queries on the report page",),
                            decisions=(DecisionNote(title="Raw SQL for reports",
                                                    rationale="the generated queries were slow"),)),
    "s-login": SessionSummary(id="s-login", title="Pin the clock in the flaky login test",
                              started_at="2026-11-22T09:00:00Z", request="The login test fails one run in ten",
                              dead_ends=("Retrying the test three times hid the failure",)),
}


def add(repo: Repo, sid: str, summary: SessionSummary | None = None) -> None:
    s = summary or SESSIONS[sid]
    memory_ref.write_session(repo, sid, s.started_at, (), s)


@pytest.fixture
def gm(repo: Path) -> Repo:
    """A repository where gitmem keeps its index on disk, with the three sessions recorded."""
    (repo / ".git" / "gitmem").mkdir(exist_ok=True)
    r = discover(repo)
    for sid in SESSIONS:
        add(r, sid)
    return r


def table(repo: Repo, sql: str) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(index_file.index_path(repo))
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


class Counting:
    """``embedding.encode`` as it is, counting the texts it encodes."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.texts: list[str] = []
        real = embedding.encode

        def encode(texts: Any) -> Any:
            self.texts += list(texts)
            return real(texts)

        monkeypatch.setattr(embedding, "encode", encode)


def test_the_paraphrase_shares_no_word_with_its_session() -> None:
    from gitmem.index.query import query_terms

    words = {t.strip('"') for t in query_terms(PARAPHRASE)}
    text = " ".join([SESSIONS["s-logo"].title, SESSIONS["s-logo"].request, *SESSIONS["s-logo"].learned]).lower()
    assert words and not any(w in text for w in words)


@needs_model
def test_a_paraphrase_finds_its_session_through_the_cli_and_lexical_does_not(
        gm: Repo, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(gm.root)
    code, out, err = run(capsys, "search", *PARAPHRASE.split(), "--json")
    assert code == 0, err
    found = json.loads(out)
    assert found["hybrid"] is True
    assert [(r["id"], r["found_by"], r["match"]) for r in found["results"]][0] == ("s-logo", "meaning", "none")

    code, out, err = run(capsys, "search", *PARAPHRASE.split(), "--lexical", "--json")
    assert code == 0, err
    words = json.loads(out)
    assert words["hybrid"] is False and "s-logo" not in [r["id"] for r in words["results"]]

    code, out, _ = run(capsys, "search", *PARAPHRASE.split())
    assert code == 0 and "Make the logo blue" in out


@needs_model
def test_a_paraphrase_finds_its_session_through_the_mcp_tool(gm: Repo) -> None:
    from gitmem.integrations.mcp_tools import MemoryTools

    assert gm.root is not None
    answer = MemoryTools(gm.root).search(PARAPHRASE)
    assert answer["hybrid"] is True
    assert [(r["id"], r["found_by"]) for r in answer["results"]][0] == ("s-logo", "meaning")


@needs_model
def test_exact_words_keep_their_rank_and_are_marked_found_by_both_sides(gm: Repo) -> None:
    for query in ("flaky login test", "SQLAlchemy reports", "logo blue"):
        words = search.search(gm, query, lexical=True)
        found = search.find(gm, query)
        assert found.hybrid
        assert [h.id for h in found.hits][:len(words)] == [h.id for h in words], query
        assert found.hits[0].found_by == "both", query
    # an unrelated question finds nothing by meaning either: the floor keeps vague neighbours out
    assert search.find(gm, "banana bread with walnuts").hits == []


@needs_model
def test_vectors_are_reused_across_a_rebuild_and_new_lines_alone_are_encoded(
        gm: Repo, monkeypatch: pytest.MonkeyPatch) -> None:
    index_file.rebuild_index(gm)
    units = table(gm, "SELECT count(*), count(DISTINCT key) FROM units")[0]
    assert units[0] >= 9 and table(gm, "SELECT count(*) FROM vectors")[0][0] == units[1]
    counted = Counting(monkeypatch)
    index_file.rebuild_index(gm)
    assert counted.texts == []                       # every line's vector came from the old file, by key
    add(gm, "s-new", SessionSummary(id="s-new", title="Move the cron jobs to systemd timers",
                                    started_at="2026-11-23T09:00:00Z",
                                    learned=("Pin the clock in the flaky login test",)))   # a line already embedded
    assert search.search(gm, "systemd", lexical=True)[0].id == "s-new"          # the index caught up
    # its new line, and its lines together (a new text): the line already embedded is not encoded again
    assert counted.texts == ["Move the cron jobs to systemd timers",
                             "Move the cron jobs to systemd timers Pin the clock in the flaky login test"]


@needs_model
def test_a_forgotten_session_and_a_removed_decision_lose_their_vectors(gm: Repo) -> None:
    from gitmem.app.forget import forget

    assert gm.root is not None
    folder = gm.root / DECISIONS_DIR
    folder.mkdir(parents=True)
    decision = Decision(id="d-queue", title="Use Postgres SKIP LOCKED for the job queue", date="2026-11-24",
                        body="\n## Decision\n\nJobs live in Postgres.\n\n## Rationale\n\nOne database to run.\n")
    (folder / "2026-11-24-queue.md").write_text(decision.to_text(), encoding="utf-8")
    index_file.ensure_index(gm)
    keys = {k for (k,) in table(gm, "SELECT key FROM vectors")}
    logo_key = vectors.key(SESSIONS["s-logo"].title)
    queue_key = vectors.key(decision.title)
    assert {logo_key, queue_key} <= keys

    forget(gm, sessions=["s-logo"], local_only=True)
    (folder / "2026-11-24-queue.md").unlink()
    index_file.ensure_index(gm)
    left = {k for (k,) in table(gm, "SELECT key FROM vectors")}
    assert logo_key not in left and queue_key not in left
    assert vectors.key(SESSIONS["s-orm"].title) in left
    assert table(gm, "SELECT count(*) FROM units u LEFT JOIN vectors v ON v.key = u.key WHERE v.key IS NULL") == [(0,)]
    assert "s-logo" not in [h.id for h in search.search(gm, PARAPHRASE)]


def test_without_the_extra_nothing_is_embedded_and_search_is_lexical(
        repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(embedding, "available", lambda: False)
    monkeypatch.setattr(embedding, "encode", lambda texts: pytest.fail("encoded without the extra"))
    (repo / ".git" / "gitmem").mkdir(exist_ok=True)
    r = discover(repo)
    for sid in SESSIONS:
        add(r, sid)
    found = search.find(r, "logo blue")
    assert not found.hybrid and [h.id for h in found.hits][0] == "s-logo"
    assert [h.found_by for h in found.hits] == ["words"] * len(found.hits)
    assert search.find(r, PARAPHRASE).hits == []
    # nothing recorded without the extra (a writer that has it rebuilds the index)
    assert table(r, "SELECT count(*) FROM units") == [(0,)] and table(r, "SELECT count(*) FROM vectors") == [(0,)]
    assert table(r, f"SELECT value FROM meta WHERE key = '{vectors.MODEL_KEY}' AND value != ''") == []
    monkeypatch.chdir(repo)
    code, out, err = run(capsys, "search", "logo", "--json")
    assert code == 0, err
    assert json.loads(out)["hybrid"] is False
    if embedding.available():   # the extra is back: the next search rebuilds the index with its lines
        monkeypatch.undo()
        found = search.find(r, PARAPHRASE)
        assert found.hybrid and found.hits[0].id == "s-logo"


@needs_model
def test_lines_indexed_by_the_quick_open_are_embedded_by_the_next_search_without_a_rebuild(
        repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (repo / ".git" / "gitmem").mkdir(exist_ok=True)
    r = discover(repo)
    for sid in SESSIONS:
        add(r, sid)
    counted = Counting(monkeypatch)
    conn, update = index_file.open_current(r, quick=True)   # the SessionStart brief's open: never embeds
    conn.close()
    assert update.action == "rebuilt" and counted.texts == []     # built, its lines recorded, none encoded
    lines = table(r, "SELECT count(DISTINCT key) FROM units")[0][0]
    assert lines >= 9 and table(r, "SELECT count(*) FROM vectors") == [(0,)]
    found = search.find(r, PARAPHRASE)     # the missing lines are embedded in place
    assert found.hybrid and found.hits[0].id == "s-logo"
    assert len(counted.texts) == lines + 1          # each line once, and the query
    assert index_file.ensure_index(r).action == "current" and len(counted.texts) == lines + 1


def test_fusion_keeps_hits_with_every_word_above_weak_meaning_and_ranks_strong_meaning_by_rrf() -> None:
    from gitmem.index.hybrid import STRONG, fuse
    from gitmem.index.query import SearchHit

    def hit(sid: str, **kw: Any) -> SearchHit:
        return SearchHit("session", sid, sid, sid, "", "2026-11-24", "", "", "", (), **kw)

    words = [hit("w1", score=9.0), hit("w2", score=8.0), hit("w3", score=7.0, match="any")]
    weak = [hit(f"m{i}", score=STRONG - 0.05, match="none", found_by="meaning") for i in range(4)]
    fused = fuse(words, weak)
    # the hits with every word first; weak meaning competes by fused rank only with the hit that has some words
    assert [h.id for h in fused] == ["w1", "w2", "m0", "m1", "w3", "m2", "m3"]

    strong = [hit("m0", score=STRONG + 0.2, match="none", found_by="meaning"), hit("w2", score=0.4,
                                                                                 found_by="meaning")]
    fused = fuse(words, strong)
    assert [(h.id, h.found_by) for h in fused][:3] == [("w2", "both"), ("w1", "words"), ("m0", "meaning")]

    # words found the session through one of its observations, meaning through its summary: the summary leads
    obs = SearchHit("observation", "o1-1", "w9", "ran the tests", "", "2026-11-24", "", "", "", (), score=5.0,
                    match="any")
    summary = hit("w9", score=0.2, match="none", found_by="meaning")
    fused = fuse([obs], [summary])
    assert [(h.type, h.id, h.found_by, h.match) for h in fused] == [("session", "w9", "both", "any"),
                                                                    ("observation", "o1-1", "words", "any")]


def test_question_and_function_words_are_dropped_before_encoding() -> None:
    assert embedding.content_words("How do we handle retries for charge_retry?") == "handle retries charge retry"
    assert embedding.content_words("Why did we use SQLAlchemy") == "SQLAlchemy"
    assert embedding.content_words("how do we") == "how do we"     # nothing else: the text as it is


@needs_model
def test_a_question_in_other_words_finds_its_session_and_unrelated_questions_get_no_meaning_hit(gm: Repo) -> None:
    question = "how did we settle the colour of the brand image?"
    found = search.find(gm, question)
    assert found.hybrid and (found.hits[0].id, found.hits[0].found_by) == ("s-logo", "meaning")
    # each of these got a meaning hit here with whole questions encoded and one floor of 0.15 (the first version)
    unrelated = ["what is the difference between processes and threads", "how to compare two floating point "
                 "numbers safely", "what is the purpose of a virtual destructor", "how do I read environment "
                 "variables in a shell script", "what is the difference between stack and heap memory"]
    for q in unrelated:
        assert [h.id for h in search.find(gm, q).hits if h.found_by == "meaning"] == [], q


@needs_model
def test_a_source_is_found_by_its_lines_together_or_by_one_line_each_with_its_own_floor(gm: Repo) -> None:
    index_file.ensure_index(gm)
    whole = dict(table(gm, f"SELECT s.session_id, u.text FROM units u JOIN sources s ON s.fid = u.fid "
                           f"WHERE u.unit = '{vectors.WHOLE}'"))
    assert set(whole) == set(SESSIONS)      # each has several lines: they are embedded together too
    assert SESSIONS["s-orm"].title in whole["s-orm"] and SESSIONS["s-orm"].learned[0] in whole["s-orm"]
    conn = sqlite3.connect(index_file.index_path(gm))
    try:
        sid = dict(conn.execute("SELECT fid, session_id FROM sources"))
        q = embedding.encode([PARAPHRASE])[0]
        by_whole = {sid[f]: s for f, s in vectors.nearest_sources(conn, PARAPHRASE, 20, 2.0, whole_floor=-1.0)}
        by_lines = {sid[f]: s for f, s in vectors.nearest_sources(conn, PARAPHRASE, 20, -1.0, whole_floor=2.0)}
        assert vectors.nearest_sources(conn, PARAPHRASE, 20, 2.0, whole_floor=2.0) == []
    finally:
        conn.close()
    assert set(by_whole) == set(by_lines) == set(SESSIONS)
    for s, text in whole.items():   # only the whole unit counted, then only the lines
        assert by_whole[s] == pytest.approx(float(embedding.encode([text])[0] @ q), abs=0.02)
        lines = [t for _, t in vectors.session_units(SESSIONS[s]) if t != text]
        assert by_lines[s] == pytest.approx(max(float(v @ q) for v in embedding.encode(lines)), abs=0.02)


@needs_model
def test_an_index_embedded_by_another_model_is_rebuilt_with_this_one(gm: Repo, monkeypatch: pytest.MonkeyPatch) -> None:
    index_file.ensure_index(gm)
    conn = sqlite3.connect(index_file.index_path(gm))
    with conn:
        conn.execute("UPDATE meta SET value = 'wordllama-0.4/l2_supercat/256' WHERE key = ?", (vectors.MODEL_KEY,))
    conn.close()
    counted = Counting(monkeypatch)
    assert index_file.ensure_index(gm).action == "rebuilt"
    assert counted.texts == []     # the same model id's vectors were reused by key
    assert table(gm, f"SELECT value FROM meta WHERE key = '{vectors.MODEL_KEY}'") == [(embedding.MODEL_ID,)]
    assert all(k == vectors.key(t) for k, t in table(gm, "SELECT key, text FROM units"))
