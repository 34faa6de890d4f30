"""End to end: the real Claude Code CLI, the real `gitmem init` hooks, a scripted model on 127.0.0.1.

Each test makes a fresh repository, runs the venv's `gitmem init`, and runs the
pinned Claude Code CLI (`scripts/install-claude-code.sh` puts it in
`.cache/claude-code/`) in print mode with HOME in a temporary folder, the
model replaced by :mod:`fakes.scripted_model` and telemetry, updates and
non-essential traffic turned off. What gitmem recorded is read back from
`refs/notes/gitmem` through the store and `gitmem show`; what the model
received is read from the requests the stand-in recorded.

Every process a test starts carries ``E2E_PROCESS_TAG=<uuid>`` in its
environment, and so does everything they start (hooks, gitmem's detached
flush worker, the brief renderer), so a /proc scan finds them all; the fixture
waits for them with a bound and kills, by process id, any that are left.

Skipped, with the reason, where node or npm is missing or GITMEM_E2E=skip; where
node and npm exist an install that fails is a test failure, never a skip.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import signal
import string
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from conftest import git, make_repo
from fakes.scripted_model import Request, Script, ScriptedModel, tool

from gitmem.capture import spool
from gitmem.errors import GitmemError
from gitmem.git import discover
from gitmem.store import memory_ref

ROOT = Path(__file__).resolve().parents[1]
INSTALLER = ROOT / "scripts" / "install-claude-code.sh"
CLAUDE = ROOT / ".cache" / "claude-code" / "node_modules" / ".bin" / "claude"
PINNED = re.search(r"CLAUDE_CODE_VERSION:-([0-9.]+)", INSTALLER.read_text()).group(1)
GITMEM = ([str(Path(sys.executable).parent / "gitmem")] if (Path(sys.executable).parent / "gitmem").exists()
          else [sys.executable, "-m", "gitmem"])  # the venv's console script, as a user runs it
E2E_MODE = os.environ.get("GITMEM_E2E", "")  # read before the isolated_env fixture clears GITMEM_*
TAG_VAR = "E2E_PROCESS_TAG"
ALLOWED_TOOLS = "Bash Read Edit Write Grep"
CLAUDE_TIMEOUT = 120
SETTLE_TIMEOUT = 90
HOOK_CONTEXT = "SessionStart hook additional context"

pytestmark = pytest.mark.timeout(240)


# -- the stand-in itself, through the real SDK (runs without node) -----------------------------------


def test_the_stand_in_scripts_tool_calls_by_content_streaming_or_not() -> None:
    import anthropic

    with ScriptedModel() as model:
        model.add(Script("E2E-SDK", (tool("Write", file_path="/w/a.py", content="A = 1\n"),), "All done."))
        client = anthropic.Anthropic(base_url=model.url, api_key="test-key", max_retries=0)
        tools = [{"name": n, "description": n, "input_schema": {"type": "object"}} for n in ("Read", "Write")]
        messages: list = [{"role": "user", "content": "E2E-SDK write the module"}]
        with client.messages.stream(model="m", max_tokens=100, tools=tools, messages=messages) as stream:
            first = stream.get_final_message()
        assert first.stop_reason == "tool_use"
        call = first.content[-1]
        assert (call.type, call.name, call.input) == ("tool_use", "Write", {"file_path": "/w/a.py", "content": "A = 1\n"})
        # a side request (no agent tools) gets a short text and does not move the script on
        side = client.messages.create(model="haiku", max_tokens=10, messages=[{"role": "user", "content": "title?"}])
        assert side.content[0].text == model.side_text
        messages += [{"role": "assistant", "content": [b.model_dump(exclude_none=True) for b in first.content]},
                     {"role": "user", "content": [{"type": "tool_result", "tool_use_id": call.id, "content": "ok"}]}]
        again = client.messages.create(model="m", max_tokens=100, tools=tools, messages=messages)
        assert (again.stop_reason, again.content[0].text) == ("end_turn", "All done.")
        with client.messages.stream(model="m", max_tokens=100, tools=tools, messages=messages) as stream:
            assert "".join(stream.text_stream) == "All done."
        assert client.messages.count_tokens(model="m", messages=messages).input_tokens > 0
        forced = client.messages.create(model="m", max_tokens=10, messages=messages[:1],
                                        tools=[{"name": "record", "input_schema": {"type": "object"}}],
                                        tool_choice={"type": "tool", "name": "record"})
        assert forced.content[0].name == "record"
        with pytest.raises(anthropic.AuthenticationError):
            anthropic.Anthropic(base_url=model.url, api_key="wrong", max_retries=0).messages.create(
                model="m", max_tokens=10, messages=messages[:1])
        with pytest.raises(anthropic.NotFoundError):
            client.post("/v1/files", cast_to=object, body={})
    assert len(model.agent_requests("E2E-SDK")) == 3
    assert model.requests[0].body["stream"] is True and model.requests[0].body["messages"] == messages[:1]
    assert model.unknown == ["POST /v1/files"] and model.unscripted == []


# -- the CLI -----------------------------------------------------------------------------------------


def installed_client(name: str, installer: Path, binary: Path, pinned: str, mode: str) -> Path:
    """The pinned client ``binary`` that ``installer`` puts in .cache/: skipped with the reason where node or npm
    is missing or ``mode`` (GITMEM_E2E, read at import) is ``skip``; where both exist a failed install fails."""
    if mode == "skip":
        pytest.skip(f"GITMEM_E2E=skip: end-to-end tests with the {name} turned off")
    missing = [tool for tool in ("node", "npm") if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"{' and '.join(missing)} not found on PATH: cannot install the pinned {name} "
                    f"{pinned} (scripts/{installer.name}); install node and npm to run these tests")
    proc = subprocess.run(["bash", str(installer)], capture_output=True, text=True, timeout=900)
    if proc.returncode != 0 or not binary.exists():
        pytest.fail(f"node and npm are here but installing the {name} {pinned} failed "
                    f"(exit {proc.returncode}):\n{proc.stdout}{proc.stderr}", pytrace=False)
    return binary


@pytest.fixture(scope="session")
def claude_bin() -> Path:
    installed_client("Claude Code CLI", INSTALLER, CLAUDE, PINNED, E2E_MODE)
    version = subprocess.run([str(CLAUDE), "--version"], capture_output=True, text=True, timeout=60,
                             stdin=subprocess.DEVNULL)
    assert version.stdout.startswith(f"{PINNED} "), version.stdout + version.stderr
    return CLAUDE


# -- processes ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Proc:
    pid: int
    cmdline: str
    cwd: str
    environ: frozenset[bytes]


def live_processes() -> list[Proc]:
    """Every process but this one and zombies, read from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if (entry / "stat").read_text().rsplit(")", 1)[1].split()[0] == "Z":
                continue
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace").strip()
            found.append(Proc(int(entry.name), cmdline, os.readlink(entry / "cwd"),
                              frozenset((entry / "environ").read_bytes().split(b"\0"))))
        except OSError:
            continue  # gone meanwhile
    return found


def tagged_processes(tag: str) -> list[tuple[int, str]]:
    """(pid, command line) of live processes whose environment carries ``tag``: everything the test started."""
    needle = f"{TAG_VAR}={tag}".encode()
    return [(p.pid, p.cmdline) for p in live_processes() if needle in p.environ]


def processes_in(folder: Path) -> list[tuple[int, str]]:
    """(pid, command line) of live processes running in ``folder`` or naming it on their command line."""
    return [(p.pid, p.cmdline) for p in live_processes()
            if p.cwd == str(folder) or p.cwd.startswith(f"{folder}/") or str(folder) in p.cmdline]


def wait_until(predicate, timeout: float, step: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return bool(predicate())


# -- one repository, one stand-in, the sessions run there --------------------------------------------


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str
    session_id: str
    result: str


@dataclass
class E2E:
    root: Path
    model: ScriptedModel
    claude: Path
    tag: str = field(default_factory=lambda: uuid.uuid4().hex)
    procs: list[subprocess.Popen] = field(default_factory=list)

    def env(self, **extra: str) -> dict[str, str]:
        return {**os.environ,
                "ANTHROPIC_BASE_URL": self.model.url,
                "ANTHROPIC_API_KEY": self.model.api_key,
                "DISABLE_TELEMETRY": "1", "DISABLE_AUTOUPDATER": "1", "DISABLE_ERROR_REPORTING": "1",
                "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
                "GITMEM_SUMMARIZER": "offline",
                TAG_VAR: self.tag, **extra}

    def start(self, prompt: str, *args: str, **env: str) -> subprocess.Popen:
        proc = subprocess.Popen([str(self.claude), "-p", prompt, "--output-format", "json",
                                 "--allowedTools", ALLOWED_TOOLS, *args],
                                cwd=self.root, env=self.env(**env), stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
        self.procs.append(proc)
        return proc

    def wait(self, proc: subprocess.Popen, name: str, timeout: float) -> tuple[str, str]:
        """The client's (stdout, stderr) once it exited 0; its process group killed and a failure naming ``name``
        when it did not finish in ``timeout`` seconds, a failure when it exited otherwise."""
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            out, err = proc.communicate(timeout=10)
            raise AssertionError(f"{name} did not finish in {timeout} s\n{out}\n{err}\n"
                                 f"unknown requests: {self.model.unknown}") from None
        assert proc.returncode == 0, f"{name} exited {proc.returncode}\n{out}\n{err}"
        return out, err

    def finish(self, proc: subprocess.Popen) -> Run:
        out, err = self.wait(proc, "claude", CLAUDE_TIMEOUT)
        result = json.loads(out)
        assert result.get("is_error") is False, result
        return Run(proc.returncode, out, err, result["session_id"], result.get("result", ""))

    def run(self, prompt: str, *args: str, **env: str) -> Run:
        return self.finish(self.start(prompt, *args, **env))

    # -- gitmem's side

    @property
    def common_dir(self) -> Path:
        return discover(self.root).common_dir

    def spool_files(self) -> list[str]:
        folder = spool.spool_dir(self.common_dir)
        return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []

    def settle(self, *session_ids: str) -> None:
        """Wait (bounded) until every process this test started has exited, gitmem's spool is empty
        and the sessions are in the memory ref."""
        def settled() -> bool:
            return not tagged_processes(self.tag) and not self.spool_files() and all(map(self.recorded, session_ids))
        if not wait_until(settled, SETTLE_TIMEOUT):
            log = self.common_dir / "gitmem" / "gitmem.log"
            raise AssertionError(f"not settled after {SETTLE_TIMEOUT} s: processes {tagged_processes(self.tag)}, "
                                 f"spool {self.spool_files()}, recorded "
                                 f"{[(s, self.recorded(s)) for s in session_ids]}\n"
                                 f"{log.read_text() if log.exists() else ''}")

    def recorded(self, session_id: str) -> bool:
        try:
            return memory_ref.find_session(discover(self.root), session_id).summary is not None
        except GitmemError:
            return False

    def gitmem(self, *args: str) -> str:
        proc = subprocess.run([*GITMEM, *args], cwd=self.root, capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, f"gitmem {' '.join(args)} exited {proc.returncode}: {proc.stderr}"
        return proc.stdout

    def show(self, session_id: str) -> dict:
        return json.loads(self.gitmem("show", session_id, "--json"))

    def ref_files(self) -> list[str]:
        return git(self.root, "ls-tree", "-r", "--name-only", "refs/notes/gitmem").splitlines()

    def session_files(self, session_id: str) -> list[str]:
        return [f for f in self.ref_files() if f.startswith("sessions/") and f.split("/")[2] == session_id]


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # its own group: start_new_session=True
    except (ProcessLookupError, PermissionError):
        pass


@pytest.fixture
def e2e(tmp_path: Path, claude_bin: Path):
    root = make_repo(tmp_path / "payments")
    (root / "app.py").write_text("def post():\n    return 1\n")
    git(root, "add", "app.py")
    git(root, "commit", "-q", "-m", "payment service")
    init = subprocess.run([*GITMEM, "init"], cwd=root, capture_output=True, text=True, timeout=120)
    assert init.returncode == 0, init.stderr
    assert "gitmem/_hook.py" in (root / ".claude" / "settings.local.json").read_text()
    model = ScriptedModel()
    model.__enter__()
    env = E2E(root, model, claude_bin)
    try:
        yield env
    finally:
        stop_all(env)


def stop_all(env: E2E) -> None:
    """Stop every client the test started (its process group), wait (bounded) for what carries the test's
    process tag, kill what is left, close the model stand-in; fail when a process outlived the test."""
    for proc in env.procs:
        _kill_group(proc)
        try:
            proc.communicate(timeout=10)
        except (subprocess.TimeoutExpired, ValueError):
            pass
    wait_until(lambda: not tagged_processes(env.tag), 30)
    leftovers = tagged_processes(env.tag)
    for pid, _ in leftovers:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    env.model.close()
    assert not leftovers, f"processes left behind by the test: {leftovers}"


# -- what the model received -------------------------------------------------------------------------


def strings_in(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in strings_in(v)]
    if isinstance(value, list):
        return [s for v in value for s in strings_in(v)]
    return []


def hook_context(req: Request) -> str:
    """The gitmem brief as the model received it: the fenced text after "SessionStart hook additional context"."""
    for text in strings_in(req.body):
        if HOOK_CONTEXT in text and "<gitmem-memory>" in text:
            start = text.index("<gitmem-memory>")
            return text[start:text.index("</gitmem-memory>", start) + len("</gitmem-memory>")]
    return ""


# -- the sessions ------------------------------------------------------------------------------------

DECIDE = "E2E-DECIDE"
DECISION_TEXT = ("Done. We decided to use the outbox pattern for payment events because "
                 "the ledger must stay consistent.")


def decide_script(root: Path) -> Script:
    return Script(DECIDE, (
        tool("Read", file_path=str(root / "app.py")),
        tool("Edit", file_path=str(root / "app.py"), old_string="return 1", new_string="return 2"),
        tool("Write", file_path=str(root / "outbox.py"), content="OUTBOX = []\n"),
        tool("Grep", pattern="OUTBOX", path=str(root)),
    ), DECISION_TEXT)


def run_decide_session(e2e: E2E) -> Run:
    e2e.model.add(decide_script(e2e.root))
    run = e2e.run(f"{DECIDE} split the payment service")
    assert run.result == DECISION_TEXT
    e2e.settle(run.session_id)
    return run


# -- 1 -----------------------------------------------------------------------------------------------


def test_session_edits_and_decision_are_recorded_in_the_memory_ref(e2e: E2E) -> None:
    run = run_decide_session(e2e)
    # the tools really ran in the repository
    assert (e2e.root / "app.py").read_text() == "def post():\n    return 2\n"
    assert (e2e.root / "outbox.py").read_text() == "OUTBOX = []\n"
    assert not e2e.model.unscripted and not e2e.model.unknown
    assert all(r.headers.get("x-api-key") == "test-key" for r in e2e.model.agent_requests())  # headless, no login

    files = e2e.session_files(run.session_id)
    folder = f"sessions/{files[0].split('/')[1]}/{run.session_id}"
    assert f"{folder}/summary.md" in files and f"{folder}/obs-0001.yaml" in files

    shown = e2e.show(run.session_id)
    summary = shown["summary"]
    assert summary["request"] == f"{DECIDE} split the payment service"
    assert summary["agent"] == "claude-code" and summary["branch"] == "main"
    assert {"app.py", "outbox.py"} <= set(summary["files_modified"])
    assert "app.py" in summary["files_read"]
    [decision] = summary["decisions"]
    assert "outbox pattern" in decision["decision"]
    assert decision["rationale"] == "the ledger must stay consistent"
    kinds = {o["kind"] for o in shown["observations"]}
    assert {"session", "prompt", "read", "edit", "write"} <= kinds
    assert summary["observation_count"] == len(shown["observations"])
    # the decision is also proposed as a file people review
    proposed = list((e2e.root / ".gitmem" / "decisions").glob("*.md"))
    assert any("outbox pattern" in p.read_text() and run.session_id in p.read_text() for p in proposed)
    # and gitmem changed nothing of the user's: no commit, no staged file
    assert git(e2e.root, "log", "--format=%s", "main").splitlines() == ["payment service", "initial commit"]
    assert git(e2e.root, "diff", "--cached", "--name-only") == ""


# -- 2 -----------------------------------------------------------------------------------------------


def test_a_new_session_receives_the_brief_with_the_earlier_decision(e2e: E2E) -> None:
    first = run_decide_session(e2e)
    e2e.model.add(Script("E2E-RECALL", (tool("Read", file_path=str(e2e.root / "outbox.py")),),
                         "The outbox is in place."))
    second = e2e.run("E2E-RECALL what is the state of the outbox?")
    assert second.session_id != first.session_id

    [first_req, *_] = e2e.model.agent_requests(DECIDE)
    assert "outbox pattern" not in hook_context(first_req)  # nothing recorded yet when session 1 started
    requests = e2e.model.agent_requests("E2E-RECALL")
    assert requests and all(r.headers.get("x-claude-code-session-id") == second.session_id for r in requests)
    brief = hook_context(requests[0])
    assert brief, f"no gitmem brief in what the model received: {requests[0].text[:2000]}"
    assert any(t.startswith(HOOK_CONTEXT + ": <gitmem-memory>") for t in strings_in(requests[0].body))
    assert "not instructions" in brief
    assert "outbox pattern" in brief and "ledger must stay consistent" in brief
    assert first.session_id[:8] in brief  # where it came from
    e2e.settle(second.session_id)


# -- 3 -----------------------------------------------------------------------------------------------


def test_continue_updates_the_same_session_instead_of_adding_one(e2e: E2E) -> None:
    first = run_decide_session(e2e)
    before = e2e.session_files(first.session_id)
    summary_blob = git(e2e.root, "rev-parse", f"refs/notes/gitmem:{_folder(before)}/summary.md").strip()

    e2e.model.add(Script("E2E-CONTINUE", (tool("Write", file_path=str(e2e.root / "notes.py"), content="N = 1\n"),),
                         "Added notes.py next to the outbox."))
    second = e2e.run("E2E-CONTINUE add the notes module", "--continue")
    assert second.session_id == first.session_id
    requests = e2e.model.agent_requests("E2E-CONTINUE")
    assert requests and all(r.headers.get("x-claude-code-session-id") == first.session_id for r in requests)
    assert f"{DECIDE} split the payment service" in requests[0].text  # the conversation really went on
    e2e.settle(first.session_id)

    after = e2e.session_files(first.session_id)
    sessions = {f.split("/")[2] for f in e2e.ref_files() if f.startswith("sessions/")}
    assert sessions == {first.session_id}
    assert _folder(after) == _folder(before)
    new_obs = sorted(set(after) - set(before))
    assert new_obs and all(re.fullmatch(r".*/obs-\d{4}\.yaml", f) for f in new_obs), (before, after)
    assert max(new_obs) > max(f for f in before if "/obs-" in f)
    assert git(e2e.root, "rev-parse", f"refs/notes/gitmem:{_folder(after)}/summary.md").strip() != summary_blob

    shown = e2e.show(first.session_id)
    assert {"app.py", "outbox.py", "notes.py"} <= set(shown["summary"]["files_modified"])
    starts = [o.get("outcome") for o in shown["observations"] if o["kind"] == "session" and o["text"] == "start"]
    assert starts == ["startup", "resume"]
    assert shown["summary"]["observation_count"] == len(shown["observations"])
    assert len(json.loads(e2e.gitmem("log", "--json"))) == 1


def _folder(files: list[str]) -> str:
    [folder] = {f.rsplit("/", 1)[0] for f in files}
    return folder


# -- 4 -----------------------------------------------------------------------------------------------


def _random(alphabet: str, n: int) -> str:
    return "".join(random.SystemRandom().choices(alphabet, k=n))


STAND_IN_SUMMARY = {"title": "Read the uploader configuration", "request": "Check the uploader configuration",
                    "investigated": ["Read config.env"], "learned": [], "completed": ["Checked config.env"],
                    "next_steps": [], "dead_ends": [], "decisions": [], "tags": ["config"]}


@pytest.mark.parametrize("summarizer", ["offline", "anthropic"])
def test_a_secret_in_tool_output_leaves_no_trace_in_memory(e2e: E2E, summarizer: str) -> None:
    upper = string.ascii_uppercase + string.digits
    aws_key = "AKIA" + _random(upper, 16)
    aws_secret = _random(string.ascii_letters + string.digits + "/+", 40)
    ant_key = "sk-ant-api03-" + _random(string.ascii_letters + string.digits + "-_", 93) + "AA"
    secrets = [aws_key, aws_secret, ant_key]
    (e2e.root / "config.env").write_text(f"AWS_ACCESS_KEY_ID={aws_key}\nAWS_SECRET_ACCESS_KEY={aws_secret}\n"
                                         f"ANTHROPIC_API_KEY={ant_key}\nREGION=eu-west-1\n")
    e2e.model.forced_inputs["record_session_summary"] = STAND_IN_SUMMARY
    e2e.model.add(Script("E2E-SECRET", (tool("Bash", command="cat config.env", description="Show the config"),),
                         f"Done. The uploader uses AWS_ACCESS_KEY_ID={aws_key} in eu-west-1."))
    run = e2e.run("E2E-SECRET check the uploader configuration", GITMEM_SUMMARIZER=summarizer)
    # the secret really went through the session: the tool output the model received holds it
    assert any(aws_key in r.text and ant_key in r.text for r in e2e.model.agent_requests("E2E-SECRET"))
    assert aws_key in run.result
    e2e.settle(run.session_id)

    shown = e2e.show(run.session_id)
    assert any(o["kind"] == "command" and o.get("command") == "cat config.env" for o in shown["observations"])
    if summarizer == "anthropic":
        summarizer_requests = e2e.model.requests_with_tool("record_session_summary")
        assert summarizer_requests, "gitmem's worker sent no summarizer request to the stand-in"
        assert shown["summary"]["summarizer"] == "anthropic", shown["summary"]["fallback_reason"]
        assert shown["summary"]["title"] == STAND_IN_SUMMARY["title"]
        for req in summarizer_requests:
            assert "cat config.env" in req.text  # it did see the session
            _assert_no_secret(secrets, req.text, f"summarizer request {req.path}")

    history = git(e2e.root, "log", "-p", "--format=%H%n%B", "refs/notes/gitmem")
    assert "config.env" in history
    _assert_no_secret(secrets, history, "git log -p refs/notes/gitmem")
    objects = git(e2e.root, "rev-list", "--objects", "refs/notes/gitmem").split()
    blobs = subprocess.run(["git", "cat-file", "--batch"], cwd=e2e.root, capture_output=True, timeout=60,
                           input="\n".join(o for o in objects if len(o) == 40).encode() + b"\n").stdout
    _assert_no_secret(secrets, blobs.decode("utf-8", "replace"), "objects of refs/notes/gitmem")
    assert e2e.spool_files() == []
    state = e2e.common_dir / "gitmem"
    for path in [*state.rglob("*"), *(e2e.root / ".gitmem").rglob("*"), *Path(os.environ["GITMEM_HOME"]).rglob("*")]:
        if path.is_file():
            _assert_no_secret(secrets, path.read_bytes().decode("utf-8", "replace"), str(path))
    assert any("[REDACTED:" in o.get("text", "") for o in shown["observations"])  # redacted, not dropped


def _assert_no_secret(secrets: list[str], text: str, where: str) -> None:
    for secret in secrets:
        body = secret[-20:]  # a tail is a trace too (redaction that kept a prefix must not keep the rest)
        if secret in text or body in text:  # fail without printing the text: the message stays readable
            pytest.fail(f"secret {secret[:6]}… found in {where}", pytrace=False)


# -- 5 -----------------------------------------------------------------------------------------------


def test_two_sessions_at_once_are_both_recorded_and_leave_no_process(e2e: E2E) -> None:
    model = e2e.model
    release = threading.Event()

    def parallel(name: str, other: str) -> Script:
        # the final answer waits for the test and for the other session: both are certainly live at once
        return Script(name, (tool("Write", file_path=str(e2e.root / f"{name.lower()}.py"), content="X = 1\n"),
                             tool("Bash", command="git status --short", description="Status")),
                      f"Done with {name}.", hold=lambda: release.is_set() and bool(model.agent_requests(other)))

    model.add(parallel("E2E-PAR-A", "E2E-PAR-B"))
    model.add(parallel("E2E-PAR-B", "E2E-PAR-A"))
    procs = [e2e.start("E2E-PAR-A write the first module"), e2e.start("E2E-PAR-B write the second module")]
    pids = {p.pid for p in procs}
    # both sessions are running and spooling: the process scans see them, each has its spool file
    assert wait_until(lambda: pids <= {pid for pid, _ in tagged_processes(e2e.tag)}
                      and pids <= {pid for pid, _ in processes_in(e2e.root)}
                      and len([f for f in e2e.spool_files() if f.endswith(".jsonl")]) == 2
                      and len(model.agent_requests()) >= 6, 60), (e2e.spool_files(), len(model.agent_requests()))
    release.set()
    runs = [e2e.finish(p) for p in procs]
    assert model.hold_timeouts == 0
    ids = {run.session_id for run in runs}
    assert len(ids) == 2
    e2e.settle(*ids)

    logged = {entry["id"] for entry in json.loads(e2e.gitmem("log", "--json"))}
    assert logged == ids
    for run, name in zip(runs, ("e2e-par-a.py", "e2e-par-b.py")):
        summary = e2e.show(run.session_id)["summary"]
        assert name in summary["files_modified"], summary
    assert e2e.spool_files() == []
    assert json.loads((e2e.common_dir / "gitmem" / "last-flush.json").read_text())["outcome"] == "ok"
    # nothing left, found by tag and, should a process have dropped its environment, by where it runs
    assert tagged_processes(e2e.tag) == []
    assert processes_in(e2e.root) == []


# -- the gitmem plugin, installed and disabled by the real CLI (issue 14 item 11) ---------------------------


def test_status_and_init_see_the_plugin_the_real_cli_installed(claude_bin: Path, tmp_path: Path) -> None:
    market = tmp_path / "market"
    for part in (".claude-plugin", "hooks"):
        shutil.copytree(ROOT / part, market / "plugins" / "gitmem" / part)
    (market / ".claude-plugin").mkdir()
    (market / ".claude-plugin" / "marketplace.json").write_text(json.dumps({
        "name": "gitmem-local", "owner": {"name": "test"},
        "plugins": [{"name": "gitmem", "source": "./plugins/gitmem", "description": "gitmem"}]}))
    env = {**os.environ, "DISABLE_TELEMETRY": "1", "DISABLE_AUTOUPDATER": "1", "DISABLE_ERROR_REPORTING": "1",
           "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1"}  # HOME is the test's own (isolated_env)
    root = make_repo(tmp_path / "repo")

    def claude(*args: str) -> None:
        proc = subprocess.run([str(claude_bin), "plugin", *args], cwd=root, env=env, capture_output=True,
                              text=True, timeout=CLAUDE_TIMEOUT, stdin=subprocess.DEVNULL)
        assert proc.returncode == 0, proc.stdout + proc.stderr

    def gitmem(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([*GITMEM, *args], cwd=root, env=env, capture_output=True, text=True, timeout=120)

    claude("marketplace", "add", str(market))
    claude("install", "gitmem@gitmem-local", "--scope", "user")

    init = gitmem("init")
    status = json.loads(gitmem("status", "--json").stdout)["claude_hooks"]
    assert init.returncode == 0 and "via the gitmem plugin" in init.stdout, init.stdout + init.stderr
    assert not (root / ".claude" / "settings.local.json").exists()
    assert status["installed"] and status["plugin"]["plugin"] == "gitmem@gitmem-local"
    assert "install claude" not in gitmem("status").stdout

    claude("disable", "gitmem@gitmem-local", "--scope", "local")  # off for this project only
    assert json.loads(gitmem("status", "--json").stdout)["claude_hooks"]["plugin"] is None
    assert gitmem("install", "claude").returncode == 0
    assert json.loads(gitmem("status", "--json").stdout)["claude_hooks"]["installed"] is True
