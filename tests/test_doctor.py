"""`gitmem doctor`: a memory ref broken on purpose (object files deleted) is repaired from what still exists.

Issue 15 item 11: after objects under the ref went missing every flush failed and nothing recovered it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from conftest import git, run

from gitmem.app import doctor, flush
from gitmem.app.project import init_repository
from gitmem.capture import spool
from gitmem.config import MEMORY_REF
from gitmem.errors import GitmemError
from gitmem.git import Repo, discover, missing_objects
from gitmem.store import memory_ref
from gitmem.store.records import Observation, SessionSummary
from gitmem.team import sync
from gitmem.team.merge import merge_fetched

TS = "2026-11-24T08:00:00Z"


@pytest.fixture
def initialized(repo: Path) -> Path:
    init_repository(discover(repo))
    return repo


def write(repo: Repo, sid: str, text: str) -> str:
    obs = [Observation(ts=TS, kind="prompt", text=text, event_id=f"e-{sid}")]
    return memory_ref.write_session(repo, sid, TS, obs, SessionSummary(id=sid, title=text, started_at=TS)).commit


def explode_packs(root: Path) -> None:
    """Every object as a loose file, so a test can delete exactly one."""
    pack_dir = root / ".git" / "objects" / "pack"
    aside = root.parent / "packs-aside"
    aside.mkdir(exist_ok=True)
    for pack in pack_dir.glob("*.pack"):
        for f in pack_dir.glob(pack.stem + ".*"):
            shutil.move(str(f), aside / f.name)
        with (aside / pack.name).open("rb") as fh:
            subprocess.run(["git", "unpack-objects", "-q"], cwd=root, stdin=fh, check=True, timeout=60)


def delete_object(root: Path, oid: str) -> None:
    (root / ".git" / "objects" / oid[:2] / oid[2:]).unlink()


def tree_of(root: Path, rev: str) -> str:
    return git(root, "rev-parse", f"{rev}^{{tree}}").strip()


def sessions(repo: Repo) -> list[str]:
    return sorted(r.session_id for r in memory_ref.read_memory(repo).sessions)


def spool_line(root: Path, sid: str, prompt: str) -> str:
    return json.dumps({"ts": 1764000000.0, "event": "UserPromptSubmit",
                       "payload": {"session_id": sid, "prompt": prompt, "cwd": str(root)}})


def test_doctor_repairs_a_ref_whose_tip_lost_its_tree_and_flushes_work_again(initialized: Path) -> None:
    repo = discover(initialized)
    write(repo, "s1", "first session")
    write(repo, "s2", "second session")
    # s3 reached the ref, but the worker was killed before it released the spool: its events are still there
    folder = spool.spool_dir(repo.common_dir)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "s3.jsonl").write_text(spool_line(initialized, "s3", "third session") + "\n")
    tip = write(repo, "s3", "third session")
    explode_packs(initialized)
    delete_object(initialized, tree_of(initialized, tip))
    assert missing_objects(repo, MEMORY_REF) is not None
    with pytest.raises(GitmemError) as info:
        write(repo, "s4", "a flush on the broken ref")  # what every flush did afterwards
    assert "cannot be read in full" in info.value.message and "gitmem doctor" in info.value.hint

    report = doctor.run_doctor(repo)
    assert not report.unresolved, report
    assert any("cannot be read in full" in p for p in report.problems)
    assert any(a.startswith("reset refs/notes/gitmem to") for a in report.actions)
    assert missing_objects(repo, MEMORY_REF) is None
    assert sessions(repo) == ["s1", "s2", "s3"]  # s3 came back from the spool
    assert not list(folder.glob("*.jsonl"))
    write(repo, "s4", "a flush after the repair")
    assert sessions(repo) == ["s1", "s2", "s3", "s4"]
    assert doctor.run_doctor(repo).healthy


def test_doctor_writes_back_what_the_broken_commits_still_hold(initialized: Path) -> None:
    repo = discover(initialized)
    write(repo, "a1", "kept in the intact commit")
    c2 = write(repo, "b2", "its folder tree goes missing")
    write(repo, "c3", "readable in the broken commits")
    explode_packs(initialized)
    folder_tree = git(initialized, "rev-parse", f"{c2}:sessions/2026-11/b2").strip()
    delete_object(initialized, folder_tree)  # breaks c2 and c3; only a1's commit stays intact
    report = doctor.run_doctor(repo)
    assert not report.unresolved, report
    assert any("wrote back" in a for a in report.actions)
    assert missing_objects(repo, MEMORY_REF) is None
    assert sessions(repo) == ["a1", "c3"]  # b2's files were only under the missing tree and nowhere else
    assert memory_ref.find_session(repo, "c3").summary.title == "readable in the broken commits"


def test_doctor_merges_the_teammates_copy_of_a_lost_merge(tmp_path: Path, remote: Path, clone) -> None:
    mine, theirs = clone("mine"), clone("theirs")
    for root in (mine, theirs):
        (root / "README.md").write_text("x\n")
        git(root, "add", "README.md")
        git(root, "commit", "-q", "-m", "init")
        init_repository(discover(root))
    # no after-push sync in the background: it would race the test's own fetch, merge and damage
    git(mine, "push", "-q", "origin", "HEAD:main", env={"GITMEM_DISABLE": "1"})
    write(discover(theirs), "t1", "a teammate's session")
    sync.sync(discover(theirs), "origin")
    me = discover(mine)
    write(me, "m1", "my session")
    sync.fetch_memory(me, "origin")
    merge_fetched(me)  # t1 merged in by a merge commit
    assert sessions(me) == ["m1", "t1"]
    merge = memory_ref.memory_tip(me)
    git(mine, "gc", "-q")  # the old objects packed; the merge commit made loose again below
    explode_packs(mine)
    delete_object(mine, merge)
    report = doctor.run_doctor(me)
    assert not report.unresolved, report
    assert any(a.startswith("merged the copy from origin") for a in report.actions), report
    assert sessions(me) == ["m1", "t1"], report
    assert missing_objects(me, MEMORY_REF) is None


def test_dry_run_reports_and_changes_nothing(initialized: Path, capsys: pytest.CaptureFixture[str],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    repo = discover(initialized)
    write(repo, "d1", "one")
    tip = write(repo, "d2", "two")
    explode_packs(initialized)
    delete_object(initialized, tree_of(initialized, tip))
    monkeypatch.chdir(initialized)
    code, out, _err = run(capsys, "doctor", "--dry-run")
    assert code == 1
    assert "problem: refs/notes/gitmem points at" in out and "would: reset refs/notes/gitmem to" in out
    assert memory_ref.memory_tip(repo) == tip
    code, out, _err = run(capsys, "doctor", "--json")
    data = json.loads(out)
    assert code == 0 and data["tip_before"] == tip and data["tip_after"] != tip and not data["unresolved"]
    code, out, _err = run(capsys, "doctor")
    assert code == 0 and "all good" in out


def test_doctor_removes_a_stale_ref_lock_but_not_a_fresh_one(initialized: Path) -> None:
    repo = discover(initialized)
    write(repo, "l1", "one")
    lock = repo.ref_lock_path(MEMORY_REF)
    lock.write_text("")
    report = doctor.run_doctor(repo)
    assert lock.exists() and report.unresolved and "may still be running" in report.unresolved[0]
    old = time.time() - doctor.LOCK_AGE_SECONDS - 5
    os.utime(lock, (old, old))
    report = doctor.run_doctor(repo)
    assert not lock.exists() and not report.unresolved
    assert any("removed the stale lock" in a for a in report.actions)
    write(repo, "l2", "two")
    assert sessions(repo) == ["l1", "l2"]
