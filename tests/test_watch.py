"""``gitmem watch``: a real watchdog observer on a real repository, the spool, the flush into the ref.

Most tests drive ``Watcher`` with ``pump=False`` and a fake clock: the test
waits (bounded) until the observer has delivered the events, moves the clock
past the debounce and calls ``tick`` itself, so what makes a burst is decided
by the test, never by how fast the machine is. The last tests run the real
command as a subprocess and stop it with SIGINT and SIGTERM.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Callable, Iterator

import pytest
from conftest import git

from gitmem import hook
from gitmem.app.project import init_repository
from gitmem.capture import compaction, spool
from gitmem.errors import GitmemError
from gitmem.git import discover
from gitmem.index import index_file
from gitmem.index.query import SearchHit, query_index
from gitmem.integrations import watch, watch_events, watch_ignore, watch_status
from gitmem.store import layout, memory_ref
from gitmem.store.records import Decision

IGNORES = "*.log\n!keep.log\nbuild/\nnode_modules/\n"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def wait_for(predicate: Callable[[], object], timeout: float = 30.0, step: float = 0.02) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return bool(predicate())


@pytest.fixture
def root(repo: Path) -> Path:
    """An initialized repository with ignore rules, a tracked file that matches them, and src/ and build/."""
    (repo / ".gitignore").write_text(IGNORES)
    (repo / "src").mkdir()
    (repo / "src" / "old.py").write_text("old\n")
    (repo / "tracked.log").write_text("tracked although ignored\n")
    (repo / "build").mkdir()
    git(repo, "add", ".gitignore", "src/old.py")
    git(repo, "add", "-f", "tracked.log")
    git(repo, "commit", "-q", "-m", "layout")
    init_repository(discover(repo))
    return repo


def watch_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate()
            if t.name == "gitmem-watch" or type(t).__module__.startswith("watchdog")]


@pytest.fixture
def start(root: Path) -> Iterator[Callable[..., watch.Watcher]]:
    """Start watchers on ``root``; every one is stopped afterwards and no thread of theirs survives."""
    started: list[watch.Watcher] = []

    def _start(pump: bool = False, clock: Callable[[], float] | None = None, **options) -> watch.Watcher:
        opts = {"debounce": 0.5, "max_delay": 5.0, "idle": 60.0, **options}
        w = watch.Watcher(discover(root), watch_status.WatchOptions(**opts), clock=clock or time.monotonic)
        w.start(pump=pump)
        started.append(w)
        return w

    yield _start
    for w in started:
        w.stop(flush_session=False)
    assert not watch_threads()


def spooled(root: Path) -> list[dict]:
    """Every watch line in the spool (live and taken files), oldest first."""
    folder = spool.spool_dir(discover(root).common_dir)
    lines = []
    for path in sorted(folder.glob("*.jsonl")) + sorted(folder.glob("*.taken")):
        lines += [json.loads(line) for line in spool.iter_lines(path)]
    return [line for line in lines if line["event"] in (watch_events.EVENT, watch_events.BULK_EVENT)]


def changes(root: Path) -> dict[str, str]:
    """``relative path -> change`` of the single-file lines in the spool (the first line of a path wins)."""
    prefix = str(root) + "/"
    out: dict[str, str] = {}
    for line in spooled(root):
        if line["event"] == watch_events.EVENT:
            out.setdefault(line["payload"]["path"][len(prefix):], line["payload"]["change"])
    return out


_sentinels = iter(range(1_000_000))


def delivered(w: watch.Watcher, *folders: str, paths: tuple[str, ...] = ()) -> None:
    """Wait (bounded) until the observer delivered every event so far in ``folders``, and ``paths``.

    A folder's events arrive in order, so once an empty file made last in it is
    pending, all earlier ones are too. The sentinel is ignored (``*.log``) and
    made with one event (created, never written), so it leaves nothing behind.
    """
    wanted = set(paths)
    for folder in folders:
        name = f"{folder}/zz-sentinel-{next(_sentinels)}.log".removeprefix("./")
        fd = os.open(Path(w.root) / name, os.O_CREAT | os.O_WRONLY)
        os.close(fd)
        wanted.add(name)
    assert wait_for(lambda: wanted <= w.pending()), (wanted, w.pending())


def settle(w: watch.Watcher, clock: FakeClock, *folders: str, paths: tuple[str, ...] = ()) -> None:
    """Wait until the events so far arrived, move the clock past the debounce and tick: the burst is written."""
    delivered(w, *folders, paths=paths)
    clock.advance(w.options.debounce + 0.01)
    w.tick()


# -- what is recorded -----------------------------------------------------------------------------------------


def test_changes_are_spooled_and_ignored_paths_never_are(root: Path, start) -> None:
    w = start(pump=True, debounce=0.1)
    (root / "notes.log").write_text("ignored\n")
    (root / "src" / "debug.log").write_text("ignored inside a watched folder\n")
    (root / "build" / "out.o").write_text("ignored folder\n")
    (root / "node_modules" / "pkg").mkdir(parents=True)
    (root / "node_modules" / "pkg" / "index.js").write_text("ignored, created after the start\n")
    (root / ".git" / "description").write_text("inside the git dir\n")
    (root / "keep.log").write_text("re-included by !keep.log\n")
    (root / "tracked.log").write_text("tracked files are never ignored\n")
    (root / "README.md").write_text("changed\n")
    (root / "src" / "app.py").write_text("print('hi')\n")
    (root / "lib").mkdir()
    (root / "lib" / "util.py").write_text("new top-level folder\n")
    # Sentinels last, one per watched folder: events of one folder arrive in order.
    for sentinel in ("zz-root.txt", "src/zz-src.txt", "lib/zz-lib.txt"):
        (root / sentinel).write_text("last\n")

    assert wait_for(lambda: {"zz-root.txt", "src/zz-src.txt", "lib/zz-lib.txt"} <= set(changes(root)))
    assert changes(root) == {
        "keep.log": "created", "tracked.log": "modified", "README.md": "modified", "src/app.py": "created",
        "lib/util.py": "created", "zz-root.txt": "created", "src/zz-src.txt": "created",
        "lib/zz-lib.txt": "created"}
    lines = spooled(root)
    sid = lines[0]["payload"]["session_id"]
    assert sid.startswith("watch-") and {line["payload"]["session_id"] for line in lines} == {sid}
    assert all(line["payload"]["cwd"] == str(root) for line in lines)
    assert w.status().session_id == sid and w.status().files == 8


def test_a_burst_of_writes_to_one_file_is_one_observation(root: Path, start) -> None:
    clock = FakeClock()
    w = start(clock=clock)
    for i in range(50):
        with (root / "src" / "burst.txt").open("a") as fh:
            fh.write(f"line {i}\n")
    for i in range(30):
        (root / "README.md").write_text(f"version {i}\n")
    # An editor's swap file comes and goes; an atomic save replaces a file through a temporary one.
    (root / "src" / ".old.py.swp").write_text("swap")
    (root / "src" / ".old.py.swp").unlink()
    (root / "src" / "old.py.tmp").write_text("new\n")
    os.replace(root / "src" / "old.py.tmp", root / "src" / "old.py")

    delivered(w, "src", ".")
    w.tick()
    assert spooled(root) == [], "nothing may be written while the burst is still going on"
    settle(w, clock)
    assert changes(root) == {"src/burst.txt": "created", "README.md": "modified", "src/old.py": "modified"}
    assert len(spooled(root)) == 3


def test_a_renamed_file_is_one_renamed_observation(root: Path, start) -> None:
    clock = FakeClock()
    w = start(clock=clock)
    os.rename(root / "src" / "old.py", root / "src" / "new.py")
    settle(w, clock, "src")
    (line,) = [x for x in spooled(root) if x["payload"]["path"].endswith("new.py")]
    assert line["payload"]["change"] == "renamed"
    assert line["payload"]["from"] == str(root / "src" / "old.py")
    assert "src/old.py" not in changes(root), "a rename is not also a deletion"


def test_top_level_folders_that_go_come_back_or_are_renamed_stay_watched(root: Path, start) -> None:
    (root / "docs").mkdir()
    (root / "docs" / "guide.md").write_text("guide\n")
    clock = FakeClock()
    w = start(clock=clock)
    shutil.rmtree(root / "src")
    settle(w, clock, paths=("src/old.py",))
    assert changes(root) == {"src/old.py": "deleted"}

    (root / "src").mkdir()  # the same name, a new folder: its watch is made again, and it is walked once
    (root / "src" / "again.py").write_text("again\n")
    assert wait_for(lambda: w.tick() or "src/again.py" in w.pending())
    (root / "src" / "later.py").write_text("seen through the new watch\n")
    settle(w, clock, "src")
    assert changes(root)["src/again.py"] == "created" and changes(root)["src/later.py"] == "created"

    os.rename(root / "docs", root / "manual")
    assert wait_for(lambda: w.tick() or "manual/guide.md" in w.pending())
    settle(w, clock)
    (line,) = [x["payload"] for x in spooled(root) if x["payload"]["path"].endswith("manual/guide.md")]
    assert (line["change"], line["from"]) == ("renamed", str(root / "docs" / "guide.md"))
    assert "docs/guide.md" not in changes(root)
    (root / "manual" / "index.md").write_text("new\n")
    settle(w, clock, "manual")
    assert changes(root)["manual/index.md"] == "created"


def test_ignore_rules_edited_while_watching_apply_to_the_same_burst(root: Path, start) -> None:
    (root / "vendor").mkdir()
    clock = FakeClock()
    w = start(clock=clock)
    (root / "src" / "scratch.tmp").write_text("not ignored yet\n")
    settle(w, clock, "src")
    assert changes(root) == {"src/scratch.tmp": "created"}  # and git's answer is cached
    (root / ".gitignore").write_text(IGNORES + "*.tmp\nvendor/\n")
    (root / "src" / "scratch.tmp").write_text("ignored by the rule written in the same burst\n")
    (root / "vendor" / "lib.py").write_text("ignored too\n")
    settle(w, clock, "src", ".", "vendor")
    assert changes(root) == {"src/scratch.tmp": "created", ".gitignore": "modified"}
    assert len(spooled(root)) == 2
    assert "vendor" not in w._watches, "an ignored top-level folder is not watched"


def test_files_of_submodules_and_nested_clones_are_not_recorded(root: Path, start, tmp_path: Path) -> None:
    other = tmp_path / "other"
    git(tmp_path, "init", "-q", "-b", "main", str(other))
    (other / "lib.c").write_text("int x;\n")
    git(other, "add", "lib.c")
    git(other, "commit", "-q", "-m", "lib")
    git(root, "-c", "protocol.file.allow=always", "submodule", "add", "-q", str(other), "src/vendor/lib")
    git(tmp_path, "clone", "-q", str(other), str(root / "src" / "scratch-clone"))
    clock = FakeClock()
    w = start(clock=clock)
    (root / "src" / "vendor" / "lib" / "lib.c").write_text("int y;\n")
    (root / "src" / "scratch-clone" / "new.c").write_text("int z;\n")
    (root / "src" / "mine.c").write_text("int w;\n")
    settle(w, clock, "src", "src/vendor/lib", "src/scratch-clone")
    assert changes(root) == {"src/mine.c": "created"}
    assert w.status().error == ""


def test_a_burst_that_never_goes_quiet_is_cut_at_max_pending(root: Path, start,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(watch, "MAX_PENDING", 100)
    clock = FakeClock()
    w = start(clock=clock, bulk_files=1_000)
    for i in range(120):
        (root / "src" / f"f{i:03d}.py").write_text("x")
    assert wait_for(lambda: len(w.pending()) >= 100)
    w.tick()  # the clock did not move: only the size of the burst makes it due
    assert len(changes(root)) >= 100


# watchdog warns about its own race when a folder and its first file appear at once; it handles it.
@pytest.mark.filterwarnings("ignore:Callback with id:RuntimeWarning")
def test_ten_thousand_files_are_one_summarized_observation(root: Path, start) -> None:
    clock = FakeClock()
    w = start(clock=clock, bulk_files=100)
    for i in range(6_000):  # inside a watched folder: seen through inotify
        folder = root / "src" / "gen" / f"d{i // 500:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"f{i}.py").write_text("x")
    assets = root / "assets"  # a new top-level folder: watched from the next tick, walked once
    for i in range(4_000):
        folder = assets / f"d{i // 400:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"a{i}.png").write_text("x")
    delivered(w, "src")
    clock.advance(1)
    w.tick()

    (line,) = spooled(root)
    p = line["payload"]
    assert line["event"] == watch_events.BULK_EVENT
    if not p["lost_events"]:  # when the kernel dropped events the counts are a lower bound, and say so
        assert p["files"] == 10_000
        assert p["folders"] == [["src", 6_000], ["assets", 4_000]]
        assert p["changes"] == {"created": 10_000}
    assert len(p["sample"]) == watch_events.MAX_SAMPLE

    status = w.stop()
    rec = memory_ref.find_session(discover(root), status.flushed[-1])
    (obs,) = rec.observations
    assert obs.kind == "edit" and obs.tool == "watch"
    assert obs.text.startswith(f"{p['files']:,} files changed under src/")
    assert "assets/" in obs.text and set(obs.files) == {"src", "assets"}


def test_an_idle_session_is_flushed_into_the_ref_and_the_next_change_opens_another(root: Path, start) -> None:
    clock = FakeClock()
    repo = discover(root)
    w = start(clock=clock, idle=60.0)
    (root / "src" / "a.py").write_text("a\n")
    settle(w, clock, "src")
    first = w.status().session_id
    assert first and memory_ref.memory_tip(repo) is None

    clock.advance(59)
    w.tick()
    assert memory_ref.memory_tip(repo) is None, "flushed before the idle time passed"
    clock.advance(2)
    w.tick()
    rec = memory_ref.find_session(repo, first)
    assert rec.summary is not None and rec.summary.files_modified == ("src/a.py",)
    assert [o.text for o in rec.observations] == ["created"]
    assert w.status().session_id == "" and w.status().flushed == (first,)
    assert not list(spool.spool_dir(repo.common_dir).glob(first + "*"))

    (root / "src" / "b.py").write_text("b\n")
    settle(w, clock, "src")
    second = w.status().session_id
    assert second and second != first
    w.stop()
    assert memory_ref.find_session(repo, second).summary.files_modified == ("src/b.py",)
    assert memory_ref.find_session(repo, first).summary.files_modified == ("src/a.py",)


def test_a_decision_edit_is_reindexed_at_once_and_not_recorded_as_a_change(root: Path, start) -> None:
    repo = discover(root)
    index_file.ensure_index(repo)
    w = start(pump=True, debounce=0.1)
    decision = Decision(id="d-2026-11-24-zeppelin", title="Ship the zeppelin importer", body="\nBecause.\n",
                        date="2026-11-24", status="accepted")
    (root / ".gitmem" / "decisions" / "2026-11-24-zeppelin.md").write_text(decision.to_text())

    def indexed() -> list[SearchHit]:
        # The index file itself, without the freshness check every search does: only the watcher updates it.
        conn = index_file.connect_index(index_file.index_path(repo))
        try:
            return query_index(conn, "zeppelin", types="decision", worktree=str(root))
        finally:
            conn.close()

    assert wait_for(lambda: indexed())
    assert [h.title for h in indexed()] == ["Ship the zeppelin importer"]
    (root / "src" / "zz.txt").write_text("sentinel")
    assert wait_for(lambda: "src/zz.txt" in changes(root))
    assert not [p for p in changes(root) if p.startswith(".gitmem/decisions")]
    assert w.status().error == ""


# -- the parts -------------------------------------------------------------------------------------------------


def test_ignore_rules_ask_git_once_per_batch_and_cache_the_answers(root: Path) -> None:
    rules = watch_ignore.IgnoreRules(discover(root))
    paths = [f"src/m{i}.py" for i in range(300)] + [f"logs/{i}.log" for i in range(300)] + \
        ["keep.log", "tracked.log", "build/x.o", "node_modules/a/b.js"]
    assert rules.ignored(paths) == {f"logs/{i}.log" for i in range(300)} | {"build/x.o", "node_modules/a/b.js"}
    assert rules.queries == 1
    assert rules.ignored(paths[:10] + ["build/x.o"]) == {"build/x.o"}
    assert rules.queries == 1, "cached answers need no git process"
    (root / ".gitignore").write_text(IGNORES + "src/\n")
    rules.invalidate()
    assert "src/m1.py" in rules.ignored(["src/m1.py"])
    assert rules.queries == 2
    (root / ".git" / "info" / "exclude").write_text("keep.log\n")  # noticed without invalidate()
    os.utime(root / ".git" / "info" / "exclude", ns=(1, 1))
    assert rules.ignored(["keep.log"]) == set()  # !keep.log in .gitignore wins over info/exclude


def test_a_path_git_refuses_does_not_lose_the_rest_of_the_batch(root: Path) -> None:
    (root / "sub").mkdir()
    os.symlink(root / "src", root / "sub" / "link")
    rules = watch_ignore.IgnoreRules(discover(root))
    assert rules.ignored(["a.py", "sub/link/x.py", "b.log", "c.py"]) == {"sub/link/x.py", "b.log"}
    assert 1 < rules.queries <= 5


def test_session_ids_are_safe_and_distinct(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(watch_status.socket, "gethostname", lambda: "Dana's Mac/book.local")
    name = watch_status.session_name(None)
    assert name == "Dana-s-Mac-book"
    first = watch_status.new_session_id(name, 1_795_500_000.4)
    second = watch_status.new_session_id(name, 1_795_500_000.9, previous=first)
    third = watch_status.new_session_id(name, 1_795_500_000.9, previous=second)
    assert first == "watch-Dana-s-Mac-book-20261124T060000Z"
    assert (second, third) == (first + "-2", first + "-3")
    for sid in (first, second, third, watch_status.new_session_id("ci.box_1", 0)):
        assert layout.validate_session_id(sid) == sid and hook.valid_id(sid)
    for bad in ("two words", "../up", "a" * 65, ".hidden"):
        with pytest.raises(GitmemError):
            watch_status.session_name(bad)


def test_the_status_line_says_where_what_and_when() -> None:
    status = watch_status.WatchStatus(root="/work/app", session_id="watch-vm-1", changes=12, files=5, last_change=100.0)
    assert watch_status.describe(status, now=103.2) == \
        "watching /work/app (session watch-vm-1): 12 changes in 5 files, last 3 s ago"
    assert watch_status.describe(status) == "watching /work/app (session watch-vm-1): 12 changes in 5 files"
    assert watch_status.describe(watch_status.WatchStatus(root="/work/app")) == \
        "watching /work/app: waiting for changes"
    narrow = watch_status.describe(status, now=103.2, width=60)
    assert narrow == "watching app (session watch-vm-1): 12 changes in 5 files, l…" and len(narrow) == 60
    done = watch_status.WatchStatus(root="/w", state="stopped", flushed=("watch-vm-1",))
    assert watch_status.describe(done) == "stopped: session watch-vm-1 flushed into memory"


def test_capture_turns_watch_lines_into_file_observations(root: Path) -> None:
    def line(event: str, **payload) -> bytes:
        return json.dumps({"ts": 1_795_500_000.0, "event": event,
                           "payload": {"session_id": "watch-x", "hook_event_name": event, "cwd": str(root),
                                       **payload}}).encode()

    events = [compaction.parse_spool_line(x) for x in (
        line(watch_events.EVENT, path=str(root / "src/a.py"), change="created"),
        line(watch_events.EVENT, path=str(root / "README.md"), change="modified"),
        line(watch_events.EVENT, path=str(root / "src/b.py"), change="renamed", **{"from": str(root / "src/a0.py")}),
        line(watch_events.EVENT, path=str(root / "x"), change="exploded"),
        line(watch_events.BULK_EVENT, files=10_000, folders=[["src", 6_000], [".", 4_000]], other=0,
             changes={"created": 9_000, "deleted": 1_000}, sample=[str(root / "src/a.py")], lost_events=False),
    )]
    obs = compaction.compact_events(events, str(root))
    assert [(o.kind, o.tool, o.text, o.files) for o in obs] == [
        ("write", "watch", "created", ("src/a.py",)),
        ("edit", "watch", "modified", ("README.md",)),
        ("edit", "watch", "renamed from src/a0.py", ("src/b.py", "src/a0.py")),
        ("edit", "watch", "10,000 files changed under src/ (6,000), the top level (4,000)", ("src",)),
    ]
    assert obs[-1].detail == "created 9,000, deleted 1,000; e.g. src/a.py"
    facts = compaction.session_facts(events, str(root))
    assert facts.files_modified == ("src/a.py", "README.md", "src/b.py", "src/a0.py", "src")


# -- the command ------------------------------------------------------------------------------------------------


def read_until(proc: subprocess.Popen, predicate: Callable[[str], bool], timeout: float = 30.0) -> str:
    """stdout of ``proc`` until a line satisfies ``predicate`` (bounded)."""
    out = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([proc.stdout], [], [], 0.1)
        if ready:
            chunk = os.read(proc.stdout.fileno(), 65536)
            if not chunk:
                break
            out += chunk
            if any(predicate(line) for line in out.decode().splitlines()):
                return out.decode()
    raise AssertionError(f"no such line in time; got {out!r}")


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture
def command(root: Path) -> Iterator[Callable[..., subprocess.Popen]]:
    procs: list[subprocess.Popen] = []

    def _run(*args: str) -> subprocess.Popen:
        proc = subprocess.Popen([sys.executable, "-m", "gitmem", "watch", *args], cwd=root, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, start_new_session=True)
        procs.append(proc)
        return proc

    yield _run
    for proc in procs:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
        proc.stdout.close()
        proc.stderr.close()


def test_sigint_flushes_the_session_and_exits_130_leaving_no_process(root: Path, command) -> None:
    proc = command("--idle", "60")
    first = read_until(proc, lambda line: line.startswith("watching "))
    assert first.splitlines()[0] == f"watching {root}: waiting for changes"
    (root / "src" / "feature.py").write_text("x = 1\n")
    assert wait_for(lambda: "src/feature.py" in changes(root))
    os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C does: the whole foreground group gets it
    assert proc.wait(timeout=60) == 130
    out = proc.stdout.read().decode()
    assert "stopped: session watch-" in out and "flushed into memory" in out, out
    assert proc.stderr.read() == b""
    assert not group_alive(proc.pid), "a child of gitmem watch outlived it"
    (rec,) = memory_ref.read_memory(discover(root)).sessions
    assert rec.session_id.startswith("watch-") and rec.summary.files_modified == ("src/feature.py",)
    assert rec.summary.title == "Changed src/feature.py"
    assert not spool.sessions_with_data(spool.spool_dir(discover(root).common_dir))


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_sigterm_or_a_closed_terminal_flushes_quietly_and_exits_0(root: Path, command, signum: int) -> None:
    proc = command("--quiet", "--session", "ci")

    for attempt in range(10):  # the watcher may not be watching yet: write again until it notices (bounded)
        (root / "src" / "job.py").write_text(f"attempt {attempt}\n")
        if wait_for(lambda: "src/job.py" in changes(root), timeout=1.5):
            break
    assert "src/job.py" in changes(root)
    os.kill(proc.pid, signum)
    assert proc.wait(timeout=60) == 0
    assert proc.stdout.read() == b"" and proc.stderr.read() == b""
    assert not group_alive(proc.pid)
    (rec,) = memory_ref.read_memory(discover(root)).sessions
    assert rec.session_id.startswith("watch-ci-")
    assert rec.summary.files_modified == ("src/job.py",)


def test_bad_arguments_are_usage_errors(root: Path, monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    from gitmem.cli.app import main

    monkeypatch.chdir(root)
    assert main(["watch", "--session", "two words"]) == 2
    assert "--session" in capsys.readouterr().err
    assert main(["watch", "--idle", "0"]) == 2
    assert "--idle" in capsys.readouterr().err
