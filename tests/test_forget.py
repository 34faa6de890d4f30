"""``gitmem forget`` (issue 14 item 2): taking memory back across clones and a bare remote.

Clone A forgets; the remote no longer holds it in its ref's tree or history; clone B
drops it at its next sync and cannot push it back; A's old objects are pruned.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import AUTHOR_EMAIL, AUTHOR_NAME, git, run
from test_sync import TS, no_leftover_processes, sessions_in, team  # noqa: F401 - fixtures

from gitmem.app import forget
from gitmem.app.project import init_repository
from gitmem.config import MEMORY_REF
from gitmem.errors import NotFoundError
from gitmem.git import discover
from gitmem.index import search
from gitmem.store import memory_ref
from gitmem.store.records import Observation, SessionSummary
from gitmem.team import sync

SECRET = "hunter2-correct-horse"
ME = f"{AUTHOR_NAME} <{AUTHOR_EMAIL}>"


def write(path: Path, sid: str, *texts: str) -> None:
    s = SessionSummary(id=sid, title=f"session {sid}", started_at=TS, ended_at="2026-11-24T09:00:00Z", author=ME,
                       observation_count=len(texts))
    obs = tuple(Observation(ts=TS, kind="prompt", text=t) for t in texts)
    memory_ref.write_session(discover(path), sid, TS, obs, s, commit_notes=None)


def reachable_text(path: Path, ref: str = MEMORY_REF) -> bytes:
    """Every blob reachable from ``ref`` (tree and history), concatenated."""
    objs = [line.split(" ", 1)[0] for line in git(path, "rev-list", "--objects", ref).splitlines()]
    types = git(path, "cat-file", "--batch-check=%(objectname) %(objecttype)", input="\n".join(objs) + "\n")
    blobs = [line.split()[0] for line in types.splitlines() if line.endswith(" blob")]
    out = b""
    for oid in blobs:
        out += git(path, "cat-file", "blob", oid).encode()
    return out


def obs_blob(path: Path, sid: str) -> str:
    return git(path, "rev-parse", f"{MEMORY_REF}:sessions/2026-11/{sid}/obs-0001.yaml").strip()


@pytest.fixture
def pair(team):
    a, b = team("a"), team("b")
    for p in (a, b):
        init_repository(discover(p))
    write(a, "s-leak", "the db password is " + SECRET, "ran the migrations")
    write(a, "s-clean", "refactored the parser")
    assert sync.sync(discover(a)).ok
    assert sync.sync(discover(b)).ok
    assert SECRET.encode() in reachable_text(b)
    return a, b


def test_forget_grep_rewrites_pushes_prunes_and_a_teammate_drops_it_at_the_next_sync(pair, remote: Path):
    a, b = pair
    old_blob = obs_blob(a, "s-leak")
    write(b, "s-b-unpushed", "b's own work, not pushed yet")

    result = forget.forget(discover(a), grep=SECRET)

    assert result.pushed and result.pruned and not result.push_error
    assert result.sessions == () and result.observations == 1
    assert result.files == ("sessions/2026-11/s-leak/obs-0001.yaml",)
    assert SECRET.encode() not in reachable_text(a) and SECRET.encode() not in reachable_text(remote)
    assert b"ran the migrations" in reachable_text(remote)       # the rest of the session stays
    assert git(a, "cat-file", "-e", old_blob, check=False) == "" and \
        discover(a).git_bytes("cat-file", "-e", old_blob, check=False).returncode != 0
    assert git(a, "rev-list", "--count", MEMORY_REF).strip() == "1"
    assert not [h for h in search.search(discover(a), "hunter2")]
    assert sessions_in(a) == sessions_in(remote) == ["s-clean", "s-leak"]

    got = sync.sync(discover(b))

    assert got.ok and got.dropped >= 1
    assert SECRET.encode() not in reachable_text(b)
    assert SECRET.encode() not in reachable_text(remote)          # b's push did not bring it back
    assert sessions_in(remote) == ["s-b-unpushed", "s-clean", "s-leak"]
    assert not search.search(discover(b), "hunter2")
    assert sync.sync(discover(a)).ok and sessions_in(a) == ["s-b-unpushed", "s-clean", "s-leak"]
    assert SECRET.encode() not in reachable_text(a)


def test_forget_a_session_by_id_prefix_and_a_teammate_cannot_resurrect_it(pair, remote: Path):
    a, b = pair

    result = forget.forget(discover(a), sessions=["s-le"])

    assert result.sessions == ("sessions/2026-11/s-leak",) and result.pushed
    assert sessions_in(a) == sessions_in(remote) == ["s-clean"]
    write(b, "s-b", "more")
    assert sync.sync(discover(b)).ok
    assert sessions_in(b) == sessions_in(remote) == ["s-b", "s-clean"]
    stones = git(remote, "ls-tree", "-r", "--name-only", MEMORY_REF, "forgotten/").split()
    assert len(stones) == 1
    stone = git(remote, "cat-file", "blob", f"{MEMORY_REF}:{stones[0]}")
    assert "sessions/2026-11/s-leak" in stone and SECRET not in stone


def test_forget_one_observation_by_id(pair, remote: Path):
    a, _b = pair
    record = memory_ref.find_session(discover(a), "s-leak")
    leak = next(o for o in record.observations if SECRET in o.text)

    result = forget.forget(discover(a), observations=[leak.id[:12]])

    assert result.observations == 1 and result.pushed
    texts = [o.text for o in memory_ref.find_session(discover(a), "s-leak").observations]
    assert texts == ["ran the migrations"]
    with pytest.raises(NotFoundError):
        forget.forget(discover(a), observations=["o1-nothing-like-this"])


def test_a_lease_failure_is_reported_and_nothing_is_lost(pair, remote: Path, monkeypatch: pytest.MonkeyPatch):
    a, b = pair
    real_push = sync.push_memory
    raced: list[bool] = []

    def push_after_a_teammate(*args, **kwargs):
        if not raced:   # b's push lands between a's fetch and a's push
            raced.append(True)
            write(b, "s-b-late", "pushed while a was forgetting")
            assert sync.sync(discover(b)).ok
        return real_push(*args, **kwargs)

    monkeypatch.setattr(sync, "push_memory", push_after_a_teammate)

    result = forget.forget(discover(a), grep=SECRET)

    assert not result.pushed and "stale info" in result.push_error and "gitmem sync origin" in result.push_error
    assert "s-b-late" in sessions_in(remote)           # the teammate's push was not overwritten
    assert SECRET.encode() not in git(a, "ls-tree", "-r", MEMORY_REF).encode()
    monkeypatch.setattr(sync, "push_memory", real_push)

    again = sync.sync(discover(a))

    assert again.ok and again.forced
    assert sessions_in(remote) == ["s-b-late", "s-clean", "s-leak"]
    assert SECRET.encode() not in reachable_text(remote)


def test_forget_while_held_stays_local_until_released(pair, remote: Path, capsys, monkeypatch):
    a, _b = pair
    monkeypatch.chdir(a)
    assert run(capsys, "sync", "--hold")[0] == 0

    code, out, err = run(capsys, "forget", "--grep", SECRET)

    assert code == 0, err
    assert "not pushed: memory pushes are held" in out and "cannot be recalled" in out
    assert SECRET.encode() in reachable_text(remote)
    code, out, _err = run(capsys, "sync", "--release")
    assert code == 0 and "rewrite pushed with a lease" in out, (out, _err)
    assert SECRET.encode() not in reachable_text(remote)


def test_forget_needs_something_that_exists(pair, capsys, monkeypatch):
    a, _b = pair
    monkeypatch.chdir(a)
    code, _out, err = run(capsys, "forget", "--grep", "no such text anywhere")
    assert code == 1 and "nothing in memory holds" in err
    code, _out, err = run(capsys, "forget")
    assert code == 1 and "nothing to forget" in err and "hint:" in err
