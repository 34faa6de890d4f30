"""What the brief chooses to tell of a session (issue 17, brief selection): what it did ranked by what it says,
the user's rules and reasons beyond the title, the sessions that touched the files in play, and choices that
a later session changed course on shown as history."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from conftest import git
from test_inject import session

from gitmem.app import brief_lines, course_change, inject
from gitmem.app.project import init_repository
from gitmem.config import load_config
from gitmem.git import discover
from gitmem.store import memory_ref
from gitmem.store.records import Decision, DecisionNote, SessionSummary

ME = "Test Author <author@example.com>"
RECENT = "Recent sessions on this branch"
DECISIONS = "Decisions that concern the files in play"


@pytest.fixture
def initialized(repo: Path) -> Path:
    init_repository(discover(repo))
    return repo


def _record(root: Path, sid: str, title: str, ended: str, **kw) -> SessionSummary:
    """A session of mine on main, recorded in the memory ref (merged: it saw this checkout's HEAD)."""
    head = git(root, "rev-parse", "HEAD").strip()
    s = SessionSummary(id=sid, title=title, started_at=ended, ended_at=ended, branch="main", author=ME,
                       head_start=head, head_end=head, **kw)
    memory_ref.write_session(discover(root), sid, ended, (), s)
    return s


def _section(text: str, title: str) -> str:
    if f"## {title}" not in text:
        return ""
    return text.split(f"## {title}", 1)[1].split("\n## ", 1)[0].split(inject.FOOTER, 1)[0]


def _line(text: str, start: str) -> str:
    """The first line of ``text`` that holds ``start`` ('' when none does)."""
    return next((x for x in text.splitlines() if start in x), "")


# -- 1. what a session did, ranked by what it says -------------------------------------------------------------


def test_a_commit_that_states_the_choice_outranks_bare_changes_and_commands(initialized: Path) -> None:
    _record(initialized, "done-1", "Fix the rounding of invoice totals", "2026-11-20T10:00:00Z",
            files_modified=("billing/a.py",),
            completed=("Changed billing/a.py (3 edits)", "Changed billing/b.py", "Ran `pytest billing -q`",
                       "Created billing/c.py", "Ran `ruff check billing`",
                       'Committed "Keep amounts as integer cents, not floats: rounding lost pennies"'))
    text = inject.build_brief(discover(initialized)).text
    done = _line(text, "Done:")
    assert "integer cents, not floats" in done
    assert done.index("integer cents") < done.index("Changed billing/a.py")   # what it says comes first


def test_done_work_in_words_keeps_the_summarys_order_ahead_of_bare_items() -> None:
    assert brief_lines.telling("Ran `python bench/geo.py --runs 1000 --warm…") == 2   # a command cut short
    completed = ("Ran `make`", "Moved the retry loop into the client", "Changed client.py",
                 "Retries back off exponentially because the API rate-limits bursts")
    assert brief_lines.done_items(completed) == [completed[3], completed[1], completed[0], completed[2]]
    assert brief_lines.done_items(completed, room=70) == [completed[3]]   # an item that does not fit is left out


# -- 2. the user's words beyond the title ----------------------------------------------------------------------


def test_the_users_rule_and_reason_beyond_the_title_are_shown(initialized: Path) -> None:
    request = ("Add the CSV export endpoint for the monthly invoices report. It should stream rows. "
               "Never call the tax service from a request handler because it times out under load. Thanks a lot!")
    _record(initialized, "said-1", request[:79] + "…", "2026-11-20T10:00:00Z", request=request,
            files_modified=("reports/export.py",), completed=("Changed reports/export.py",))
    text = inject.build_brief(discover(initialized)).text
    said = _line(text, "The user said:")
    assert "Never call the tax service from a request handler because it times out under load" in said
    assert "It should stream rows" in said            # a rule too, in fewer words
    assert "Thanks a lot" not in text                  # says nothing of a rule or a reason


def test_what_the_user_says_was_tried_is_a_dead_end_not_the_title(initialized: Path) -> None:
    request = "Checkout is slow again. I already tried adding an index on orders.created_at, didn't help at all."
    _record(initialized, "tried-1", request[:79] + "…", "2026-11-20T10:00:00Z", request=request,
            files_modified=("cart/pricing.py",), completed=("Prefetch the tax rates once per cart",))
    text = inject.build_brief(discover(initialized)).text
    title = _line(text, "session tried-1")
    assert title.startswith("- Checkout is slow again.") and "index" not in title
    assert "adding an index on orders.created_at" in _line(text, "Tried, did not work:")
    assert "The user said:" not in text


# -- 3. sessions on the branch: the files in play and recency --------------------------------------------------


def test_a_session_on_the_files_in_play_comes_before_newer_unrelated_ones(initialized: Path) -> None:
    _record(initialized, "ledger-1", "Balance the ledger from the journal", "2026-11-10T10:00:00Z",
            files_modified=("ledger.py",), learned=("Balances are sums of journal lines, never stored",))
    for n in range(6):
        _record(initialized, f"other-{n}", f"Polish page {n} of the docs", f"2026-11-2{n}T10:00:00Z",
                files_modified=(f"docs/page{n}.md",), learned=(f"Page {n} uses the short style",))
    (initialized / "ledger.py").write_text("work in progress\n")   # what the developer is editing now
    text = inject.build_brief(discover(initialized)).text
    recent = _section(text, RECENT)
    assert "Balance the ledger from the journal" in recent
    assert "Balances are sums of journal lines" in recent   # among the sessions told in detail
    assert recent.index("Balance the ledger") < recent.index("Polish page 2")
    assert "Polish page 0" not in recent                    # the oldest unrelated one gave way
    assert recent.index("Polish page 5") < recent.index("Polish page 4")   # the rest stays newest first


def test_with_no_file_in_play_sessions_stay_newest_first(initialized: Path) -> None:
    for n in range(3):
        _record(initialized, f"plain-{n}", f"Tidy module {n}", f"2026-11-2{n}T10:00:00Z",
                files_modified=(f"m{n}.py",))
    recent = _section(inject.build_brief(discover(initialized)).text, RECENT)
    assert recent.index("Tidy module 2") < recent.index("Tidy module 1") < recent.index("Tidy module 0")


def test_a_session_told_in_detail_falls_back_to_its_title_when_only_that_fits(initialized: Path) -> None:
    _record(initialized, "long-1", "Move the importer onto the queue", "2026-11-20T10:00:00Z",
            files_modified=("importer.py",), learned=("x " * 150,), completed=("y " * 140,))
    (initialized / ".gitmem" / "config.yaml").write_text("brief_budget_tokens: 180\n")
    brief = inject.build_brief(discover(initialized), load_config(initialized))
    assert len(brief.text) <= 180 * inject.CHARS_PER_TOKEN
    assert "Move the importer onto the queue" in brief.text and "Learned:" not in brief.text


# -- 4. a choice a later session changed course on -------------------------------------------------------------


def _proposal(root: Path, sid: str, title: str, files: tuple[str, ...], status: str = "proposed",
              alternatives: str = "") -> None:
    body = f"\n## Decision\n\n{title}.\n" + (f"\n## Alternatives\n\n- {alternatives}\n" if alternatives else "")
    d = Decision(id=f"d-{sid}", title=title, status=status, date="2026-11-20", authors=(ME,), files=files,
                 session=sid, body=body)
    (root / ".gitmem" / "decisions" / f"2026-11-20-{sid}.md").write_text(d.to_text())


def _note(title: str, decision: str = "", files: tuple[str, ...] = ("rates.py",), **kw) -> DecisionNote:
    return DecisionNote(title=title, decision=decision or title, files=files, **kw)


def _proposed_then(root: Path, later: SessionSummary | None) -> str:
    _record(root, "redis-1", "Speed up the exchange rates", "2026-11-20T10:00:00Z", files_modified=("rates.py",),
            decisions=(_note("Cache the exchange rates in Redis"),))
    _proposal(root, "redis-1", "Cache the exchange rates in Redis", ("rates.py",))
    if later is not None:
        memory_ref.write_session(discover(root), later.id, later.started_at, (), later)
    (root / "rates.py").write_text("in progress\n")
    return inject.build_brief(discover(root)).text


def _later(root: Path, **kw) -> SessionSummary:
    head = git(root, "rev-parse", "HEAD").strip()
    return SessionSummary(id="later-1", title="Rates again", started_at="2026-11-22T10:00:00Z",
                          ended_at="2026-11-22T10:00:00Z", branch="main", author=ME, head_start=head,
                          head_end=head, files_modified=("rates.py",), **kw)


def test_a_proposal_a_later_session_chose_against_is_history(initialized: Path) -> None:
    later = _later(initialized, decisions=(_note("Keep the exchange rates in an in-process LRU cache",
                                                 "Keep the exchange rates in an in-process LRU cache instead of "
                                                 "Redis because one hop per request is too slow"),))
    text = _proposed_then(initialized, later)
    decided = _section(text, DECISIONS)
    line = _line(decided, "Cache the exchange rates in Redis")
    assert line.startswith("- [superseded by a later session later-1")
    assert "[proposed, not yet accepted] Cache the exchange rates in Redis" not in text
    assert "Decided: [superseded by a later session later-1" in text   # the proposing session's own line


def test_through_the_hooks_a_later_session_that_moved_away_from_a_proposal_makes_it_history(
        initialized: Path) -> None:
    session(initialized, "s-redis", "Speed up the exchange rates lookup",
            "We decided to cache the exchange rates in Redis because the provider is slow.", ["rates.py"])
    session(initialized, "s-lru", "The rates lookup is still slow",
            "Redis added a network hop on every request. I moved the rates cache to an in-process LRU instead of "
            "Redis, because one hop per request is too slow.", ["rates.py"])
    (initialized / "rates.py").write_text("work in progress\n")
    text = inject.build_brief(discover(initialized)).text
    stale = [x for x in text.splitlines() if "cache the exchange rates in redis" in x.lower()]
    assert stale and all("[superseded by a later session s-lru" in x for x in stale)
    assert "[proposed, not yet accepted] I moved the rates cache to an in-process LRU" in text   # the current one


def test_a_proposal_a_later_session_found_failing_is_history(initialized: Path) -> None:
    later = _later(initialized, dead_ends=("Redis added 4 ms per lookup, no luck; rolled it back",))
    line = _line(_proposed_then(initialized, later), "Cache the exchange rates in Redis")
    assert line.startswith("- [superseded: a later session later-1")
    assert "found it did not work" in line


@pytest.mark.parametrize("later", [
    {"decisions": (_note("Log every rate lookup as JSON"),)},                      # another subject, same file
    {"decisions": (_note("Cache exchange rates in Redis", "We cache the exchange rates in Redis"),)},  # again
    {"dead_ends": ("Speeding up the exchange rates with a thread pool did not help",)},  # the subject only
    None,
])
def test_a_proposal_stays_current_when_no_later_session_changed_course(initialized: Path, later: dict | None) -> None:
    session = _later(initialized, **later) if later is not None else None
    text = _proposed_then(initialized, session)
    assert "[proposed, not yet accepted] Cache the exchange rates in Redis" in _section(text, DECISIONS)
    assert "[superseded" not in text


def test_an_accepted_decision_is_never_marked_by_a_session(initialized: Path) -> None:
    _proposal(initialized, "acc-1", "Cache the exchange rates in Redis", ("rates.py",), status="accepted")
    memory_ref.write_session(discover(initialized), "later-1", "2026-11-22T10:00:00Z", (), _later(
        initialized, decisions=(_note("Use an in-process cache", "Use an in-process cache instead of Redis"),)))
    (initialized / "rates.py").write_text("in progress\n")
    text = inject.build_brief(discover(initialized)).text
    assert "- Cache the exchange rates in Redis: " in _section(text, DECISIONS)
    assert "[superseded" not in _line(text, "Cache the exchange rates in Redis")


def _choice(title: str, alternatives: tuple[str, ...] = ()) -> course_change.Choice:
    return course_change.Choice(title, title, alternatives, ("media/*.py",), "2026-11-20T10:00:00Z", "s-1",
                                "Thumbnails crash the worker")


def _session(**kw) -> SessionSummary:
    return SessionSummary(id="s-2", title="Thumbnails again", started_at="2026-11-21T10:00:00Z",
                          ended_at="2026-11-21T10:00:00Z", files_modified=("media/thumbs.py",), **kw)


@pytest.mark.parametrize("later", [
    {"decisions": (DecisionNote(title="Pillow with draft mode", decision="Pillow with draft mode over pyvips"),)},
    {"decisions": (DecisionNote(title="Went from pyvips to Pillow", decision="Moved from pyvips to Pillow"),)},
    {"decisions": (DecisionNote(title="Replaced pyvips with Pillow's draft mode"),)},
    {"decisions": (DecisionNote(title="Pillow draft mode", alternatives=("pyvips",)),)},
    {"dead_ends": ("pyvips leaked memory on 16-bit TIFFs",)},
    {"decisions": (DecisionNote(title="Switched generating thumbnails to Pillow's draft mode"),)},
])
def test_structures_that_change_course(later: dict) -> None:
    assert course_change.change_of_course(_choice("Generate thumbnails with pyvips"), [_session(**later)])


def test_picking_what_the_earlier_choice_was_set_against_changes_course() -> None:
    choice = _choice("Generate thumbnails with pyvips", alternatives=("Pillow draft mode",))
    back = _session(decisions=(DecisionNote(title="Use Pillow draft mode for thumbnails"),))
    assert course_change.change_of_course(choice, [back])


@pytest.mark.parametrize("later", [
    {"decisions": (DecisionNote(title="Generate thumbnails with pyvips", decision="Thumbnails use pyvips"),)},
    {"dead_ends": ("Crashes on thumbnails persisted with a bigger worker",)},
    {"decisions": (DecisionNote(title="Store thumbnails in S3, not on disk"),)},
    {"decisions": (DecisionNote(title="Moved generating thumbnails to pyvips streaming"),)},   # to it, not away
    {"decisions": (DecisionNote(title="Switched the upload limit to 50 MB"),)},   # another subject
])
def test_what_does_not_change_course(later: dict) -> None:
    assert course_change.change_of_course(_choice("Generate thumbnails with pyvips"), [_session(**later)]) is None


def test_only_a_later_session_on_the_same_files_changes_course() -> None:
    failed = {"dead_ends": ("pyvips leaked memory on 16-bit TIFFs",)}
    earlier = dataclasses.replace(_session(**failed), started_at="2026-11-19T10:00:00Z",
                                  ended_at="2026-11-19T10:00:00Z")
    elsewhere = dataclasses.replace(_session(**failed), files_modified=("api/upload.py",))
    assert course_change.change_of_course(_choice("Generate thumbnails with pyvips"), [earlier, elsewhere]) is None
