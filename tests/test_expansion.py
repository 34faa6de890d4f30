"""Query expansion (index/expansion.py): sources holding words near several query words, found by meaning."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from gitmem.git import Repo, discover
from gitmem.index import embedding, expansion, hybrid, search, vectors
from gitmem.store import memory_ref
from gitmem.store.records import Observation, SessionSummary

needs_model = pytest.mark.skipif(not embedding.available(), reason="gitmem[semantic] not installed")

CACHE = SessionSummary(id="s-rates", title="Cache exchange rates in Redis for an hour",
                       started_at="2026-11-20T09:00:00Z", request="Rates lookups are slow")
# Two of its content words have a neighbour in CACHE's title (currency ~ exchange, memory ~ cache).
QUESTION = "keep currency conversion figures in memory store"


@pytest.fixture
def gm(repo: Path) -> Repo:
    (repo / ".git" / "gitmem").mkdir(exist_ok=True)
    r = discover(repo)
    memory_ref.write_session(r, CACHE.id, CACHE.started_at, (), CACHE)
    return r


def test_stem_meets_inflections_on_both_sides() -> None:
    assert {vectors.stem(w) for w in ("retries", "retry", "retr")} == {"retr"}
    assert {vectors.stem(w) for w in ("verified", "verifies", "verify")} == {"verif"}
    assert vectors.stem("conversions") == vectors.stem("conversion") and vectors.stem("bus") == "bus"   # 3 letters stay


@needs_model
def test_related_words_are_the_word_then_its_nearest_tokens_the_same_in_every_process() -> None:
    words = expansion.query_words("How do we keep the currency_rates in memory?")
    assert words == ["keep", "currency", "rates", "memory"]
    groups = expansion.related(words)
    assert [g[0] for g in groups] == words and all(len(g) == expansion.NEIGHBOURS + 1 for g in groups)
    assert "money" in groups[1] and "remember" in groups[3]
    # The tokenizer's vocabulary comes back in a random order per process: the neighbours must not depend on it.
    code = "from gitmem.index import expansion; print(expansion.related(['currency', 'memory', 'store']))"
    runs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           timeout=120).stdout for _ in range(2)}
    assert len(runs) == 1 and "money" in runs.pop()


@needs_model
def test_a_session_holding_words_near_two_query_words_is_found_when_its_vector_is_not(
        gm: Repo, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hybrid, "FLOOR", 2.0)          # no line can pass: only expansion can find it
    monkeypatch.setattr(hybrid, "WHOLE_FLOOR", 2.0)
    found = search.find(gm, QUESTION)
    assert found.hybrid and [(h.id, h.found_by, h.match) for h in found.hits] == [("s-rates", "meaning", "none")]
    # one query word near a word of it is not enough; nor is expansion on with words only
    assert search.find(gm, "currency of the flight tickets").hits == []
    assert search.find(gm, QUESTION, lexical=True).hits == []
    monkeypatch.setattr(expansion, "MIN_WORDS", 3)
    assert search.find(gm, QUESTION).hits == []


@needs_model
def test_words_of_observations_do_not_count(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (repo / ".git" / "gitmem").mkdir(exist_ok=True)
    r = discover(repo)
    bare = SessionSummary(id="s-bare", title="Speed up the lookups", started_at="2026-11-20T09:00:00Z")
    obs = Observation(ts="2026-11-20T09:01:00Z", kind="edit", tool="Edit",
                      text="Cache exchange rates in Redis for an hour")
    memory_ref.write_session(r, bare.id, bare.started_at, [obs], bare)
    monkeypatch.setattr(hybrid, "FLOOR", 2.0)
    monkeypatch.setattr(hybrid, "WHOLE_FLOOR", 2.0)
    assert search.search(r, "cache exchange rates") != []              # the words are in the index
    assert [h for h in search.search(r, QUESTION) if h.found_by == "meaning"] == []
