"""The search index's size against the memory ref it is built from, and what its compact schema must keep.

A memory of 200 sessions x 50 observations is written through the store API
into a real repository; the index is built from it with ``rebuild_index``. The
ref's size is what its objects take on disk once packed (``git repack -ad``,
then ``git rev-list --objects --disk-usage``), as ``bench_coldstart.py``
measures it. No test asserts on wall-clock time.
"""

from __future__ import annotations

import random
import sqlite3

import pytest
from conftest import git

from gitmem.config import MEMORY_REF
from gitmem.git import Repo
from gitmem.index import embedding, index_file, migrations, query, search
from gitmem.index.query import MAX_LIMIT, SearchHit, _MAX_AUTHOR_FACETS
from gitmem.index.rows import _observation_label
from gitmem.store import layout, memory_ref
from gitmem.store.records import Observation, ObservationBatch, SessionSummary

SESSIONS = 200
OBSERVATIONS = 50
MAX_INDEX_TO_REF = 5.0
MAX_BYTES_PER_VECTOR = 600     # with gitmem[semantic]: 256 bytes of int8 vector and its key; the line's name, text
#                                and key in `units`; their b-tree pages (measured: ~450)

_SYLLABLES = ("ca", "che", "ret", "ry", "que", "ue", "wor", "ker", "to", "ken", "par", "ser", "con", "fig", "sche",
              "ma", "mig", "ra", "tion", "in", "dex", "ses", "bran", "mer", "ge", "com", "mit", "ti", "me", "out",
              "so", "ck", "et", "lo", "ad", "sp", "ool", "fl", "ush", "led", "bil", "ling", "vo", "ice")
_RNG = random.Random(7)
_WORDS = sorted({"".join(_RNG.choice(_SYLLABLES) for _ in range(_RNG.randint(2, 4))) for _ in range(3000)})
_WEIGHTS = [1 / (rank + 1) for rank in range(len(_WORDS))]   # Zipf: a few words are everywhere, most are rare
_FILES = [f"src/{pkg}/{mod}.py" for pkg in ("api", "billing", "workers", "core") for mod in
          ("auth", "routes", "charges", "retry", "queue", "models", "views", "client")] + \
         [f"tests/{pkg}/test_{mod}.py" for pkg in ("api", "billing") for mod in ("routes", "charges", "models")]
_TOOLS = (("command", "Bash"), ("edit", "Edit"), ("read", "Read"), ("search", "Grep"), ("prompt", ""))


def _sentence(rng: random.Random, words: int) -> str:
    return " ".join(rng.choices(_WORDS, _WEIGHTS, k=words)).capitalize() + "."


def _observation(rng: random.Random, ts: str) -> Observation:
    """An observation shaped as the capture writes them (and as bench_sync.py's records are): a prompt, or a
    tool call with its event id."""
    kind, tool = rng.choice(_TOOLS)
    event = f"toolu_{rng.getrandbits(64):016x}"
    if kind == "prompt":
        return Observation(ts=ts, kind=kind, text=f"Fix {_sentence(rng, rng.randint(2, 3))}")
    if kind == "command":
        return Observation(ts=ts, kind=kind, tool=tool, outcome=rng.choice(("ok", "failed")), event_id=event,
                           command=f"pytest -q {rng.choice(_FILES)} -k {rng.choice(_WORDS)}")
    if kind == "read":
        return Observation(ts=ts, kind=kind, tool=tool, files=(rng.choice(_FILES),), event_id=event)
    if kind == "search":
        return Observation(ts=ts, kind=kind, tool=tool, text=f"grep '{rng.choice(_WORDS)}'",
                           files=tuple(rng.sample(_FILES, 2)), event_id=event)
    return Observation(ts=ts, kind=kind, tool=tool, text=_sentence(rng, rng.randint(4, 14))[:80],
                       files=(rng.choice(_FILES),), event_id=event)


def _memory_files(rng: random.Random) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    for i in range(SESSIONS):
        sid = f"{rng.getrandbits(64):016x}-{i:04d}"
        month = f"2026-{1 + i * 12 // SESSIONS:02d}"
        day = f"{month}-{1 + i % 28:02d}"
        folder = f"{layout.SESSIONS_DIR}/{month}/{sid}"
        obs = tuple(_observation(rng, f"{day}T09:{j // 60:02d}:{j % 60:02d}Z") for j in range(OBSERVATIONS))
        files[f"{folder}/{layout.obs_file_name(1)}"] = ObservationBatch(session_id=sid, seq=1, observations=obs) \
            .to_text().encode()
        summary = SessionSummary(id=sid, title=_sentence(rng, 6), started_at=f"{day}T09:00:00Z",
                                 ended_at=f"{day}T10:00:00Z", author=rng.choice(("Dana Developer <dana@example.com>",
                                                                                   "Bob Builder <bob@example.com>")),
                                 branch=rng.choice(("main", "fix-billing", "feature/queue")),
                                 request=_sentence(rng, 12), learned=(_sentence(rng, 10), _sentence(rng, 8)),
                                 files_modified=tuple(rng.sample(_FILES, 3)))
        files[f"{folder}/{layout.SUMMARY_FILE}"] = summary.to_text().encode()
    return files


@pytest.fixture
def big_memory(gm_repo: Repo) -> Repo:
    (gm_repo.common_dir / "gitmem").mkdir(exist_ok=True)
    files = _memory_files(random.Random(20261203))
    names = sorted(files)
    parent = None
    for start in range(0, len(names), 40):   # 20 sessions a commit: a history, not one snapshot
        parent = memory_ref.write_files(gm_repo, {n: files[n] for n in names[start:start + 40]}, "gitmem: sessions",
                                   parent=parent)
    return gm_repo


def _ref_bytes(repo: Repo) -> int:
    """What the memory ref's objects take on disk, packed."""
    git(repo.root, "repack", "-adq")
    return int(git(repo.root, "rev-list", "--objects", "--disk-usage", MEMORY_REF).strip())


def test_index_stays_under_five_times_the_packed_ref(big_memory: Repo, monkeypatch: pytest.MonkeyPatch) -> None:
    ref_bytes = _ref_bytes(big_memory)
    with monkeypatch.context() as words_only:   # the goal is the lexical index's; the extra's cost is below
        words_only.setattr(embedding, "available", lambda: False)
        assert index_file.rebuild_index(big_memory).action == "rebuilt"
        assert search.record_counts(big_memory)["observation"] == SESSIONS * OBSERVATIONS
        index_bytes = index_file.index_path(big_memory).stat().st_size
        assert index_bytes < MAX_INDEX_TO_REF * ref_bytes, (index_bytes, ref_bytes, index_bytes / ref_bytes)
    if not embedding.available():
        return
    # With gitmem[semantic]: each embedded line adds its vector, its text and their keys (MAX_BYTES_PER_VECTOR).
    assert index_file.rebuild_index(big_memory).action == "rebuilt"
    conn = sqlite3.connect(index_file.index_path(big_memory))
    try:
        lines = conn.execute("SELECT count(*) FROM vectors").fetchone()[0]
    finally:
        conn.close()
    added = index_file.index_path(big_memory).stat().st_size - index_bytes
    assert lines >= SESSIONS and added < MAX_BYTES_PER_VECTOR * lines, (added, lines, added / lines)


def _observation_hits(repo: Repo) -> dict[str, SearchHit]:
    return {h.id: h for h in search.search(repo, "", types="observation", limit=MAX_LIMIT)}


def test_labels_and_paths_read_back_as_the_records_spell_them(gm_repo: Repo) -> None:
    (gm_repo.common_dir / "gitmem").mkdir(exist_ok=True)
    observations = [
        Observation(ts="2026-11-24T08:00:00Z", kind="command", tool="Bash", command="make test", outcome="ok"),
        Observation(ts="2026-11-24T08:00:01Z", kind="edit", tool="Edit", text="Fixed rounding", command="sed -i x"),
        Observation(ts="2026-11-24T08:00:02Z", kind="read", tool="Read", files=("a.py", "b.py", "c.py", "d.py")),
        Observation(ts="2026-11-24T08:00:03Z", kind="note", text="two\nlines of text"),
        Observation(ts="2026-11-24T08:00:04Z", kind="tool", tool="", outcome="failed", detail="exit 2"),
        Observation(ts="2026-11-24T08:00:05Z", kind="command", tool="Bash", command="   ", text="blank command"),
        Observation(ts="2026-11-24T08:00:06Z", kind="edit", tool="Edit", text="x" * 300),
        Observation(ts="2026-11-24T08:00:07Z", kind="note"),
    ]
    memory_ref.write_session(gm_repo, "s-labels", "2026-11-24T08:00:00Z", observations[:4])
    summary = SessionSummary(id="s-labels", title="  Labels\nread   back ", started_at="2026-11-24T08:00:00Z")
    memory_ref.write_session(gm_repo, "s-labels", "2026-11-24T08:00:00Z", observations[4:], summary)
    hits = _observation_hits(gm_repo)
    assert {o.id: hits[o.id].title for o in observations} == \
        {o.id: _observation_label(o) for o in observations}
    assert {o.id: hits[o.id].path.rsplit("/", 1)[-1] for o in observations} == \
        {**{o.id: "obs-0001.yaml" for o in observations[:4]}, **{o.id: "obs-0002.yaml" for o in observations[4:]}}
    [session] = search.search(gm_repo, "labels", types="session")
    assert (session.title, session.path) == ("Labels read back", "sessions/2026-11/s-labels/summary.md")


def test_a_session_re_indexed_with_another_author_and_branch_moves_between_filters(gm_repo: Repo) -> None:
    (gm_repo.common_dir / "gitmem").mkdir(exist_ok=True)

    def write(author: str, branch: str, text: str) -> None:
        memory_ref.write_session(gm_repo, "s-move", "2026-10-30T08:00:00Z",
                            [Observation(ts="2026-10-30T08:00:00Z", kind="note", text=text)],
                            SessionSummary(id="s-move", title="Moving session", started_at="2026-10-30T08:00:00Z",
                                           author=author, branch=branch))

    write("Alice Example <alice@example.com>", "main", "first flush about ledgers")
    assert len(search.search(gm_repo, "ledgers", author="alice", branch="main", since="2026-10-30")) == 1
    write("Bob Builder <bob@example.com>", "fix-ledger", "second flush about ledgers")
    assert index_file.ensure_index(gm_repo).action == "incremental"   # re-reads the one folder
    assert search.search(gm_repo, "ledgers", author="alice") == []
    assert search.search(gm_repo, "ledgers", branch="main") == []
    moved = search.search(gm_repo, "ledgers", author="bob builder", branch="fix-ledger", since="2026-10-01")
    assert sorted(h.snippet for h in moved) == ["first flush about **ledgers**", "second flush about **ledgers**"]
    assert {h.author for h in moved} == {"Bob Builder <bob@example.com>"}
    assert search.search(gm_repo, "ledgers", since="2026-10-31") == []
    _integrity(gm_repo)


def _integrity(repo: Repo) -> None:
    conn = sqlite3.connect(index_file.index_path(repo))
    try:
        conn.execute("INSERT INTO records_fts (records_fts, rank) VALUES ('integrity-check', 1)")
    finally:
        conn.close()


def test_an_index_of_the_first_schema_is_re_indexed_into_the_compact_one(gm_repo: Repo) -> None:
    (gm_repo.common_dir / "gitmem").mkdir(exist_ok=True)
    tip = memory_ref.write_session(gm_repo, "s-old", "2026-11-24T08:00:00Z",
                              [Observation(ts="2026-11-24T08:00:00Z", kind="note", text="flamegraph of the hook")],
                              SessionSummary(id="s-old", title="Old index", started_at="2026-11-24T08:00:00Z")).commit
    # An index as the first release left it: only m001 applied, claiming the current tip, with a stale row.
    conn = sqlite3.connect(index_file.index_path(gm_repo), isolation_level=None)
    try:
        first = migrations.MIGRATIONS[0]
        conn.execute("CREATE TABLE _migrations (seq INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, "
                     "applied_at TEXT NOT NULL)")
        first[1](conn)
        conn.execute("INSERT INTO _migrations (name, applied_at) VALUES (?, 'then')", (first[0],))
        conn.execute("INSERT INTO meta (key, value) VALUES ('ref_tip', ?)", (tip,))
        conn.execute("INSERT INTO records VALUES (1, 'session', 'gone', 'gone', 'f', '', 'p', '2026-01-01', 'a', "
                     "'', 'stale', 'stale', 'stale', '', '', '')")
    finally:
        conn.close()
    assert index_file.ensure_index(gm_repo).action == "rebuilt"
    assert [h.id for h in search.search(gm_repo, "flamegraph")] == [search.search(gm_repo, "flamegraph")[0].id]
    assert search.search(gm_repo, "stale") == []
    assert search.record_counts(gm_repo) == {"session": 1, "observation": 1, "decision": 0}
    _integrity(gm_repo)


def _two_months_of_ledgers(repo: Repo) -> None:
    (repo.common_dir / "gitmem").mkdir(exist_ok=True)
    early = [Observation(ts=f"2026-11-05T08:00:{i:02d}Z", kind="note", text="ledger") for i in range(12)]
    memory_ref.write_session(repo, "s-early", "2026-11-05T08:00:00Z", early,
                        SessionSummary(id="s-early", title="Early", started_at="2026-11-05T08:00:00Z",
                                       author="Alice Example <alice@example.com>", branch="main"))
    late = [Observation(ts="2026-11-25T08:00:00Z", kind="note", text="the ledger rounding was fixed in the end")]
    memory_ref.write_session(repo, "s-late", "2026-11-25T08:00:00Z", late,
                        SessionSummary(id="s-late", title="Late", started_at="2026-11-25T08:00:00Z",
                                       author="Bob Builder <bob@example.com>", branch="main"))
    memory_ref.write_session(repo, "s-sept", "2026-09-25T08:00:00Z",
                        [Observation(ts="2026-09-25T08:00:00Z", kind="note", text="ledger in september")],
                        SessionSummary(id="s-sept", title="September", started_at="2026-09-25T08:00:00Z",
                                       author="Alice Builder <ab@example.org>", branch="main"))


def test_since_within_a_month_drops_its_earlier_days_past_better_ranked_rows(gm_repo: Repo) -> None:
    _two_months_of_ledgers(gm_repo)
    # The month token lets the twelve short (better ranked) rows of the 5th through; the exact test drops them.
    assert [h.session_id for h in search.search(gm_repo, "ledger", since="2026-11-20", limit=1)] == ["s-late"]
    assert {h.session_id for h in search.search(gm_repo, "ledger", since="2026-11-05")} == {"s-early", "s-late"}
    assert {h.session_id for h in search.search(gm_repo, "ledger", since="2026-10-01")} == {"s-early", "s-late"}
    assert search.search(gm_repo, "ledger", since="2026-11-26") == []


@pytest.mark.parametrize("max_tokens", [_MAX_AUTHOR_FACETS, 0])
def test_author_filter_by_tokens_or_by_the_exact_test_agree(gm_repo: Repo, monkeypatch: pytest.MonkeyPatch,
                                                              max_tokens: int) -> None:
    _two_months_of_ledgers(gm_repo)
    monkeypatch.setattr(query, "_MAX_AUTHOR_FACETS", max_tokens)   # 0: too many authors to name as tokens
    def sessions(query: str, author: str, **kw) -> set[str]:
        return {h.session_id for h in search.search(gm_repo, query, author=author, **kw)}

    assert sessions("ledger", "builder") == {"s-late", "s-sept"}
    assert sessions("ledger", "Bob Builder") == {"s-late"}
    assert sessions("ledger", "example.com") == {"s-early", "s-late"}
    assert sessions("ledger", "example.org", limit=1) == {"s-sept"}  # past the twelve better ranked rows of the 5th
    assert sessions("ledger", "alice") == {"s-early", "s-sept"}
    assert sessions("", "alice builder") == {"s-sept"}
    assert sessions("", "example org") == {"s-sept"}
    assert sessions("ledger", "carol") == set()
    assert sessions("", "bo") == set()
