"""The per-tool-call hook: real subprocesses, the exact installed command line."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
from multiprocessing import get_context
from pathlib import Path

import pytest
from conftest import FIXTURES, git, make_repo

import gitmem
from gitmem.app.project import init_repository
from gitmem.capture import spool
from gitmem.git import discover

HOOK = Path(gitmem.__file__).parent / "_hook.py"  # the launcher the installed command runs
FIXTURE_EVENTS = [json.loads(line) for line in (FIXTURES / "session-hooks.jsonl").read_text().splitlines()]
SID = FIXTURE_EVENTS[0]["session_id"]


def run_hook(cwd: Path, event: str, stdin: bytes, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    full_env = {**os.environ, "GITMEM_NO_WORKER": "1", **(env or {})}
    return subprocess.run([sys.executable, "-I", "-S", str(HOOK), event], cwd=cwd, input=stdin,
                          capture_output=True, env=full_env, timeout=60)


@pytest.fixture
def initialized(repo: Path) -> Path:
    init_repository(discover(repo))
    return repo


def spool_lines(repo: Path, sid: str = SID) -> list[dict]:
    path = repo / ".git" / "gitmem" / "spool" / f"{sid}.jsonl"
    return [json.loads(line) for line in path.read_bytes().splitlines()]


def hook_log(repo: Path) -> str:
    path = repo / ".git" / "gitmem" / "hook.log"
    return path.read_text() if path.exists() else ""


def test_fixture_session_is_spooled_verbatim(initialized: Path) -> None:
    for payload in FIXTURE_EVENTS:
        raw = json.dumps(payload).encode()
        proc = run_hook(initialized, payload["hook_event_name"], raw)
        assert proc.returncode == 0, proc.stderr
        # stdout is context for the model: at SessionStart the brief, which says nothing while memory is empty
        assert proc.stdout == b""
    lines = spool_lines(initialized)
    assert [line["payload"] for line in lines] == FIXTURE_EVENTS
    assert [line["event"] for line in lines] == [p["hook_event_name"] for p in FIXTURE_EVENTS]
    assert all(isinstance(line["ts"], float) for line in lines)
    requests = spool.requests(initialized / ".git" / "gitmem" / "spool")
    assert set(requests) == {SID, spool.SWEEP}  # Stop/SessionEnd ask for a flush, SessionStart for a sweep


def test_kebab_case_event_and_pretty_printed_json(initialized: Path) -> None:
    payload = json.dumps({"session_id": "s-1", "hook_event_name": "PostToolUse", "tool_name": "Bash",
                          "tool_input": {"command": "echo 'a\\nb'"}}, indent=2).encode()
    assert b"\n" in payload
    proc = run_hook(initialized, "post-tool-use", payload)
    assert proc.returncode == 0 and proc.stdout == b""
    (line,) = spool_lines(initialized, "s-1")
    assert line["event"] == "PostToolUse"
    assert line["payload"]["tool_input"]["command"] == "echo 'a\\nb'"


HOSTILE_INPUTS = {
    "malformed json": b'{"session_id": "s-bad", "tool_input": {',
    "not utf-8": b'{"session_id":"s-bytes","x":"\xff\xfe\x80"}',
}


@pytest.mark.parametrize("name", sorted(HOSTILE_INPUTS))
def test_hostile_payloads_are_kept_raw_and_never_fail(initialized: Path, name: str) -> None:
    raw = HOSTILE_INPUTS[name]
    proc = run_hook(initialized, "PostToolUse", raw)
    assert proc.returncode == 0 and proc.stdout == b""
    sid = "s-bad" if name == "malformed json" else "s-bytes"
    data = (initialized / ".git" / "gitmem" / "spool" / f"{sid}.jsonl").read_bytes()
    assert raw in data and data.endswith(b"}\n") and data.count(b"\n") == 1


@pytest.mark.parametrize("stdin,expect", [
    (b"", "empty payload"),
    (b"   \n", "empty payload"),
    (b'{"hook_event_name":"Stop"}', "refused session id None"),
    (b'{"session_id":"../../etc/passwd"}', "refused session id"),
    (b'{"session_id":"a/b"}', "refused session id"),
    (b'{"session_id":".hidden"}', "refused session id"),
    (b'{"session_id":"' + b"x" * 200 + b'"}', "refused session id"),
])
def test_bad_input_exits_zero_silently_and_logs_one_line(initialized: Path, stdin: bytes, expect: str) -> None:
    proc = run_hook(initialized, "PostToolUse", stdin)
    assert proc.returncode == 0
    assert proc.stdout == b""
    assert expect in proc.stderr.decode()
    assert proc.stderr.decode().count("\n") == 1
    log = hook_log(initialized)
    assert expect in log and log.count("\n") == 1
    spool_folder = initialized / ".git" / "gitmem" / "spool"
    assert not spool_folder.exists() or not list(spool_folder.glob("*.jsonl"))


def test_escaped_session_id_inside_a_string_is_not_taken_for_the_key(initialized: Path) -> None:
    payload = b'{"tool_input":{"content":"{\\"session_id\\":\\"evil\\"}"},"session_id":"good-1"}'
    proc = run_hook(initialized, "PostToolUse", payload)
    assert proc.returncode == 0
    assert (initialized / ".git" / "gitmem" / "spool" / "good-1.jsonl").exists()
    assert not (initialized / ".git" / "gitmem" / "spool" / "evil.jsonl").exists()


def test_huge_tool_response_is_spooled_whole(initialized: Path) -> None:
    blob = "x" * (20 * 1024 * 1024)
    payload = json.dumps({"session_id": "big", "tool_name": "Read", "tool_response": {"content": blob}}).encode()
    proc = run_hook(initialized, "PostToolUse", payload)
    assert proc.returncode == 0 and proc.stdout == b""
    (line,) = spool_lines(initialized, "big")
    assert len(line["payload"]["tool_response"]["content"]) == len(blob)


def test_outside_a_repository_and_before_init(tmp_path: Path, repo: Path, isolated_env: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    proc = run_hook(plain, "PostToolUse", b'{"session_id":"s"}')
    assert proc.returncode == 0 and proc.stdout == b""
    assert "not inside a git repository" in proc.stderr.decode()
    home_log = Path(os.environ["GITMEM_HOME"]) / "hook.log"
    assert "not inside a git repository" in home_log.read_text()

    proc = run_hook(repo, "PostToolUse", b'{"session_id":"s"}')  # a repository without `gitmem init`
    assert proc.returncode == 0 and proc.stdout == b""
    assert "gitmem init" in proc.stderr.decode()
    assert not (repo / ".git" / "gitmem").exists()


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores file permissions")
def test_read_only_state_folder(initialized: Path) -> None:  # pragma: no cover - CI runs as root
    state = initialized / ".git" / "gitmem"
    state.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        proc = run_hook(initialized, "PostToolUse", b'{"session_id":"s"}')
    finally:
        state.chmod(0o755)
    assert proc.returncode == 0 and proc.stdout == b""


def test_unwritable_spool_path_fails_open(initialized: Path) -> None:
    """A spool path that cannot be opened (here: a folder where the file should be) still exits 0."""
    folder = initialized / ".git" / "gitmem" / "spool" / "s-dir.jsonl"
    folder.mkdir(parents=True)
    proc = run_hook(initialized, "PostToolUse", b'{"session_id":"s-dir"}')
    assert proc.returncode == 0 and proc.stdout == b""
    assert "IsADirectoryError" in hook_log(initialized)


def test_linked_worktree_spools_into_the_common_dir(initialized: Path, tmp_path: Path) -> None:
    wt = tmp_path / "wt"
    git(initialized, "worktree", "add", "-q", str(wt), "-b", "feature")
    proc = run_hook(wt / "", "PostToolUse", b'{"session_id":"from-wt"}')
    assert proc.returncode == 0, proc.stderr
    assert (initialized / ".git" / "gitmem" / "spool" / "from-wt.jsonl").exists()


def test_claude_project_dir_wins_over_cwd(initialized: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    proc = run_hook(elsewhere, "PostToolUse", b'{"session_id":"pd"}', env={"CLAUDE_PROJECT_DIR": str(initialized)})
    assert proc.returncode == 0, proc.stderr
    assert (initialized / ".git" / "gitmem" / "spool" / "pd.jsonl").exists()


FORBIDDEN = ("json", "re", "subprocess", "git", "pygit2", "typer", "yaml", "anthropic", "watchdog", "mcp",
             "pathlib", "logging", "gitmem")


def test_hook_imports_nothing_beyond_start_up_modules_and_fcntl(initialized: Path) -> None:
    probe = ("import sys\n"
             "before = set(sys.modules)\n"
             f"sys.argv = [{str(HOOK)!r}, 'PostToolUse']\n"
             "try:\n"
             f"    exec(compile(open({str(HOOK)!r}).read(), {str(HOOK)!r}, 'exec'), {{'__name__': '__main__', '__file__': {str(HOOK)!r}}})\n"
             "except SystemExit as exc:\n"
             "    assert exc.code == 0, exc.code\n"
             "sys.stdout.write('\\n'.join(sorted(set(sys.modules) - before)))\n")
    proc = subprocess.run([sys.executable, "-I", "-S", "-c", probe], cwd=initialized, input=b'{"session_id":"m"}',
                          capture_output=True, env={**os.environ, "GITMEM_NO_WORKER": "1"}, timeout=60)
    assert proc.returncode == 0, proc.stderr
    added = set(proc.stdout.decode().split())
    # The allowance: what is loaded at start (posix, sys), time and fcntl, and the hook module itself.
    allowed = subprocess.run([sys.executable, "-I", "-S", "-c", "import sys\nbefore = set(sys.modules)\n"
                              "import time, fcntl, errno\nprint('\\n'.join(set(sys.modules) - before))"],
                             capture_output=True, text=True, timeout=60).stdout.split()
    assert added <= set(allowed) | {"hook"}, added - set(allowed)
    assert not added & set(FORBIDDEN)
    assert "os" not in added  # importing os costs a tenth of a start under -S; hook.py uses posix
    assert (initialized / ".git" / "gitmem" / "spool" / "m.jsonl").exists()


def test_gitmem_hook_command_is_the_same_entry(initialized: Path) -> None:
    gitmem_bin = Path(sys.executable).parent / "gitmem"
    proc = subprocess.run([str(gitmem_bin), "hook", "user-prompt-submit"], cwd=initialized,
                          input=b'{"session_id":"cli-1","prompt":"hi"}', capture_output=True,
                          env={**os.environ, "GITMEM_NO_WORKER": "1"}, timeout=60)
    assert proc.returncode == 0 and proc.stdout == b""
    (line,) = spool_lines(initialized, "cli-1")
    assert line["event"] == "UserPromptSubmit" and line["payload"]["prompt"] == "hi"


# -- concurrency ------------------------------------------------------------------------

def _writer(args: tuple[str, int, int]) -> int:
    """Append ``count`` events the way the hook does (its own append_line), as one OS process."""
    from gitmem import hook

    path, writer, count = args
    for i in range(count):
        body = (b"w%d-%d|" % (writer, i)) + b"y" * (37 * (i % 50))  # varied sizes
        hook.append_line(path.encode(), b'{"ts":0,"event":"PostToolUse","payload":{"k":"' + body + b'"}}\n')
    return count


def test_parallel_writers_never_interleave_or_lose_a_line_while_the_worker_takes_files(tmp_path: Path) -> None:
    folder = tmp_path / "spool"
    folder.mkdir()
    live = str(folder / "par.jsonl")
    writers, per_writer = 8, 2000
    ctx = get_context("spawn")
    with ctx.Pool(writers) as pool:
        pending = pool.map_async(_writer, [(live, w, per_writer) for w in range(writers)])
        takes = 0
        deadline = time.monotonic() + 120
        while not pending.ready() and time.monotonic() < deadline:
            if spool.take(folder, "par") is not None:
                takes += 1
            time.sleep(0.01)
        assert sum(pending.get(timeout=120)) == writers * per_writer
    spool.take(folder, "par")
    lines = [line for p in spool.taken_files(folder, "par") for line in spool.iter_lines(p)]
    keys = [json.loads(line)["payload"]["k"].split("|")[0] for line in lines]
    assert len(lines) == writers * per_writer
    assert sorted(keys) == sorted(f"w{w}-{i}" for w in range(writers) for i in range(per_writer))
    assert takes >= 1


def test_concurrent_real_hook_processes(initialized: Path) -> None:
    procs = []
    for w in range(8):
        for i in range(10):
            payload = json.dumps({"session_id": "conc", "n": f"{w}-{i}"}).encode()
            p = subprocess.Popen([sys.executable, "-I", "-S", str(HOOK), "PostToolUse"], cwd=initialized,
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 env={**os.environ, "GITMEM_NO_WORKER": "1"})
            procs.append((p, payload))
    for p, payload in procs:
        out, _err = p.communicate(payload, timeout=60)
        assert p.returncode == 0 and out == b""
    lines = spool_lines(initialized, "conc")
    assert sorted(line["payload"]["n"] for line in lines) == sorted(f"{w}-{i}" for w in range(8) for i in range(10))


def test_full_disk_fails_open(initialized: Path) -> None:
    """The spool file points at /dev/full: every write fails with ENOSPC, the hook still exits 0."""
    folder = initialized / ".git" / "gitmem" / "spool"
    folder.mkdir(parents=True)
    (folder / "full.jsonl").symlink_to("/dev/full")
    proc = run_hook(initialized, "PostToolUse", b'{"session_id":"full"}')
    assert proc.returncode == 0 and proc.stdout == b""
    assert "No space left on device" in hook_log(initialized)


def test_disabled_by_environment_records_nothing(initialized: Path) -> None:
    proc = run_hook(initialized, "PostToolUse", b'{"session_id":"off"}', env={"GITMEM_DISABLE": "1"})
    assert proc.returncode == 0 and proc.stdout == b"" and proc.stderr == b""
    assert not (initialized / ".git" / "gitmem" / "spool" / "off.jsonl").exists()


# -- HEAD at SessionStart (issue 14, item 7) ---------------------------------------------------------------------


@pytest.mark.parametrize("where", ["loose", "packed", "detached", "worktree"])
def test_session_start_records_the_head_it_started_on_without_git(initialized: Path, tmp_path: Path,
                                                                  where: str) -> None:
    cwd = initialized
    if where == "packed":
        git(initialized, "pack-refs", "--all")
        assert not (initialized / ".git" / "refs" / "heads" / "main").exists()
    elif where == "detached":
        git(initialized, "checkout", "-q", "--detach")
    elif where == "worktree":
        cwd = tmp_path / "wt"
        git(initialized, "worktree", "add", "-q", str(cwd), "-b", "feature")
        (cwd / "x.txt").write_text("x\n")
        git(cwd, "add", "x.txt")
        git(cwd, "commit", "-q", "-m", "on the worktree's branch")
    head = git(cwd, "rev-parse", "HEAD").strip()
    sid = f"start-{where}"

    proc = run_hook(cwd, "SessionStart", b'{"session_id":"%s","hook_event_name":"SessionStart"}' % sid.encode())
    assert proc.returncode == 0, proc.stderr
    run_hook(cwd, "PostToolUse", b'{"session_id":"%s"}' % sid.encode())

    start, tool = spool_lines(initialized, sid)
    assert start["head"] == head
    assert "head" not in tool                 # once per session, not per tool call


def test_session_start_on_an_unborn_branch_records_no_head(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "unborn", commit=False)
    init_repository(discover(root))
    proc = run_hook(root, "SessionStart", b'{"session_id":"unborn-1"}')
    assert proc.returncode == 0 and proc.stderr == b""
    [line] = spool_lines(root, "unborn-1")
    assert "head" not in line and line["payload"]["session_id"] == "unborn-1"


def test_an_event_after_a_torn_line_starts_a_line_of_its_own(initialized: Path) -> None:
    """Issue 15 item 12: a writer killed mid-line left no newline; the next event must not join that line."""
    path = initialized / ".git" / "gitmem" / "spool" / "torn.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b'{"ts":1764000000.0,"event":"PostToolUse","payload":{"session_id":"torn","tool_')
    proc = run_hook(initialized, "UserPromptSubmit", b'{"session_id":"torn","prompt":"next one"}')
    assert proc.returncode == 0, proc.stderr
    torn, line = path.read_bytes().split(b"\n")[:2]
    assert torn.endswith(b'"tool_')
    assert json.loads(line)["payload"]["prompt"] == "next one"


def test_the_events_own_cwd_picks_the_repository(initialized: Path, tmp_path: Path) -> None:
    """Issue 15 item 7: a turn whose cwd is a nested clone is spooled in that clone, not in the project's spool."""
    inner = initialized / "inner"
    git(initialized, "clone", "-q", str(initialized), str(inner))
    init_repository(discover(inner))
    payload = json.dumps({"session_id": "cwd-1", "cwd": str(inner), "prompt": "in the nested clone"}).encode()
    proc = run_hook(initialized, "UserPromptSubmit", payload, env={"CLAUDE_PROJECT_DIR": str(initialized)})
    assert proc.returncode == 0, proc.stderr
    assert (inner / ".git" / "gitmem" / "spool" / "cwd-1.jsonl").exists()
    assert not (initialized / ".git" / "gitmem" / "spool" / "cwd-1.jsonl").exists()
    escaped = b'{"session_id":"cwd-2","cwd":"' + str(inner).encode().replace(b"/", b"\\/") + b'","prompt":"x"}'
    assert run_hook(initialized, "UserPromptSubmit", escaped).returncode == 0  # an escape: the project folder
    assert (initialized / ".git" / "gitmem" / "spool" / "cwd-2.jsonl").exists()


# -- the pre-rendered brief at SessionStart (issue 15 item 12) --------------------------------------------


def _remember(repo, sid: str, title: str, ref: str = "refs/notes/gitmem") -> None:
    from gitmem.store import memory_ref
    from gitmem.store.records import SessionSummary

    s = SessionSummary(id=sid, title=title, started_at="2026-11-24T08:00:00Z", ended_at="2026-11-24T09:00:00Z",
                       branch="main", author="Team Mate <t@example.com>")
    memory_ref.write_session(repo, sid, s.started_at, (), s, ref=ref)


def _session_start(root: Path) -> bytes:
    payload = json.dumps({"session_id": "next-1", "hook_event_name": "SessionStart", "source": "startup",
                          "cwd": str(root)}).encode()
    proc = run_hook(root, "SessionStart", payload)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_the_hook_and_inject_compute_the_same_memory_stamp(initialized: Path) -> None:
    from gitmem.app import inject

    repo = discover(initialized)
    _remember(repo, "st-1", "Stamp me")
    _remember(repo, "st-2", "Theirs", ref="refs/gitmem/remotes/origin/memory")
    ns: dict = {}
    exec(compile((Path(gitmem.__file__).parent / "hook.py").read_text(), "hook.py", "exec"), ns)
    assert ns["memory_stamp"](str(repo.common_dir).encode(), str(initialized).encode()).decode() == \
        inject.memory_stamp(repo)


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_a_damaged_brief_is_never_printed_as_session_start_output(initialized: Path, damage: str) -> None:
    from gitmem.app import inject

    repo = discover(initialized)
    _remember(repo, "dmg-1", "Rotate the signing keys")
    inject.render_brief(repo)
    path = inject.brief_path(repo)
    good = path.read_bytes()
    bad = b"\x00\xffGARBAGE " * (len(good) // 10) if damage == "garbage" else good[: len(good) // 2]
    path.write_bytes(bad[:len(good)] if damage == "garbage" else bad)
    out = _session_start(initialized)
    assert b"GARBAGE" not in out and out != good[: len(good) // 2]
    assert json.loads(out)["hookSpecificOutput"]["additionalContext"].endswith(inject.CLOSE)
    assert path.read_bytes() == out  # rendered again on the spot


def test_a_brief_dated_in_the_future_does_not_hide_memory_fetched_later(initialized: Path) -> None:
    from gitmem.app import inject

    repo = discover(initialized)
    _remember(repo, "mine-1", "My own session")
    inject.render_brief(repo)
    tomorrow = time.time() + 86400
    path = inject.brief_path(repo)
    os.utime(path, (tomorrow, tomorrow))  # written while the clock was a day ahead, or copied with its mtime
    assert b"My own session" in _session_start(initialized)
    _remember(repo, "team-1", "Teammate moved the queue to Postgres", ref="refs/gitmem/remotes/origin/memory")
    assert b"Teammate moved the queue to Postgres" in _session_start(initialized)
