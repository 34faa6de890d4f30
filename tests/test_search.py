"""The search index: rows from the ref and decision files, freshness against the ref, rebuilds, queries.

Records are written through ``memory_ref.write_session`` into real repositories;
git is never mocked. No test asserts on wall-clock time.
"""

from __future__ import annotations

import datetime
import sqlite3
import threading
from pathlib import Path

import pytest
from conftest import git

from gitmem.config import DECISIONS_DIR, MEMORY_REF
from gitmem.errors import GitmemError
from gitmem.git import Repo, discover
from gitmem.index import embedding, index_file, migrations, query, search
from gitmem.index.query import MAX_TERMS, SearchHit, fts_expression, query_terms
from gitmem.index.rows import expand_label
from gitmem.store import memory_ref
from gitmem.store.records import Decision, DecisionNote, Observation, SessionSummary

NOW = datetime.datetime(2026, 11, 30, 12, 0, tzinfo=datetime.timezone.utc)


def add_session(repo: Repo, sid: str, title: str, *observations: Observation, started_at: str = "2026-11-24T08:00:00Z",
                author: str = "Alice Example", branch: str = "main", **kw) -> str:
    summary = SessionSummary(id=sid, title=title, started_at=started_at, ended_at=started_at, author=author,
                             branch=branch, **kw)
    return memory_ref.write_session(repo, sid, started_at, observations, summary).commit


def ob(text: str = "", ts: str = "2026-11-24T08:05:00Z", kind: str = "tool", **kw) -> Observation:
    return Observation(ts=ts, kind=kind, text=text, **kw)


def write_decision(root: Path, name: str, title: str, body: str = "\nWe decided.\n", **kw) -> Path:
    folder = root / DECISIONS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    d = Decision(id=kw.pop("id", "d-" + name[:8]), title=title, body=body, **kw)
    path.write_text(d.to_text(), encoding="utf-8")
    return path


def ids(hits: list[SearchHit]) -> list[str]:
    return [h.id for h in hits]


def dump(repo: Repo) -> list[tuple]:
    """Every row of the index, without rowids, in a stable order."""
    conn = sqlite3.connect(index_file.index_path(repo))
    try:
        rows = conn.execute("SELECT type, rid, session_id, folder, worktree, path, date, author, branch, "
                            "label, title, body, files, tags FROM records").fetchall()
        # The label as shown: the index stores the number of a candidate its other columns spell.
        return sorted((*r[:9], expand_label(r[9], r[1], *r[10:]), *r[10:]) for r in rows)
    finally:
        conn.close()


def fts_integrity(repo: Repo) -> None:
    """FTS5's own check that the full-text index matches the content table, row for row."""
    conn = sqlite3.connect(index_file.index_path(repo))
    try:
        conn.execute("INSERT INTO records_fts (records_fts, rank) VALUES ('integrity-check', 1)")
    finally:
        conn.close()


@pytest.fixture(autouse=True)
def words_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests pin the lexical engine (FTS5, filters, the index's life) as it ranks without the semantic extra;
    tests/test_hybrid.py tests what meaning adds."""
    monkeypatch.setattr(embedding, "available", lambda: False)


@pytest.fixture(autouse=True)
def state_folder(repo: Path) -> Path:
    """gitmem's state folder, as `gitmem init` makes it: the index lives there (without it, readers build it in
    memory and write nothing)."""
    path = repo / ".git" / "gitmem"
    path.mkdir(exist_ok=True)
    return path


@pytest.fixture
def memory(gm_repo: Repo) -> Repo:
    """A repository with three sessions, their observations, and two decision files."""
    add_session(gm_repo, "s-cache", "Cache the parsed config",
                ob("profile showed yaml parsing dominating startup", kind="prompt"),
                ob(tool="Bash", command="pytest -q tests/test_config.py", detail="exit 0"),
                ob("add an lru cache around load_config", tool="Edit", files=("src/gitmem/config.py",)),
                request="make startup faster", learned=("yaml parsing is the slow part",),
                files_modified=("src/gitmem/config.py",), tags=("performance",),
                decisions=(DecisionNote(title="Cache config per process", rationale="it never changes mid-run"),))
    add_session(gm_repo, "s-hook", "Hook exits zero on errors",
                ob("the hook crashed on malformed json payloads", kind="prompt", ts="2026-11-20T10:01:00Z"),
                ob(tool="Edit", files=("src/gitmem/hook.py",), text="wrap main in a try block",
                   ts="2026-11-20T10:02:00Z"),
                started_at="2026-11-20T10:00:00Z", author="Bob Builder", branch="fix-hook",
                files_modified=("src/gitmem/hook.py",), next_steps=("log the payload size",))
    add_session(gm_repo, "s-old", "Initial spool format",
                ob("design the spool line format", kind="prompt", ts="2026-10-01T09:00:00Z"),
                started_at="2026-10-01T09:00:00Z", author="Alice Example", branch="main",
                dead_ends=("a sqlite spool was too slow for the hook",))
    assert gm_repo.root is not None
    write_decision(gm_repo.root, "2026-11-24-use-fts5.md", "Use SQLite FTS5 for search", status="accepted",
                   date="2026-11-24", authors=("Alice Example",), files=("src/gitmem/search.py",),
                   tags=("search",), body="\nBM25 ranking over an external content table.\n")
    write_decision(gm_repo.root, "2026-11-25-spool-format.md", "Spool lines are raw payloads", date="2026-11-25",
                   authors=("Bob Builder",), files=("src/gitmem/hook.py",))
    return gm_repo


# -- rows and basic queries -------------------------------------------------------------------------------


def test_search_finds_sessions_observations_and_decisions(memory: Repo) -> None:
    hits = search.search(memory, "cache")
    assert {h.type for h in hits} == {"session", "observation"}
    assert hits[0].type == "session" and hits[0].id == "s-cache"  # the title hit ranks first
    assert hits[0].title == "Cache the parsed config"
    assert hits[0].path == "sessions/2026-11/s-cache/summary.md"
    assert (hits[0].author, hits[0].branch, hits[0].date) == ("Alice Example", "main", "2026-11-24T08:00:00Z")
    assert "src/gitmem/config.py" in hits[0].files
    assert "**" in hits[0].snippet
    obs_hit = next(h for h in hits if h.type == "observation")
    assert obs_hit.session_id == "s-cache" and obs_hit.id.startswith("o1-")
    assert obs_hit.path == "sessions/2026-11/s-cache/obs-0001.yaml"
    assert obs_hit.author == "Alice Example"  # from its session

    (decision,) = search.search(memory, "bm25 ranking")
    assert (decision.type, decision.id, decision.title) == ("decision", "d-2026-11-", "Use SQLite FTS5 for search")
    assert decision.path == ".gitmem/decisions/2026-11-24-use-fts5.md"
    assert decision.files == ("src/gitmem/search.py",)
    assert all(h.score > 0 for h in hits)


def test_each_session_field_is_searchable(memory: Repo) -> None:
    assert ids(search.search(memory, "startup faster", types="session")) == ["s-cache"]     # request
    assert ids(search.search(memory, "payload size", types="session")) == ["s-hook"]        # next steps
    assert ids(search.search(memory, "sqlite spool", types="session")) == ["s-old"]         # dead ends
    assert ids(search.search(memory, "changes mid-run", types="session")) == ["s-cache"]    # decision rationale
    assert ids(search.search(memory, "performance", types="session")) == ["s-cache"]        # tags
    assert ids(search.search(memory, "hook.py", types="session")) == ["s-hook"]             # files


def test_observation_fields_are_searchable(memory: Repo) -> None:
    (hit,) = search.search(memory, "pytest", types="observation")
    assert hit.title == "tool Bash: pytest -q tests/test_config.py"
    assert len(search.search(memory, "Bash", types="observation")) == 1          # tool
    assert len(search.search(memory, "lru", types="observation")) == 1           # text
    assert search.search(memory, "test_config.py", types="observation")[0].id == hit.id  # command, as a phrase


def test_stemming_and_prefixes(memory: Repo) -> None:
    assert "s-cache" in ids(search.search(memory, "caching"))     # porter: caching ~ cache
    assert {h.session_id for h in search.search(memory, "crash")} == {"s-hook"}   # crashed
    assert "s-cache" in ids(search.search(memory, "pars*"))       # prefix of parsed / parsing
    assert search.search(memory, "pa*") == []                     # two characters: no prefix query
    assert search.search(memory, "zzzunknownword") == []


def test_all_words_must_match_else_any_word(memory: Repo) -> None:
    hits = search.search(memory, "hook malformed", types="observation")
    assert [h.id for h in hits if h.match == "all"] == [search.search(memory, "malformed")[0].id]
    assert hits[0].match == "all" and all(h.match == "any" for h in hits[1:])   # relaxed hits come after
    # No record has both words: the records with either are ranked instead of returning nothing.
    either = search.search(memory, "lru crashed")
    assert {h.session_id for h in either} == {"s-cache", "s-hook"}


def test_title_weighs_more_than_body(gm_repo: Repo) -> None:
    add_session(gm_repo, "s-body", "Unrelated work", learned=("we looked at the tokenizer briefly",))
    add_session(gm_repo, "s-title", "Tokenizer rewrite", learned=("many small things",))
    assert ids(search.search(gm_repo, "tokenizer")) == ["s-title", "s-body"]


# -- freshness: incremental, rebuild, equality ---------------------------------------------------------------


def test_new_commit_on_the_ref_is_seen_without_a_rebuild(memory: Repo) -> None:
    assert search.search(memory, "flamegraph") == []
    add_session(memory, "s-new", "Read the flamegraph", ob("flamegraph shows fork overhead"))
    hits = search.search(memory, "flamegraph")
    assert {h.session_id for h in hits} == {"s-new"} and len(hits) == 2
    # That search brought the index up to date incrementally; the next check has nothing to do.
    add_session(memory, "s-new2", "Another flamegraph")
    update = index_file.ensure_index(memory)
    assert (update.action, update.folders, update.tip) == ("incremental", 1, memory.resolve(MEMORY_REF))
    assert index_file.ensure_index(memory).action == "current"
    fts_integrity(memory)


def test_resumed_session_replaces_its_rows(memory: Repo) -> None:
    index_file.ensure_index(memory)
    before = len([r for r in dump(memory) if r[2] == "s-hook"])
    add_session(memory, "s-hook", "Hook exits zero on every error", ob("second flush of the session"),
                started_at="2026-11-20T10:00:00Z", author="Bob Builder", branch="fix-hook")
    rows = [r for r in dump(memory) if r[2] == "s-hook"] if index_file.ensure_index(memory).action else []
    assert len(rows) == before + 1                                     # one more observation, one summary
    assert [r[9] for r in rows if r[0] == "session"] == ["Hook exits zero on every error"]
    assert search.search(memory, "zero", types="session")[0].title == "Hook exits zero on every error"
    fts_integrity(memory)


def test_incremental_and_rebuild_give_identical_indexes(memory: Repo) -> None:
    index_file.ensure_index(memory)
    add_session(memory, "s-a", "Parser cache invalidation", ob("invalidate on mtime change"))
    add_session(memory, "s-hook", "Hook exits zero on errors, resumed", ob("retry once"),
                started_at="2026-11-20T10:00:00Z", author="Bob Builder", branch="fix-hook")
    assert index_file.ensure_index(memory).action == "incremental"
    add_session(memory, "s-b", "Spool rotation", ob("rotate the spool at 64 MiB", ts="2026-11-26T08:00:00Z"),
                started_at="2026-11-26T08:00:00Z")
    queries = ["cache", "hook", "spool", "zero errors", "pars*", "", "rotate"]
    assert index_file.ensure_index(memory).action == "incremental"
    incremental_rows = dump(memory)
    incremental_hits = {q: search.search(memory, q, limit=50) for q in queries}
    assert index_file.rebuild_index(memory).action == "rebuilt"
    assert dump(memory) == incremental_rows
    for q in queries:
        rebuilt = search.search(memory, q, limit=50)
        assert sorted((h.type, h.id, round(h.score, 6)) for h in rebuilt) == \
            sorted((h.type, h.id, round(h.score, 6)) for h in incremental_hits[q]), q
    fts_integrity(memory)


def test_rewritten_ref_triggers_a_rebuild_and_stale_rows_disappear(memory: Repo) -> None:
    old_tip = memory.resolve(MEMORY_REF)
    add_session(memory, "s-doomed", "Experimental quantum scheduler", ob("quantum scheduling notes"))
    assert len(search.search(memory, "quantum")) == 2
    git(memory.cwd, "update-ref", MEMORY_REF, old_tip)      # force-reset to an older tip
    update = index_file.ensure_index(memory)
    assert update.action == "rebuilt" and "rewritten" in update.reason
    assert search.search(memory, "quantum") == []
    assert not [r for r in dump(memory) if r[2] == "s-doomed"]
    assert ids(search.search(memory, "cache", types="session")) == ["s-cache"]


def test_diverged_history_is_rebuilt(memory: Repo) -> None:
    base = memory.resolve(MEMORY_REF)
    add_session(memory, "s-left", "Left side rework")
    index_file.ensure_index(memory)
    # Another history from the same base (as a teammate's force-push would bring): not a descendant.
    git(memory.cwd, "update-ref", MEMORY_REF, base)
    add_session(memory, "s-right", "Right side rework")
    assert index_file.ensure_index(memory).action == "rebuilt"
    assert ids(search.search(memory, "rework")) == ["s-right"]


def test_deleted_memory_ref_empties_the_ref_rows(memory: Repo) -> None:
    index_file.ensure_index(memory)
    git(memory.cwd, "update-ref", "-d", MEMORY_REF)
    assert index_file.ensure_index(memory).action == "incremental"
    assert search.search(memory, "cache") == []
    assert {h.type for h in search.search(memory, "")} == {"decision"}


def test_clone_that_fetched_the_memory_ref_finds_the_records(clone, remote: Path) -> None:
    alice, bob = clone("alice"), clone("bob")
    alice_repo, bob_repo = discover(alice), discover(bob)
    (bob / ".git" / "gitmem").mkdir()
    add_session(alice_repo, "s-alice", "Teach the parser about tabs", ob("tabs break the tokenizer"))
    git(alice, "push", "-q", "origin", MEMORY_REF)
    assert search.search(bob_repo, "tabs") == []                       # nothing fetched yet
    git(bob, "fetch", "-q", "origin", f"{MEMORY_REF}:{MEMORY_REF}")
    assert {h.session_id for h in search.search(bob_repo, "tabs")} == {"s-alice"}
    # The next fetch is a fast-forward: only the new session is read.
    add_session(alice_repo, "s-alice2", "Tabs in YAML too", started_at="2026-11-25T08:00:00Z")
    git(alice, "push", "-q", "origin", MEMORY_REF)
    git(bob, "fetch", "-q", "origin", f"{MEMORY_REF}:{MEMORY_REF}")
    update = index_file.ensure_index(bob_repo)
    assert (update.action, update.folders) == ("incremental", 1)
    assert ids(search.search(bob_repo, "tabs", types="session")) == ["s-alice2", "s-alice"] or \
        set(ids(search.search(bob_repo, "tabs", types="session"))) == {"s-alice", "s-alice2"}


# -- decision files -------------------------------------------------------------------------------------------


def test_decision_files_added_edited_and_deleted_are_reflected(memory: Repo) -> None:
    root = memory.root
    assert root is not None
    assert search.search(memory, "vendoring") == []
    path = write_decision(root, "2026-11-26-vendor.md", "Avoid vendoring sqlite", date="2026-11-26")
    assert ids(search.search(memory, "vendoring")) == ["d-2026-11-"]
    write_decision(root, "2026-11-26-vendor.md", "Bundle the system sqlite instead of a wheel", date="2026-11-26")
    assert search.search(memory, "vendoring") == []
    assert search.search(memory, "bundle")[0].title == "Bundle the system sqlite instead of a wheel"
    path.unlink()
    assert search.search(memory, "bundle") == []
    assert len(search.search(memory, "", types="decision")) == 2
    assert index_file.ensure_index(memory).action == "current"
    fts_integrity(memory)


def test_broken_decision_file_is_skipped_and_the_rest_indexed(memory: Repo) -> None:
    assert memory.root is not None
    (memory.root / DECISIONS_DIR / "2026-11-27-broken.md").write_text("---\ntitle: [unclosed\n---\nbody\n")
    hits = search.search(memory, "", types="decision")
    assert {h.path.rsplit("/", 1)[-1] for h in hits} == {"2026-11-24-use-fts5.md", "2026-11-25-spool-format.md"}


def test_each_worktree_sees_its_own_decision_files(memory: Repo, repo: Path, tmp_path: Path) -> None:
    other = tmp_path / "wt"
    git(repo, "worktree", "add", "-q", "-b", "other", str(other))
    wt = discover(other)
    assert wt.common_dir == memory.common_dir
    write_decision(other, "2026-11-28-otherbranch.md", "Rename the spool folder to queue", date="2026-11-28")
    assert [h.id for h in search.search(wt, "rename spool queue") if h.match == "all"] == ["d-2026-11-"]
    assert search.search(memory, "queue") == []                        # not this work tree's file
    assert search.search(wt, "FTS5", types="decision") == []           # main's decision: not on this branch
    assert search.search(memory, "FTS5", types="decision")[0].path.endswith("use-fts5.md")
    # Shared index: both work trees are now current, switching between them re-reads nothing.
    assert index_file.ensure_index(memory).action == "current"
    assert index_file.ensure_index(wt).action == "current"
    assert search.search(wt, "cache", types="session")[0].id == "s-cache"   # ref records are shared


def test_removed_worktree_rows_are_forgotten(memory: Repo, repo: Path, tmp_path: Path) -> None:
    other = tmp_path / "wt"
    git(repo, "worktree", "add", "-q", "-b", "other", str(other))
    write_decision(other, "2026-11-28-gone.md", "Temporary decision", date="2026-11-28")
    index_file.ensure_index(discover(other))
    assert any(r[4] == str(other) for r in dump(memory))
    git(repo, "worktree", "remove", "--force", str(other))
    assert memory.root is not None
    write_decision(memory.root, "2026-11-29-new.md", "A new decision", date="2026-11-29")
    index_file.ensure_index(memory)
    assert not any(r[4] == str(other) for r in dump(memory))


# -- filters -------------------------------------------------------------------------------------------------


def test_type_filter(memory: Repo) -> None:
    assert {h.type for h in search.search(memory, "hook", types=["observation"])} == {"observation"}
    assert {h.type for h in search.search(memory, "hook", types=["session", "decision"])} == {"session", "decision"}
    with pytest.raises(GitmemError, match="unknown record type"):
        search.search(memory, "hook", types=["commit"])


def test_author_and_branch_filters(memory: Repo) -> None:
    assert {h.session_id for h in search.search(memory, "", author="bob")} == {"s-hook", ""}
    assert {h.author for h in search.search(memory, "", author="BOB builder")} == {"Bob Builder"}
    assert {h.session_id for h in search.search(memory, "", branch="fix-hook")} == {"s-hook"}
    assert search.search(memory, "cache", branch="fix-hook") == []
    assert search.search(memory, "", author="%") == []            # no word in it: nothing passes
    assert search.search(memory, "", author="bo") == []           # whole words of the name, not substrings
    assert {h.session_id for h in search.search(memory, "", author="bob", types="session")} == {"s-hook"}
    assert {h.type for h in search.search(memory, "spool", author="bob builder")} == {"decision"}
    assert {h.session_id for h in search.search(memory, "hook", author="alice", branch="main")} == {"s-old"}


def test_filter_tokens_are_not_searchable_text(memory: Repo) -> None:
    assert search.search(memory, "zzt1") == []   # the session type token lives in the facets column only
    assert search.search(memory, "zzm202611") == []


def test_or_fallback_keeps_the_filters(memory: Repo) -> None:
    hits = search.search(memory, "lru wrap", file="src/gitmem/hook.py")
    assert {(h.type, h.session_id) for h in hits} == {("observation", "s-hook")}
    assert search.search(memory, "lru crashed", types="decision") == []


def test_file_filter_exact_folder_and_glob(memory: Repo) -> None:
    exact = search.search(memory, "", file="src/gitmem/hook.py")
    assert {(h.type, h.session_id) for h in exact} == {("session", "s-hook"), ("observation", "s-hook"),
                                                     ("decision", "")}
    assert {h.session_id for h in search.search(memory, "", file="./src/gitmem/config.py")} == {"s-cache"}
    folder = search.search(memory, "", file="src/gitmem")
    assert {h.session_id for h in folder} == {"s-cache", "s-hook", ""}
    assert {h.session_id for h in search.search(memory, "cache", file="src/**/*.py")} == {"s-cache"}
    assert search.search(memory, "cache", file="src/*.py") == []       # * stays in one folder (git wildmatch)
    for anywhere in ("**/search.py", "search.py"):                     # no / before the name: at any depth
        decisions = search.search(memory, "", file=anywhere)
        assert {h.path for h in decisions} == {".gitmem/decisions/2026-11-24-use-fts5.md"}
    assert search.search(memory, "", file="*/search.py") == []
    assert search.search(memory, "", file="src/gitmem/hook.pyc") == []
    assert search.search(memory, "", file="docs/*.md") == []


def test_exact_filter_finds_low_ranked_rows_past_many_near_misses(gm_repo: Repo) -> None:
    # Index tokens (src, gitmem, py) pass every row; only the glob itself tells them apart, after ranking.
    near = [ob("widget " * 5, files=(f"src/gitmem/other{i}.py",)) for i in range(40)]
    add_session(gm_repo, "s1", "many", *near, ob("widget", files=("src/gitmem/xmatch.py",)))
    (hit,) = search.search(gm_repo, "widget", file="src/gitmem/x*.py", limit=1)
    assert hit.files == ("src/gitmem/xmatch.py",)
    assert len(search.search(gm_repo, "widget", file="src/gitmem/*.py", limit=100)) == 41


def test_since_filter_with_dates_and_ages(memory: Repo) -> None:
    sessions = lambda **kw: set(ids(search.search(memory, "", types="session", **kw)))  # noqa: E731
    assert sessions() == {"s-cache", "s-hook", "s-old"}
    assert sessions(since="2026-11-01") == {"s-cache", "s-hook"}
    assert sessions(since="2026-11-21T00:00:00+01:00") == {"s-cache"}
    assert sessions(since="7d", now=NOW) == {"s-cache"}            # 2026-11-23T12:00Z
    assert sessions(since="2w", now=NOW) == {"s-cache", "s-hook"}
    assert sessions(since="1y", now=NOW) == {"s-cache", "s-hook", "s-old"}
    for bad in ("yesterday", "7", "2026-13-01", "d7"):
        with pytest.raises(GitmemError, match="--since"):
            search.search(memory, "", since=bad)


def test_limit(memory: Repo) -> None:
    assert len(search.search(memory, "", limit=3)) == 3
    assert search.search(memory, "cache", limit=0) == []
    assert len(search.search(memory, "")) == 11   # 3 sessions + 6 observations + 2 decisions


# -- query text --------------------------------------------------------------------------------------------------


HOSTILE = ['"', '""', "'", "AND(", "OR", "NOT", "NEAR(a b, 2)", "*", "**", "-", "--", ":", "a:b", "title:cache",
           "^cache", "cache)", "(cache", "{title}: cache", "cache AND", "+cache", "c*", "\\", "\x00", "\n\t",
           "💥", "日本語", "é́", "\u200b", "a" * 5000, "cache " * 200, "[", "]", "%", "_", "..", "/", "$(rm -rf /)",
           "SELECT * FROM records;", "'; DROP TABLE records; --"]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_queries_never_raise(memory: Repo, text: str) -> None:
    hits = search.search(memory, text)
    assert isinstance(hits, list)
    assert all(isinstance(h, SearchHit) for h in hits)
    assert search.search(memory, "cache", types="session")[0].id == "s-cache"  # the index survived


def test_punctuation_is_not_syntax(memory: Repo) -> None:
    # `cache)` and `-cache` are the word cache, not a syntax error or a NOT.
    assert ids(search.search(memory, "cache)", types="session")) == ["s-cache"]
    assert ids(search.search(memory, "-cache", types="session")) == ["s-cache"]
    assert ids(search.search(memory, "title:cache", types="session", lexical=True)) == []   # a phrase "title cache"


def test_stopword_only_queries_list_the_newest_records(memory: Repo) -> None:
    newest = search.search(memory, "")
    assert search.search(memory, "the of and") == newest
    assert [h.date for h in newest] == sorted((h.date for h in newest), reverse=True)
    assert newest[0].date == "2026-11-25" and all(h.score == 0.0 for h in newest)


def test_query_terms_are_quoted_and_filtered() -> None:
    assert query_terms("store.py") == ['"store py"']
    assert query_terms("read_memory the cache") == ['("read memory" OR "readmemory")', '"cache"']
    assert query_terms('"AND( x" OR y*') == []   # stopwords and one-letter words only
    assert query_terms('"AND(hook" NEAR(x') == ['"and hook"', '"near x"']
    assert query_terms("conf* co* cach") == ['"conf"*', '"co"', '"cach"']
    assert query_terms("Cache cache CACHE") == ['"cache"']
    assert query_terms("the a of") == []
    assert len(query_terms(" ".join(f"word{i}" for i in range(100)))) == MAX_TERMS
    assert fts_expression("alpha beta", any_term=True) == '{title body files tags idents} : ("alpha" OR "beta")'
    assert fts_expression("the") == ""


def test_common_terms_are_ranked_within_the_newest_matches(gm_repo: Repo, monkeypatch: pytest.MonkeyPatch) -> None:
    for i in range(6):
        add_session(gm_repo, f"s{i}", f"session {i}", ob("widget " * (6 - i), ts=f"2026-11-0{i + 1}T08:00:00Z"),
                    started_at=f"2026-11-0{i + 1}T08:00:00Z")
    everything = search.search(gm_repo, "widget")
    assert everything[0].session_id == "s0"           # the densest match wins when all are ranked
    monkeypatch.setattr(query, "MAX_RANKED", 2)
    windowed = search.search(gm_repo, "widget")
    assert {h.session_id for h in windowed} == {"s4", "s5"}   # only the two newest matches are ranked
    filtered = search.search(gm_repo, "widget", since="2026-11-02")
    assert {h.session_id for h in filtered} == {"s4", "s5"}


# -- the file: migrations, corruption, deletion, concurrency ----------------------------------------------------


def test_index_lives_in_the_common_dir_and_is_not_committed(memory: Repo) -> None:
    search.search(memory, "cache")
    path = index_file.index_path(memory)
    assert path == memory.common_dir / "gitmem" / "index.sqlite" and path.exists()
    assert git(memory.cwd, "status", "--porcelain", "--untracked-files=all").count("index.sqlite") == 0


def test_migrations_are_applied_once_and_recorded(memory: Repo) -> None:
    index_file.ensure_index(memory)
    conn = index_file.connect_index(index_file.index_path(memory))
    try:
        rows = conn.execute("SELECT name FROM _migrations ORDER BY seq").fetchall()
        assert [r[0] for r in rows] == [name for name, _ in migrations.MIGRATIONS]
        assert migrations.apply_migrations(conn) == []
        assert conn.execute("SELECT count(*) FROM _migrations").fetchone()[0] == len(migrations.MIGRATIONS)
    finally:
        conn.close()


def test_a_new_migration_is_applied_in_order_on_next_open(memory: Repo, monkeypatch: pytest.MonkeyPatch) -> None:
    index_file.ensure_index(memory)
    calls = []

    def m999_add_column(conn: sqlite3.Connection) -> None:
        calls.append(1)
        conn.execute("ALTER TABLE entries ADD COLUMN extra TEXT NOT NULL DEFAULT ''")

    monkeypatch.setattr(migrations, "MIGRATIONS", [*migrations.MIGRATIONS, ("m999_add_column", m999_add_column)])
    assert index_file.ensure_index(memory).action == "current"    # rows survive a step that does not touch them
    assert index_file.ensure_index(memory).action == "current"
    assert calls == [1]
    conn = sqlite3.connect(index_file.index_path(memory))
    names = [r[0] for r in conn.execute("SELECT name FROM _migrations ORDER BY seq")]
    conn.close()
    assert names[-1] == "m999_add_column" and names.count("m999_add_column") == 1
    assert ids(search.search(memory, "cache", types="session")) == ["s-cache"]


def test_index_from_a_newer_gitmem_is_rebuilt(memory: Repo) -> None:
    index_file.ensure_index(memory)
    conn = sqlite3.connect(index_file.index_path(memory))
    conn.execute("INSERT INTO _migrations (name, applied_at) VALUES ('m999_from_the_future', 'x')")
    conn.commit()
    conn.close()
    assert index_file.ensure_index(memory).action == "rebuilt"
    assert ids(search.search(memory, "cache", types="session")) == ["s-cache"]


def test_corrupt_index_file_is_rebuilt(memory: Repo) -> None:
    index_file.ensure_index(memory)
    path = index_file.index_path(memory)
    path.write_bytes(b"this is not a database\x00\xff" * 500)
    hits = search.search(memory, "cache", types="session")
    assert ids(hits) == ["s-cache"]
    assert path.read_bytes().startswith(b"SQLite format 3\x00")
    assert index_file.ensure_index(memory).action == "current"


def test_truncated_index_file_is_rebuilt(memory: Repo) -> None:
    for i in range(30):
        add_session(memory, f"bulk{i}", f"bulk session {i}", *(ob(f"filler observation {i} {j}") for j in range(20)))
    index_file.ensure_index(memory)
    path = index_file.index_path(memory)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    assert len(search.search(memory, "filler", limit=1000)) == 600
    fts_integrity(memory)


def test_index_damaged_inside_the_full_text_tables_is_rebuilt_when_a_query_fails(gm_repo: Repo) -> None:
    add_session(gm_repo, "s1", "filler", *(ob(f"filler observation {i} lorem ipsum {i * 7}") for i in range(400)))
    index_file.ensure_index(gm_repo)
    path = index_file.index_path(gm_repo)
    conn = sqlite3.connect(path)
    try:
        pages = [r[0] for r in conn.execute("SELECT pageno FROM dbstat WHERE name = 'records_fts_data'")]
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    except sqlite3.OperationalError:  # pragma: no cover - sqlite built without dbstat
        pytest.skip("this sqlite has no dbstat table")
    finally:
        conn.close()
    data = bytearray(path.read_bytes())
    for page in pages:
        data[(page - 1) * page_size: page * page_size] = b"\xff" * page_size
    path.write_bytes(bytes(data))
    assert index_file.ensure_index(gm_repo).action == "current"     # meta and schema still read fine...
    assert len(search.search(gm_repo, "filler", limit=1000)) == 401   # ...the query fails, rebuilds, answers
    fts_integrity(gm_repo)


def test_deleted_index_file_is_rebuilt_on_next_search(memory: Repo) -> None:
    index_file.ensure_index(memory)
    index_file.index_path(memory).unlink()
    assert ids(search.search(memory, "cache", types="session")) == ["s-cache"]
    assert index_file.index_path(memory).exists()
    assert not list(index_file.index_path(memory).parent.glob("*.tmp"))   # no temporary file left behind


def test_empty_repository_searches_to_nothing(gm_repo: Repo) -> None:
    assert search.search(gm_repo, "anything") == []
    assert search.search(gm_repo, "") == []
    update = index_file.ensure_index(gm_repo)
    assert (update.action, update.tip) == ("current", None)


def test_concurrent_searches_after_a_new_commit_agree(memory: Repo) -> None:
    index_file.ensure_index(memory)
    add_session(memory, "s-race", "Concurrent readers", ob("racing readers"))
    results: list[list[str]] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            results.append(sorted(h.session_id for h in search.search(memory, "readers")))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert results == [["s-race", "s-race"]] * 6
    assert len([r for r in dump(memory) if r[2] == "s-race"]) == 2
    fts_integrity(memory)


def test_the_words_of_a_superseded_decision_find_what_replaced_it(gm_repo: Repo) -> None:
    root = gm_repo.root
    write_decision(root, "2026-11-20-floats.md", "Store amounts as floats", id="d-floats", status="superseded",
                   body="\n## Decision\n\nAmounts are floats.\n")
    write_decision(root, "2026-11-23-cents.md", "Integer cents", id="d-cents", status="accepted",
                   supersedes=("d-floats",), body="\n## Decision\n\nMoney is an int of cents.\n")
    assert ids(search.search(gm_repo, "amounts floats", types="decision")) == ["d-floats", "d-cents"]
    assert ids(search.search(gm_repo, "integer cents", types="decision")) == ["d-cents"]  # the old one names nothing new


# -- word forms, identifiers, the relaxed pass, hits per session (issue 17) -------------------------------


@pytest.mark.parametrize("written", ["charge_retry", "chargeRetry", "ChargeRetryPolicy", "charge-retry"])
def test_an_identifier_is_found_by_its_words_and_by_its_other_spellings(gm_repo: Repo, written: str) -> None:
    add_session(gm_repo, "s-ident", "Payment work", ob(f"the bug was in {written} all along", tool="Edit"))
    add_session(gm_repo, "s-noise", "Charge the card once", ob("retry later, maybe", tool="Edit"))
    found = search.search(gm_repo, "charge retry", types="observation")
    assert [h.session_id for h in found if h.match == "all"] == ["s-ident"]   # noise has both words, in two rows
    for query in ("charge_retry", "chargeRetry", "charge-retry", "ChargeRetry"):
        assert [h.session_id for h in search.search(gm_repo, query) if h.match == "all"] == ["s-ident"], query


def test_camel_case_parts_and_what_is_never_split() -> None:
    from gitmem.index.identifiers import camel_parts, split_text, word_forms

    assert camel_parts("ChargeRetryPolicy") == ["charge", "retry", "policy"]
    assert camel_parts("HTTPServer") == ["http", "server"]
    assert camel_parts("utf8Decoder") == ["utf8", "decoder"]
    for whole in ("charge", "CHARGE", "Charge", "кеш", "キャッシュ", "Straße"):
        assert camel_parts(whole) == []
    assert camel_parts("кешЗапросов") == ["кеш", "запросов"]   # a cased script splits like Latin
    assert split_text("use chargeRetry and charge_retry; chargeRetry again", "HTTPServer") == \
        "charge retry\nhttp server"
    assert word_forms("store.py") == [["store", "py"]]
    assert word_forms("charge_retry") == [["charge", "retry"], ["chargeretry"]]


def test_plural_and_ing_forms_are_found_by_their_stem_and_other_scripts_are_left_whole(gm_repo: Repo) -> None:
    add_session(gm_repo, "s-en", "Retry failed charges", ob("charging a card twice", tool="Edit"))
    add_session(gm_repo, "s-ru", "Кеширование запросов", ob("Probé la caché, pero rompe los tests", tool="Bash"))
    assert {h.session_id for h in search.search(gm_repo, "retries")} == {"s-en"}
    assert {h.session_id for h in search.search(gm_repo, "charge")} == {"s-en"}      # charges, charging
    assert ids(search.search(gm_repo, "кеширование", types="session")) == ["s-ru"]
    assert search.search(gm_repo, "кеш", lexical=True) == []     # no stemming outside ASCII: never a wrong stem
    assert {h.session_id for h in search.search(gm_repo, "rompe probe")} == {"s-ru"}


def test_too_few_hits_with_every_word_are_followed_by_hits_with_some(gm_repo: Repo) -> None:
    add_session(gm_repo, "s-both", "Retry webhooks with backoff")
    add_session(gm_repo, "s-one", "Webhooks arrive out of order")
    add_session(gm_repo, "s-other", "Backoff for the sync worker")
    add_session(gm_repo, "s-none", "Unrelated renaming")
    hits = search.search(gm_repo, "webhooks backoff", limit=5)
    assert hits[0].id == "s-both" and hits[0].match == "all"
    assert {h.id for h in hits[1:]} == {"s-one", "s-other"} and {h.match for h in hits[1:]} == {"any"}
    assert [h.id for h in search.search(gm_repo, "webhooks backoff", limit=1)] == ["s-both"]   # enough: no relaxing
    assert {h["match"] for h in (h.to_dict() for h in hits)} == {"all", "any"}


def test_one_session_does_not_fill_the_top_places_when_others_match(gm_repo: Repo) -> None:
    noisy = [ob(f"tokenizer tokenizer step {i}", tool="Edit", ts=f"2026-11-24T08:{i:02d}:00Z") for i in range(8)]
    add_session(gm_repo, "s-noisy", "Rewrite the lexer", *noisy, learned=("the tokenizer was slow",))
    add_session(gm_repo, "s-quiet", "Profile startup", ob("the tokenizer shows up in the profile", tool="Bash"),
                started_at="2026-11-25T08:00:00Z")
    add_session(gm_repo, "s-decided", "Tokenizer choice", started_at="2026-11-26T08:00:00Z")
    hits = search.search(gm_repo, "tokenizer", limit=5)
    assert {h.session_id for h in hits[:3]} == {"s-noisy", "s-quiet", "s-decided"}
    noisy_lead = next(h for h in hits if h.session_id == "s-noisy")
    assert noisy_lead.type == "session" and noisy_lead.session_matches == 9   # its summary leads its 8 observations
    assert hits[3].session_id == "s-noisy" and hits[3].type == "observation"   # the rest follow
    assert hits[0].to_dict()["session_matches"] >= 1


def test_a_hit_on_identifier_words_shows_the_text_that_was_written(gm_repo: Repo) -> None:
    add_session(gm_repo, "s-ident", "Payment work", ob("the bug was in chargeRetry all along", tool="Edit"))
    add_session(gm_repo, "s-plain", "Other", ob("we charge the card, then retry once", tool="Edit"))
    snippets = {h.session_id: h.snippet for h in search.search(gm_repo, "charge retry", types="observation")}
    assert snippets["s-ident"] == "the bug was in chargeRetry all along"   # not the split words "charge retry"
    assert snippets["s-plain"] == "we **charge** the card, then **retry** once"


def test_the_relaxed_pass_finds_what_an_abbreviation_begins(gm_repo: Repo) -> None:
    add_session(gm_repo, "s-proto", "Switch the wire format to protobuf")
    add_session(gm_repo, "s-auth", "Authentication moves to the gateway")
    add_session(gm_repo, "s-none", "Unrelated renaming")
    proto = search.search(gm_repo, "proto")
    assert [(h.id, h.match) for h in proto] == [("s-proto", "any")]
    assert [h.id for h in search.search(gm_repo, "auth gateway")] == ["s-auth"]   # both words, one a prefix
    assert search.search(gm_repo, "pro") == []           # shorter than WIDEN_PREFIX: never a prefix by itself
