"""Proposed decision files: written beside the code, never overwriting, once per session and title."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import git

from gitmem.config import DECISIONS_DIR
from gitmem.decisions import decision_files, proposals
from gitmem.store.records import Decision, DecisionNote, SessionSummary
from gitmem.worktree_files import RefusedFileError

OUTBOX = DecisionNote(title="Use the outbox pattern for payment events",
                      context="Splitting the payment service needs reliable events",
                      decision="Write events to an outbox table in the same transaction",
                      rationale="The ledger must stay consistent",
                      alternatives=("Two-phase commit", "Direct HTTP calls"),
                      files=("outbox.py", "app.py"))


def summary(*notes: DecisionNote, sid: str = "a0ef3c6b-7e93", tags: tuple[str, ...] = ("payments",)) -> SessionSummary:
    return SessionSummary(id=sid, title="Split the payment service", started_at="2026-11-24T09:00:00Z",
                          ended_at="2026-11-24T10:30:00Z", author="Test Author", summarizer="anthropic",
                          decisions=notes or (OUTBOX,), tags=tags)


def read(path: Path) -> Decision:
    return Decision.from_text(path.read_text(encoding="utf-8"), str(path))


def test_a_decision_becomes_a_proposed_file_beside_the_code(repo: Path, tmp_path: Path) -> None:
    result = proposals.propose_decisions(repo, summary(), tmp_path / "state")
    [path] = result.written
    assert path == repo / DECISIONS_DIR / "2026-11-24-use-the-outbox-pattern-for-payment-events.md"
    d = read(path)
    assert (d.status, d.session, d.date, d.authors) == ("proposed", "a0ef3c6b-7e93", "2026-11-24", ("Test Author",))
    assert d.files == ("outbox.py", "app.py") and d.tags == ("payments",)
    assert d.title == OUTBOX.title and d.id.startswith("d-")
    for text in ("## Context", OUTBOX.context, "## Decision", OUTBOX.decision, "## Rationale", OUTBOX.rationale,
                 "- Two-phase commit", "- Direct HTTP calls", "session a0ef3c6b-7e93"):
        assert text in d.body
    assert Decision.from_text(d.to_text()) == d and path.read_text(encoding="utf-8") == d.to_text()
    # it shows up in `git status` as a new file, and the index is untouched
    assert git(repo, "status", "--porcelain", "--untracked-files=all").splitlines() == [
        "?? .gitmem/decisions/2026-11-24-use-the-outbox-pattern-for-payment-events.md"]
    assert git(repo, "diff", "--cached", "--name-only") == ""


def test_empty_fields_say_so_instead_of_inventing_text(repo: Path) -> None:
    [path] = proposals.propose_decisions(repo, summary(DecisionNote(title="Keep SQLite"))).written
    body = read(path).body
    assert body.count("_Not stated in the session._") == 3  # context, rationale, alternatives
    assert "## Decision\n\nKeep SQLite\n" in body  # the decision falls back to its title


def test_reflushing_the_same_session_proposes_nothing_new(repo: Path, tmp_path: Path) -> None:
    state = tmp_path / "state"
    first = proposals.propose_decisions(repo, summary(), state)
    again = proposals.propose_decisions(repo, summary(OUTBOX, DecisionNote(title="use  the OUTBOX pattern, for payment events!")), state)
    assert again.written == () and len(again.already) == 2
    assert sorted((repo / DECISIONS_DIR).glob("*.md")) == list(first.written)


def test_an_edited_or_deleted_proposal_is_not_proposed_again(repo: Path, tmp_path: Path) -> None:
    state = tmp_path / "state"
    [path] = proposals.propose_decisions(repo, summary(), state).written
    path.write_text(path.read_text().replace(OUTBOX.title, "Outbox table for payment events"))
    assert proposals.propose_decisions(repo, summary(), state).written == ()
    path.unlink()  # a reviewer rejected it by deleting the file
    assert proposals.propose_decisions(repo, summary(), state).written == ()
    ledger = [json.loads(line) for line in (state / proposals.LEDGER_FILE).read_text().splitlines()]
    assert [e["path"] for e in ledger] == [path.name]


def test_another_session_proposes_its_own_decision_under_a_new_name(repo: Path) -> None:
    folder = repo / DECISIONS_DIR
    folder.mkdir(parents=True)
    taken = folder / "2026-11-24-use-the-outbox-pattern-for-payment-events.md"
    taken.write_text("a person's own notes, not even front matter\n")
    first = proposals.propose_decisions(repo, summary(sid="s-one")).written
    assert taken.read_text() == "a person's own notes, not even front matter\n"
    [path] = first
    assert path.name.startswith("2026-11-24-use-the-outbox-pattern-for-payment-events-")
    assert read(path).session == "s-one"


def test_same_suffix_taken_too_gets_a_counter(repo: Path) -> None:
    folder = repo / DECISIONS_DIR
    folder.mkdir(parents=True)
    stem = "2026-11-24-use-the-outbox-pattern-for-payment-events"
    (folder / f"{stem}.md").write_text("x")
    proposals.propose_decisions(repo, summary(sid="s-one"))
    [path] = list(set(folder.glob("*.md")) - {folder / f"{stem}.md"})
    path.write_text("kept")  # the same session's proposal, rewritten without front matter by a person
    [again] = proposals.propose_decisions(repo, summary(sid="s-one"), None).written  # no ledger: proposes again
    assert again.name.endswith("-2.md") and path.read_text() == "kept"


@pytest.mark.parametrize("title,slug", [
    ("Use Postgres, not MySQL!", "use-postgres-not-mysql"),
    ("Café déjà vu: naïve façade", "cafe-deja-vu-naive-facade"),
    ("../../etc/passwd", "etc-passwd"),
    ("日本語だけ", "decision"),
    ("a" * 80, "a" * 60),
    ("word " * 30, ("word-" * 12).rstrip("-")),
])
def test_slugs_are_short_safe_file_names(title: str, slug: str) -> None:
    assert decision_files.slugify(title) == slug


def test_hostile_titles_and_files_stay_inside_the_decisions_folder(repo: Path) -> None:
    note = DecisionNote(title="../../../outside\nstatus: accepted", decision="d",
                        files=("/etc/passwd", "../secrets.txt", "src/ok.py", "docs/*.md", "a\x00b", "~/x"))
    [path] = proposals.propose_decisions(repo, summary(note)).written
    assert path.parent == repo / DECISIONS_DIR
    d = read(path)
    assert d.status == "proposed" and d.title == "../../../outside status: accepted"
    assert d.files == ("src/ok.py", "docs/*.md")


def test_no_decisions_writes_nothing(repo: Path) -> None:
    empty = SessionSummary(id="s", title="t", started_at="2026-11-24T00:00:00Z")
    assert proposals.propose_decisions(repo, empty) == proposals.ProposeResult()
    assert not (repo / DECISIONS_DIR).exists()


def test_a_later_session_restating_a_decision_writes_no_second_file(repo: Path, tmp_path: Path) -> None:
    """Issue 14 item 17: a session restating a decision wrote `...-4d48b9.md` beside the first."""
    state = tmp_path / "state"
    [first] = proposals.propose_decisions(repo, summary(sid="s-one"), state).written
    same_title = proposals.propose_decisions(repo, summary(sid="s-two"), state)
    assert same_title.written == () and same_title.already == (OUTBOX.title,)
    reworded = DecisionNote(title="Payment events go through an outbox table",
                            decision="Write events to an outbox table in the same transaction.")
    assert proposals.propose_decisions(repo, summary(reworded, sid="s-three"), state).written == ()
    other = DecisionNote(title="Use idempotency keys for charges", decision="Every charge carries a client key")
    [second] = proposals.propose_decisions(repo, summary(other, sid="s-four"), state).written
    assert sorted((repo / DECISIONS_DIR).glob("*.md")) == sorted([first, second])
    # a person's accepted decision counts as much as a proposal
    decision_files.create_decision(repo, "Charges retry three times", date="2026-11-20", status="accepted",
                              decision="Retry a failed charge three times with backoff.")
    retry = DecisionNote(title="Retry failed charges three times", decision="Retry a failed charge three times "
                         "with backoff.")
    assert proposals.propose_decisions(repo, summary(retry, sid="s-five"), state).written == ()


def test_a_linked_decisions_folder_gets_no_proposal(repo: Path, tmp_path: Path) -> None:
    """Issue 15 item 2: the flush wrote a proposal outside the repository through `.gitmem/decisions -> dir`."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (repo / ".gitmem").mkdir()
    (repo / DECISIONS_DIR).symlink_to(outside)
    with pytest.raises(RefusedFileError, match=r"^\.gitmem/decisions: refused: it is a symbolic link to "):
        proposals.propose_decisions(repo, summary(), tmp_path / "state")
    with pytest.raises(RefusedFileError):
        proposals.propose_decision(repo, "Saved by an assistant", "Do it.")
    assert list(outside.iterdir()) == []
    (repo / DECISIONS_DIR).unlink()
    (repo / ".gitmem").rmdir()
    (repo / ".gitmem").symlink_to(outside)   # the folder above it, linked
    with pytest.raises(RefusedFileError, match=r"^\.gitmem: refused"):
        proposals.propose_decisions(repo, summary(), tmp_path / "state")
    assert list(outside.iterdir()) == []


def test_a_proposal_deleted_in_review_is_not_proposed_again_by_a_later_session(repo: Path, tmp_path: Path) -> None:
    state = tmp_path / "state"
    [path] = proposals.propose_decisions(repo, summary(sid="s-one"), state).written
    path.unlink()   # rejected by deleting the file
    assert proposals.propose_decisions(repo, summary(sid="s-two"), state).written == ()
