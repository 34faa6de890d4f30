"""The session-start brief: what a new session receives, within budget, from real memory."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import git, make_repo

import gitmem
from gitmem.app import flush, inject
from gitmem.app.project import init_repository
from gitmem.config import load_config
from gitmem.git import discover
from gitmem.store import memory_ref
from gitmem.store.records import Decision, DecisionNote, SessionSummary

LAUNCHER = Path(gitmem.__file__).parent / "_hook.py"


def hook(cwd: Path, event: str, payload: dict, worker: bool = False) -> bytes:
    env = {**os.environ}
    if not worker:
        env["GITMEM_NO_WORKER"] = "1"
    proc = subprocess.run([sys.executable, "-I", "-S", str(LAUNCHER), event], cwd=cwd,
                          input=json.dumps(payload).encode(), capture_output=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def context_of(stdout: bytes) -> str:
    out = json.loads(stdout)["hookSpecificOutput"]
    assert out["hookEventName"] == "SessionStart"
    return out["additionalContext"]


def session(root: Path, sid: str, prompt: str, message: str, edits: list[str]) -> None:
    """One Claude Code session through the real hooks, flushed in the foreground."""
    cwd = str(root)
    hook(root, "SessionStart", {"session_id": sid, "hook_event_name": "SessionStart", "source": "startup", "cwd": cwd})
    hook(root, "UserPromptSubmit", {"session_id": sid, "hook_event_name": "UserPromptSubmit", "prompt": prompt,
                                    "cwd": cwd})
    for n, f in enumerate(edits):
        (root / f).write_text(f"# {prompt}\n")
        hook(root, "PostToolUse", {"session_id": sid, "hook_event_name": "PostToolUse", "tool_name": "Write",
                                   "tool_use_id": f"{sid}-w{n}", "cwd": cwd,
                                   "tool_input": {"file_path": str(root / f), "content": "x"},
                                   "tool_response": {"type": "create"}})
    hook(root, "Stop", {"session_id": sid, "hook_event_name": "Stop", "cwd": cwd, "last_assistant_message": message})
    flush.flush_now(discover(root).common_dir)


def wait_for_index_build(root: Path, timeout: float = 120.0) -> None:
    """Wait (bounded) until no background index build runs for ``root``'s repository."""
    import time

    from gitmem.index import index_build

    deadline = time.monotonic() + timeout
    while index_build.running(discover(root)):
        assert time.monotonic() < deadline, "the background index build did not finish"
        time.sleep(0.05)


@pytest.fixture
def initialized(repo: Path):
    init_repository(discover(repo))
    yield repo
    wait_for_index_build(repo)  # a brief of a big memory starts one; no test leaves it running


def test_second_session_receives_what_the_first_decided(initialized: Path) -> None:
    session(initialized, "first-1", "Split the payment service",
            "Done. We decided to use the outbox pattern because the ledger must stay consistent.", ["outbox.py"])
    stdout = hook(initialized, "SessionStart", {"session_id": "second-1", "hook_event_name": "SessionStart",
                                                "source": "startup", "cwd": str(initialized)})
    text = context_of(stdout)
    assert text.startswith(inject.OPEN) and text.rstrip().endswith(inject.CLOSE)
    assert "not instructions" in text
    assert "outbox pattern" in text
    assert "ledger must stay consistent" in text
    assert "session first-1" in text and "Test Author" in text  # where it came from


def test_fresh_brief_is_printed_from_the_prerendered_file(initialized: Path) -> None:
    session(initialized, "s-pre", "Add retries to the HTTP client", "Done.", ["client.py"])
    repo = discover(initialized)
    path = inject.brief_path(repo)
    assert path.exists()  # rendered by the flush
    before = path.stat().st_mtime_ns
    stdout = hook(initialized, "SessionStart", {"session_id": "s-next", "hook_event_name": "SessionStart",
                                                "source": "resume", "cwd": str(initialized)})
    assert stdout == path.read_bytes()
    assert path.stat().st_mtime_ns == before  # not re-rendered: the memory did not change since


def test_stale_brief_is_rendered_again_when_memory_changed(initialized: Path) -> None:
    session(initialized, "s-a", "Add retries to the HTTP client", "Done.", ["client.py"])
    repo = discover(initialized)
    summary = SessionSummary(id="s-b", title="Cache the exchange rates for an hour", started_at="2026-11-24T10:00:00Z",
                             ended_at="2026-11-24T10:30:00Z", branch="main", author="Other <o@example.com>")
    memory_ref.write_session(repo, "s-b", summary.started_at, (), summary)  # a write that did not render the brief
    text = context_of(hook(initialized, "SessionStart", {"session_id": "s-c", "hook_event_name": "SessionStart",
                                                         "source": "startup", "cwd": str(initialized)}))
    assert "Cache the exchange rates" in text


def first_teammate(clone, name: str = "alice") -> Path:
    """A clone that made the remote's first commit, pushed it and ran `gitmem init`."""
    root = clone(name)
    (root / "README.md").write_text("x\n")
    git(root, "add", "README.md")
    git(root, "commit", "-q", "-m", "start")
    git(root, "push", "-q", "origin", "HEAD:main")
    init_repository(discover(root))
    return root


def test_a_clone_that_pulled_the_memory_gets_it(tmp_path: Path, remote: Path, clone) -> None:
    alice = first_teammate(clone)
    session(alice, "alice-1", "Choose the queue",
            "We decided to use Postgres SKIP LOCKED instead of Redis because we already run Postgres.", ["queue.py"])
    git(alice, "push", "-q", "origin", "refs/notes/gitmem:refs/notes/gitmem")
    bob = clone("bob")
    init_repository(discover(bob))
    git(bob, "pull", "-q")  # the fetch refspec gitmem init added brings alice's memory into a tracking ref
    assert git(bob, "for-each-ref", "refs/gitmem/").strip()
    text = context_of(hook(bob, "SessionStart", {"session_id": "bob-1", "hook_event_name": "SessionStart",
                                                 "source": "startup", "cwd": str(bob)}))
    assert "SKIP LOCKED" in text and "alice-1"[:8] in text


def _summary(sid: str, branch: str, title: str, ended: str, commits: tuple[str, ...] = (), **kw) -> SessionSummary:
    return SessionSummary(id=sid, title=title, started_at=ended, ended_at=ended, branch=branch,
                          author="Team Mate <t@example.com>", commits=commits, **kw)


def test_budget_is_never_exceeded_however_much_memory_there_is(initialized: Path) -> None:
    repo = discover(initialized)
    long = "word " * 400
    files = {}
    for n in range(300):
        s = _summary(f"bulk-{n:03d}", "main", f"Session {n} {long[:200]}", f"2026-11-{1 + n % 28:02d}T10:00:00Z",
                     learned=(long,), completed=(long, long), next_steps=(long,),
                     files_modified=("README.md",))
        files[f"sessions/2026-11/{s.id}/summary.md"] = s.to_text().encode()
    memory_ref.write_files(repo, files, "bulk", parent=memory_ref.memory_tip(repo))
    for budget in (200, 1500, 5000):
        (initialized / ".gitmem" / "config.yaml").write_text(f"brief_budget_tokens: {budget}\n")
        brief = inject.build_brief(repo, load_config(initialized))
        assert len(brief.text) <= min(inject.HARD_CAP_CHARS, budget * inject.CHARS_PER_TOKEN)
        assert brief.text.startswith(inject.OPEN) and brief.text.endswith(inject.CLOSE)
        assert brief.dropped > 0 or budget > 200
    assert inject.FOOTER in brief.text


def test_unmerged_branch_work_is_not_presented_as_fact(initialized: Path) -> None:
    repo = discover(initialized)
    git(initialized, "checkout", "-q", "-b", "experiment")
    (initialized / "README.md").write_text("experiment\n")
    git(initialized, "commit", "-q", "-am", "experiment")
    exp_commit = git(initialized, "rev-parse", "HEAD").strip()
    git(initialized, "checkout", "-q", "main")
    merged = _summary("merged-1", "feature/done", "Rename the billing module", "2026-11-20T10:00:00Z",
                      commits=(git(initialized, "rev-parse", "HEAD").strip(),), files_modified=("README.md",),
                      learned=("Billing lives in billing/ now",))
    unmerged = _summary("unmerged-1", "experiment", "Try GraphQL for the API", "2026-11-21T10:00:00Z",
                        commits=(exp_commit,), files_modified=("README.md",),
                        learned=("GraphQL halves the number of requests",),
                        decisions=(DecisionNote(title="Adopt GraphQL", decision="Adopt GraphQL"),))
    for s in (merged, unmerged):
        memory_ref.write_session(repo, s.id, s.started_at, (), s)
    text = inject.build_brief(repo).text
    assert "Billing lives in billing/ now" in text            # merged work, with its details
    assert "Try GraphQL for the API" in text                    # unmerged work: listed ...
    assert "GraphQL halves" not in text and "Adopt GraphQL" not in text  # ... but not as fact
    section = text.split("## On other branches, not merged here", 1)[1]
    assert "Try GraphQL" in section


def _decision(root: Path, name: str, **fields) -> None:
    d = Decision(**{"authors": ("Dana",), "date": "2026-11-20", **fields})
    (root / ".gitmem" / "decisions" / name).write_text(d.to_text())


def test_decisions_that_concern_changed_files_come_first_and_superseded_ones_are_marked(initialized: Path) -> None:
    _decision(initialized, "2026-11-20-money.md", id="d-money", title="Money is integer cents", status="accepted",
              files=("billing/*.py",), body="\n## Decision\n\nStore amounts as integer cents.\n")
    _decision(initialized, "2026-11-19-floats.md", id="d-floats", title="Money is a float", status="superseded",
              files=("billing/*.py",), body="\n## Decision\n\nUse floats.\n")
    _decision(initialized, "2026-11-21-cents.md", id="d-cents", title="Cents everywhere", status="accepted",
              supersedes=("d-floats",), files=("docs/*.md",), body="\nCents.\n")
    _decision(initialized, "2026-11-18-style.md", id="d-style", title="Tests live next to the module",
              status="accepted", body="\nConvention.\n")
    (initialized / "billing").mkdir()
    (initialized / "billing" / "charge.py").write_text("x = 1\n")  # an untracked file in play
    text = inject.build_brief(discover(initialized)).text
    first = text.split("## Decisions that concern the files in play", 1)[1].split("##", 1)[0]
    assert "Money is integer cents" in first and "Store amounts as integer cents" in first
    (line,) = [x for x in text.splitlines() if "Money is a float" in x]  # history, never the current rule
    assert line.startswith("- [superseded by d-cents; no longer applies]")
    assert "Use floats" not in text
    assert "Tests live next to the module" in text.split("## Other team decisions", 1)[1]


def test_gitmem_context_prints_the_brief(initialized: Path) -> None:
    session(initialized, "ctx-1", "Document the release process", "Done.", ["RELEASE.md"])
    proc = subprocess.run([sys.executable, "-m", "gitmem", "context"], cwd=initialized, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "Document the release process" in proc.stdout and proc.stdout.startswith(inject.OPEN)
    assert "tokens budgeted" in proc.stderr


def test_brief_key_matches_what_the_hook_computes(initialized: Path, tmp_path: Path) -> None:
    git(initialized, "checkout", "-q", "-b", "feature/ünï-côde")
    repo = discover(initialized)
    ns: dict = {}
    exec(compile((Path(gitmem.__file__).parent / "hook.py").read_text(), "hook.py", "exec"), ns)
    hook_path = ns["brief_file"](str(repo.common_dir).encode(), str(repo.git_dir).encode())
    assert hook_path.decode() == str(inject.brief_path(repo))


def test_a_sessions_decision_that_review_rejected_or_superseded_says_so(initialized: Path) -> None:
    session(initialized, "rej-1", "Make the importer faster",
            "We decided to drop input validation because it takes 41% of the run time.", ["importer.py"])
    session(initialized, "sup-1", "Add an amount field",
            "We decided to store amounts as floats because the API returns floats.", ["invoice.py"])
    folder = initialized / ".gitmem" / "decisions"
    for path in folder.glob("*.md"):
        d = Decision.from_text(path.read_text(), str(path))
        status = "rejected" if "validation" in d.title else "superseded"
        path.write_text(dataclasses.replace(d, status=status).to_text())
    text = inject.build_brief(discover(initialized)).text
    assert "Decided: [rejected in review; does not apply] We decided to drop input validation" in text
    assert "Decided: [superseded by a later decision; no longer applies] We decided to store amounts" in text


def test_a_proposal_left_behind_by_an_unmerged_branch_is_not_this_branchs_decision(initialized: Path) -> None:
    git(initialized, "add", "-A")
    git(initialized, "commit", "-q", "-m", "gitmem init")
    git(initialized, "checkout", "-q", "-b", "spike/kafka")
    session(initialized, "spike-1", "Spike: order events on Kafka",
            "We decided to publish order events to Kafka because analytics reads Kafka.", ["kafka.py"])
    git(initialized, "add", "kafka.py")
    git(initialized, "commit", "-q", "-m", "spike")
    on_spike = inject.build_brief(discover(initialized)).text
    assert "[proposed, not yet accepted] Publish order events to Kafka" in on_spike  # its own branch: current
    git(initialized, "checkout", "-q", "main")  # the proposed file stays behind, untracked
    assert list((initialized / ".gitmem" / "decisions").glob("*kafka*.md"))
    text = inject.build_brief(discover(initialized)).text
    assert "analytics reads Kafka" not in text and "[proposed, not yet accepted] Publish" not in text
    assert "Spike: order events on Kafka" in text.split("## On other branches, not merged here", 1)[1]


def test_decisions_about_files_changed_now_outrank_those_of_older_commits(initialized: Path) -> None:
    for n in range(6):
        (initialized / f"chore{n}.py").write_text("x\n")
        git(initialized, "add", f"chore{n}.py")
        git(initialized, "commit", "-q", "-m", f"chore {n}")
        _decision(initialized, f"2026-11-2{n}-chore{n}.md", id=f"d-chore{n}", title=f"Chore rule {n}",
                  status="proposed", files=(f"chore{n}.py",), body=f"\n## Decision\n\nRule {n} {'x' * 150}.\n")
    _decision(initialized, "2026-11-01-ledger.md", id="d-ledger", title="Balances come from the journal",
              status="proposed", files=("ledger.py",),
              body="\n## Decision\n\nSum the journal.\n\n## Rationale\n\nStored balances drifted.\n")
    (initialized / "ledger.py").write_text("work in progress\n")  # what the developer is editing now
    (initialized / ".gitmem" / "config.yaml").write_text("brief_budget_tokens: 300\n")
    brief = inject.build_brief(discover(initialized), load_config(initialized))
    assert "Balances come from the journal: Sum the journal. Why: Stored balances drifted." in brief.text
    assert brief.dropped > 0  # the budget bound: ranking chose


def test_an_empty_memory_says_nothing(initialized: Path) -> None:
    stdout = hook(initialized, "SessionStart", {"session_id": "first-ever", "hook_event_name": "SessionStart",
                                                "source": "startup", "cwd": str(initialized)})
    assert stdout == b""  # no empty fence in the model's context
    assert inject.brief_path(discover(initialized)).read_bytes() == b""


# -- merged means reachable from HEAD, and one's own work is never "teammates'" (issue 14, item 6) ------------


def _commit(root: Path, name: str, text: str) -> str:
    (root / name).write_text(text)
    git(root, "add", name)
    git(root, "commit", "-q", "-m", f"edit {name}")
    return git(root, "rev-parse", "HEAD").strip()


def _section(text: str, title: str) -> str:
    """The lines of one section of a brief ('' when the brief has no such section)."""
    if f"## {title}" not in text:
        return ""
    return text.split(f"## {title}", 1)[1].split("\n## ", 1)[0].split(inject.FOOTER, 1)[0]


UNMERGED = "On other branches, not merged here"
TEAMMATES = "Teammates' recent work"
RECENT = "Recent sessions on this branch"


def test_a_branch_made_from_main_treats_mains_sessions_as_merged(initialized: Path) -> None:
    repo = discover(initialized)
    with_commit = _summary("main-c", "main", "Move refunds to a queue", "2026-11-20T10:00:00Z",
                           commits=(_commit(initialized, "README.md", "queue\n"),), files_modified=("README.md",),
                           learned=("Refunds go through the retry queue now",))
    head = git(initialized, "rev-parse", "HEAD").strip()
    read_only = _summary("main-r", "main", "Read how refunds are rounded", "2026-11-21T10:00:00Z",
                         head_start=head, head_end=head, files_read=("README.md",),
                         learned=("Amounts are rounded half-even",))
    for s in (with_commit, read_only):
        memory_ref.write_session(repo, s.id, s.started_at, (), s)
    git(initialized, "checkout", "-q", "-b", "feature/new")

    text = inject.build_brief(discover(initialized)).text

    assert "Move refunds to a queue" not in _section(text, UNMERGED)
    assert "Read how refunds are rounded" not in _section(text, UNMERGED)
    assert "Refunds go through the retry queue now" in text       # merged: with its details
    assert "Amounts are rounded half-even" in text


@pytest.mark.parametrize("recorded", ["commits", "head-only"])
def test_a_session_from_a_branch_merged_with_no_ff_is_merged_on_main(initialized: Path, recorded: str) -> None:
    repo = discover(initialized)
    git(initialized, "checkout", "-q", "-b", "feature/ledger")
    commit = _commit(initialized, "README.md", "ledger\n")
    # "head-only": what a session recorded before its first-turn commits were (no commits, both heads after them)
    s = _summary("feat-1", "feature/ledger", "Split the ledger", "2026-11-22T10:00:00Z",
                 commits=(commit,) if recorded == "commits" else (), head_start=commit, head_end=commit,
                 files_modified=("README.md",), learned=("The ledger is append-only",))
    memory_ref.write_session(repo, s.id, s.started_at, (), s)
    git(initialized, "checkout", "-q", "main")
    before = inject.build_brief(discover(initialized)).text
    assert "Split the ledger" in _section(before, UNMERGED)       # not merged yet: title only
    git(initialized, "merge", "-q", "--no-ff", "-m", "merge ledger", "feature/ledger")

    text = inject.build_brief(discover(initialized)).text

    assert "Split the ledger" not in _section(text, UNMERGED)
    assert "The ledger is append-only" in text


def test_a_teammates_session_whose_commits_are_not_here_is_not_merged_even_on_the_same_branch_name(
        initialized: Path, tmp_path: Path) -> None:
    other = make_repo(tmp_path / "elsewhere")
    foreign = _commit(other, "notes.txt", "theirs\n")
    git(initialized, "fetch", "-q", str(other), "main:refs/heads/theirs")  # the object exists, unreachable
    git(initialized, "branch", "-q", "-D", "theirs")
    s = _summary("their-1", "main", "Drop the legacy API", "2026-11-23T10:00:00Z", commits=(foreign,),
                 files_modified=("README.md",), learned=("The legacy API is gone",))
    memory_ref.write_session(discover(initialized), s.id, s.started_at, (), s)

    text = inject.build_brief(discover(initialized)).text

    assert "Drop the legacy API" in _section(text, UNMERGED)
    assert "The legacy API is gone" not in text


def test_ones_own_sessions_are_never_teammates_work(initialized: Path) -> None:
    repo = discover(initialized)
    git(initialized, "checkout", "-q", "-b", "feature/mine")
    commit = _commit(initialized, "README.md", "mine\n")
    mine = dataclasses.replace(
        _summary("mine-1", "feature/mine", "Tune the README", "2026-11-24T10:00:00Z", commits=(commit,),
                 files_modified=("README.md",), learned=("Short READMEs get read",)),
        author="Test Author <author@example.com>")
    theirs = _summary("theirs-1", "feature/theirs", "Reword the README intro", "2026-11-24T11:00:00Z",
                      commits=(commit,), files_modified=("README.md",))
    for s in (mine, theirs):
        memory_ref.write_session(repo, s.id, s.started_at, (), s)
    git(initialized, "checkout", "-q", "main")
    git(initialized, "merge", "-q", "--no-ff", "-m", "merge mine", "feature/mine")

    text = inject.build_brief(discover(initialized)).text

    assert "Tune the README" not in _section(text, TEAMMATES)
    assert "Tune the README" in _section(text, RECENT)
    assert "Reword the README intro" in _section(text, TEAMMATES)


def test_ancestry_answers_are_kept_per_head(initialized: Path) -> None:
    from gitmem.store.ancestry import Checkout

    repo = discover(initialized)
    first = git(initialized, "rev-parse", "HEAD").strip()
    here = Checkout(repo)
    assert here.reachable([first, "0" * 40]) == {first: True, "0" * 40: False}
    here.save()
    cache = json.loads((repo.common_dir / "gitmem" / "ancestry.json").read_text())
    assert cache["head"] == first and cache["reachable"] == {first: True, "0" * 40: False}
    git(initialized, "checkout", "-q", "--orphan", "other")
    git(initialized, "commit", "-q", "--allow-empty", "-m", "unrelated history")
    assert Checkout(repo).reachable([first]) == {first: False}     # a new HEAD: asked again, not from the cache


# -- cold start: a fresh clone of a big memory gets a brief without the index (issue 14, item 8) ---------------


def _bulk_memory(repo, n: int) -> None:
    """``n`` sessions over twelve months in one commit, each with a summary and one observation file."""
    from gitmem.store.records import Observation, ObservationBatch

    files = {}
    for i in range(n):
        month = f"2026-{1 + i * 10 // n:02d}"   # 100 sessions a month when n is 1,000
        sid = f"bulk-{i:05d}"
        s = SessionSummary(id=sid, title=f"Bulk session {i}", started_at=f"{month}-10T10:00:00Z",
                           ended_at=f"{month}-10T{10 + i % 100 // 60:02d}:{i % 100 % 60:02d}:00Z", branch="main",
                           author=f"Dev {i % 20} <dev{i % 20}@example.com>", files_modified=("README.md",),
                           learned=(f"fact number {i}",), observation_count=1)
        obs = ObservationBatch(session_id=sid, seq=1, observations=(
            Observation(ts=f"{month}-10T10:05:00Z", kind="prompt", text=f"prompt of session {i}"),))
        files[f"sessions/{month}/{sid}/summary.md"] = s.to_text().encode()
        files[f"sessions/{month}/{sid}/obs-0001.yaml"] = obs.to_text().encode()
    memory_ref.write_files(repo, files, f"{n} sessions", parent=memory_ref.memory_tip(repo))


def test_first_session_start_of_a_big_memory_briefs_without_the_index_and_builds_it_in_the_background(
        initialized: Path) -> None:
    import fcntl

    from gitmem.index import index_build, index_file, search

    repo = discover(initialized)
    _bulk_memory(repo, 1000)
    index = index_file.index_path(repo)
    assert not index.exists()
    with open(index.parent / index_file.LOCK_FILE, "a+b") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)     # the builder started now cannot finish before we look
        text = context_of(hook(initialized, "SessionStart", {"session_id": "cold-1", "hook_event_name": "SessionStart",
                                                             "source": "startup", "cwd": str(initialized)}))
        assert "Bulk session 999" in text and "fact number 999" in text   # the newest sessions, from the ref
        assert "Bulk session 0 " not in text
        assert not index.exists()                     # ... without the index
        assert index_build.running(repo)              # which is being built in the background
        fcntl.flock(lock.fileno(), fcntl.LOCK_UN)
    wait_for_index_build(initialized)
    assert index.exists()
    assert {h.session_id for h in search.search(repo, "fact number 123")} >= {"bulk-00123"}
    # The builder rendered the brief again from the index: the next SessionStart prints it as it is.
    path = inject.brief_path(repo)
    before = path.stat().st_mtime_ns
    again = context_of(hook(initialized, "SessionStart", {"session_id": "cold-2", "hook_event_name": "SessionStart",
                                                          "source": "startup", "cwd": str(initialized)}))
    assert "Bulk session 999" in again and path.stat().st_mtime_ns == before


def _session_start(root: Path, sid: str) -> subprocess.CompletedProcess[bytes]:
    payload = {"session_id": sid, "hook_event_name": "SessionStart", "source": "startup", "cwd": str(root)}
    return subprocess.run([sys.executable, "-I", "-S", str(LAUNCHER), "SessionStart"], cwd=root,
                          input=json.dumps(payload).encode(), capture_output=True,
                          env={**os.environ, "GITMEM_NO_WORKER": "1"}, timeout=120)


def test_a_config_linked_to_dev_zero_is_refused_by_name_and_the_hook_fails_open(initialized: Path) -> None:
    """Issue 15 item 1: `.gitmem/config.yaml -> /dev/zero` made the SessionStart hook read until memory ran out."""
    session(initialized, "zero-1", "Add retries to the HTTP client", "Done.", ["client.py"])
    config = initialized / ".gitmem" / "config.yaml"
    config.unlink()
    config.symlink_to("/dev/zero")
    inject.brief_path(discover(initialized)).unlink()   # the hook renders the brief now
    proc = _session_start(initialized, "zero-2")
    assert proc.returncode == 0 and proc.stdout == b""
    assert b".gitmem/config.yaml: refused: it is a symbolic link to /dev/zero" in proc.stderr
    ctx = subprocess.run([sys.executable, "-m", "gitmem", "context"], cwd=initialized, capture_output=True,
                         text=True, timeout=120)
    assert ctx.returncode == 1 and ctx.stdout == ""
    assert ctx.stderr.startswith("gitmem: error: .gitmem/config.yaml: refused: it is a symbolic link to /dev/zero")
    assert "hint: replace the link with the real file (`git rm .gitmem/config.yaml`" in ctx.stderr


def test_an_unknown_setting_warns_and_the_brief_still_renders(initialized: Path) -> None:
    """Issue 14 item 4: one unknown key in the team's config turned memory off for everyone."""
    session(initialized, "newer-1", "Add retries to the HTTP client", "Done.", ["client.py"])
    config = initialized / ".gitmem" / "config.yaml"
    config.write_text(config.read_text() + "recall_by_meaning: true\nbrief_budget_tokens: 900\n")
    inject.brief_path(discover(initialized)).unlink()
    proc = _session_start(initialized, "newer-2")
    assert proc.returncode == 0
    assert "Add retries to the HTTP client" in context_of(proc.stdout)
    assert b"unknown setting `recall_by_meaning` ignored (maybe from a newer gitmem)" in proc.stderr
    assert load_config(initialized).brief_budget_tokens == 900   # the known settings still apply
    ctx = subprocess.run([sys.executable, "-m", "gitmem", "context"], cwd=initialized, capture_output=True,
                         text=True, timeout=120)
    assert ctx.returncode == 0 and "Add retries to the HTTP client" in ctx.stdout
    assert ".gitmem/config.yaml:" in ctx.stderr and "unknown setting `recall_by_meaning` ignored" in ctx.stderr


def test_the_brief_skips_a_conflicted_decision_and_never_shows_template_comments(
        initialized: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Issue 14 items 3 and 15: conflict markers and template comments were shown as the decision."""
    (initialized / "app.py").write_text("x = 1\n")
    _decision(initialized, "2026-11-20-cache.md", id="d-cache", title="Cache the rates", status="accepted",
              files=("app.py",), body="\n## Decision\n\n<<<<<<< HEAD\nUse Redis.\n=======\nUse memcached.\n"
                                      ">>>>>>> other\n")
    _decision(initialized, "2026-11-21-empty.md", id="d-empty", title="Keep it simple", status="accepted",
              files=("app.py",), body="\n## Context\n\n<!-- What forces this decision. -->\n\n## Decision\n\n"
                                      "<!-- What we do, in a few sentences. -->\n")
    text = inject.build_brief(discover(initialized)).text
    assert "Cache the rates" not in text and "<<<<<<<" not in text and "Redis" not in text
    assert "brief skips .gitmem/decisions/2026-11-20-cache.md:18: has unresolved merge conflict markers" in caplog.text
    (line,) = [x for x in text.splitlines() if "Keep it simple" in x]
    assert "<!--" not in line and "What we do" not in line
    assert line.startswith("- Keep it simple. Files: app.py. (Dana, 2026-11-20, d-empty")


def test_a_next_step_a_later_session_did_is_no_longer_open(initialized: Path) -> None:
    """Issue 14 item 17: next steps never closed when a later session did them; "Next steps: none" was a step."""
    session(initialized, "steps-1", "Add retries to the HTTP client",
            "Retries are in.\n\nNext steps:\n- Add tests for the retry backoff in client.py\n"
            "- Document the retry settings in README", ["client.py"])
    brief = inject.build_brief(discover(initialized)).text
    assert "Add tests for the retry backoff in client.py" in brief and "Document the retry settings" in brief
    session(initialized, "steps-2", "Test the retries",
            "Added tests for the retry backoff in client.py; they pass.\n\nNext steps: none.", ["test_client.py"])
    brief = inject.build_brief(discover(initialized)).text
    steps = brief.split("## Open next steps", 1)[1].split("##", 1)[0]
    assert "Add tests for the retry backoff" not in steps           # done by the later session
    assert "Document the retry settings in README (from session steps-1" in steps   # still open
    assert "None" not in steps
