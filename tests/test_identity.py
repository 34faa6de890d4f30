"""Who "I" am for memory (store/identity.py): the local user as git resolves it, and the one test "is it mine"."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from conftest import AUTHOR_EMAIL, AUTHOR_NAME, git

from gitmem.app import inject
from gitmem.app.project import init_repository
from gitmem.git import discover
from gitmem.git.repo import PLACEHOLDER_IDENT
from gitmem.store import identity, memory_ref
from gitmem.store.ancestry import Checkout
from gitmem.store.records import SessionSummary

TS = "2026-11-24T10:00:00Z"
ME = f"{AUTHOR_NAME} <{AUTHOR_EMAIL}>"


def _no_identity(monkeypatch: pytest.MonkeyPatch) -> None:
    for role in ("AUTHOR", "COMMITTER"):
        for part in ("NAME", "EMAIL"):
            monkeypatch.delenv(f"GIT_{role}_{part}", raising=False)
    monkeypatch.delenv("EMAIL", raising=False)


@pytest.mark.parametrize("author, me, mine", [
    (ME, AUTHOR_EMAIL, True),
    ("Someone Else <AUTHOR@Example.com>", AUTHOR_EMAIL, True),     # the email decides, in any case
    ("Test Author <other@example.com>", AUTHOR_EMAIL, False),      # the same name is not the same person
    ("", AUTHOR_EMAIL, False),
    ("no email at all", "no email at all", True),                  # an identity without <...> compares whole
    (ME, "", False),                                               # no local user: nothing is mine
    ("", "", False),
    (PLACEHOLDER_IDENT, "", False),
])
def test_is_mine_compares_the_authors_email_with_the_local_user(author: str, me: str, mine: bool) -> None:
    assert identity.is_mine(author, me) is mine


def test_the_local_user_follows_gits_order_environment_then_author_then_user_config(
        gm_repo, repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    git(repo, "config", "user.email", "user@example.com")
    git(repo, "config", "author.email", "author-config@example.com")
    assert identity.local_user(gm_repo) == AUTHOR_EMAIL                 # GIT_AUTHOR_EMAIL (conftest) first
    assert identity.recorded_author(gm_repo) == ME
    monkeypatch.delenv("GIT_AUTHOR_EMAIL")
    assert identity.local_user(gm_repo) == "author-config@example.com"
    git(repo, "config", "--unset", "author.email")
    assert identity.local_user(gm_repo) == "user@example.com"


def test_without_an_identity_git_accepts_there_is_no_local_user(gm_repo, repo: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    _no_identity(monkeypatch)
    git(repo, "config", "user.useConfigOnly", "true")
    assert identity.recorded_author(gm_repo) == PLACEHOLDER_IDENT    # what a session written here carries
    assert identity.local_user(gm_repo) == ""
    assert not Checkout(gm_repo).is_own(SessionSummary(id="s", title="t", started_at=TS, author=PLACEHOLDER_IDENT))


def _own_session_on_a_merged_branch(root: Path) -> SessionSummary:
    """A session of this clone's author, recorded on a branch since merged into main (which is checked out)."""
    git(root, "checkout", "-q", "-b", "feature/mine")
    (root / "README.md").write_text("mine\n")
    git(root, "commit", "-q", "-am", "mine")
    commit = git(root, "rev-parse", "HEAD").strip()
    s = SessionSummary(id="mine-1", title="Tune the README", started_at=TS, ended_at=TS, author=ME,
                       branch="feature/mine", commits=(commit,), files_modified=("README.md",))
    memory_ref.write_session(discover(root), s.id, s.started_at, (), s)
    git(root, "checkout", "-q", "main")
    git(root, "merge", "-q", "--no-ff", "-m", "merge mine", "feature/mine")
    return s


def test_sessions_written_as_GIT_AUTHOR_EMAIL_are_ones_own_even_when_user_email_differs(repo: Path) -> None:
    """The case that used to disagree: ancestry read user.email first and called this session a teammate's work
    (listed under "Teammates' recent work"), while the brief's label read git's identity and called it one's own
    ("session", not "teammate's session"). Both now follow git: GIT_AUTHOR_EMAIL wins, as it did for the author
    written into the record."""
    init_repository(discover(repo))
    git(repo, "config", "user.email", "config@example.com")   # git records GIT_AUTHOR_EMAIL (conftest) instead
    s = _own_session_on_a_merged_branch(repo)
    here = Checkout(discover(repo))

    assert here.email == AUTHOR_EMAIL and here.is_own(s)
    text = inject.build_brief(discover(repo)).text
    recent = text.split("## Recent sessions on this branch", 1)[1].split("\n## ", 1)[0]
    assert "Tune the README" in recent and "teammate" not in recent
    assert "Teammates' recent work" not in text


def test_without_an_identity_every_session_is_labelled_unreviewed(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The placeholder identity names nobody: any clone without an identity writes it, so a session carrying it
    is not taken for one's own (the brief used to, while the merge guard knew no local user)."""
    init_repository(discover(repo))
    s = _own_session_on_a_merged_branch(repo)
    memory_ref.write_session(discover(repo), s.id, s.started_at, (), dataclasses.replace(s, author=PLACEHOLDER_IDENT))
    _no_identity(monkeypatch)
    git(repo, "config", "user.useConfigOnly", "true")

    text = inject.build_brief(discover(repo)).text

    line = next(line for line in text.splitlines() if "Tune the README" in line)
    assert "teammate's session" in line and "unreviewed" in line
