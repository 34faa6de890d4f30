"""The same thing said again: restated decisions, next steps done by a later session, steps that say nothing."""

from __future__ import annotations

import pytest

from gitmem.compress.restatement import content_words, done_by, open_next_steps, restates, says_nothing
from gitmem.store.records import SessionSummary


def test_content_words_drop_stopwords_and_suffixes() -> None:
    assert content_words("Added the tests for billing/charge.py") == {"add", "test", "bill", "charg"}
    assert content_words("adding tests") == content_words("Add test")


@pytest.mark.parametrize("a, b, same", [
    ("Use SQLite FTS5 for search", "Use SQLite FTS5 for the search index", True),
    ("Use the outbox pattern for payment events", "use the OUTBOX pattern, for payment events!", True),
    ("Use Postgres for the cache", "Use Redis for the cache", False),
    ("Use SQLite for the search index", "Use SQLite for the session index", False),
    ("", "anything", False),
])
def test_restates(a: str, b: str, same: bool) -> None:
    assert restates(a, b) is same


@pytest.mark.parametrize("step, nothing", [
    ("None", True), ("None.", True), ("n/a", True), ("-", True), ("Nothing left to do", True), ("nothing.", True),
    ("None needed for now", True), ("TBD", True),
    ("None of the docs mention retries yet, add them", False), ("No retries on 4xx yet", False),
    ("Add tests", False),
])
def test_says_nothing(step: str, nothing: bool) -> None:
    assert says_nothing(step) is nothing


@pytest.mark.parametrize("step, done, closed", [
    ("Add tests for the retry backoff in client.py", ["Added tests for the retry backoff in client.py"], True),
    ("Add tests for client.py", ["Added tests to client.py; they pass"], True),
    ("Add tests for client.py", ["Added logging to client.py"], False),       # a different change to the same file
    ("Add tests for client.py", ["Changed client.py", "Added tests for server.py"], False),   # one item must do it
    ("Document the retry settings in README", ["Added tests for the retry backoff in client.py"], False),
    ("Deploy", ["Deployed to staging"], True),
    ("", ["anything"], False),
])
def test_done_by(step: str, done: list[str], closed: bool) -> None:
    assert done_by(step, done) is closed


def _s(sid: str, ended: str, completed: tuple[str, ...] = (), next_steps: tuple[str, ...] = ()) -> SessionSummary:
    return SessionSummary(id=sid, title=sid, started_at=ended, ended_at=ended, branch="main", completed=completed,
                          next_steps=next_steps)


def test_open_next_steps_newest_first_closed_by_newer_sessions_only() -> None:
    old = _s("old", "2026-11-20", completed=("Wrote the parser",),
             next_steps=("Wire the CLI to the parser", "Write docs for the parser", "None"))
    mid = _s("mid", "2026-11-21", completed=("Wired the CLI to the parser",),
             next_steps=("Write docs for the parser.",))
    new = _s("new", "2026-11-22", next_steps=("Release 1.0",))
    got = [(s.id, step) for s, step in open_next_steps([new, mid, old])]
    # the CLI step is done by a newer session; the docs step, listed again, is given once, from the newer session
    assert got == [("new", "Release 1.0"), ("mid", "Write docs for the parser.")]
    # an older session's work never closes a newer session's step
    assert [step for _s2, step in open_next_steps([mid, old])] == ["Write docs for the parser."]
    assert [step for _s2, step in open_next_steps([old])] == ["Wire the CLI to the parser", "Write docs for the parser"]
