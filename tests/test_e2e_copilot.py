"""End to end: the real GitHub Copilot CLI, `gitmem install copilot`, a scripted Responses API on 127.0.0.1.

Each test makes a fresh repository, runs the venv's `gitmem init --no-hooks` and `gitmem install copilot` with
COPILOT_HOME in a temporary folder, trusts the folder the way a person does (``trustedFolders`` in
``$COPILOT_HOME/config.json``), and runs the pinned Copilot CLI (`scripts/install-copilot.sh` puts it in
`.cache/copilot/`) as `copilot -p`, offline (``COPILOT_OFFLINE=true``: no GitHub sign-in, no telemetry, no update
check) with its BYOK provider pointed at :mod:`fakes.responses_api`. What gitmem recorded is read back through
`gitmem show`; what the model received from the requests the stand-in recorded. Processes are tracked and
stopped as in tests/test_e2e_claude.py. The last two tests run Claude Code and Copilot in one repository: what
one agent's session decided, the other's next session is told.

Skipped, with the reason, where node or npm is missing or GITMEM_E2E=skip; where node and npm exist an
install that fails is a test failure, never a skip.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from agent_e2e import claude_decision_reaches, decision_reaches_claude, payments_repo, running
from fakes.responses_api import Request, Script, ScriptedResponses, patch, tool
from test_e2e_claude import (E2E, TAG_VAR, _kill_group, claude_bin, e2e, installed_client,  # noqa: F401
                             processes_in)  # (fixtures too)

ROOT = Path(__file__).resolve().parents[1]
INSTALLER = ROOT / "scripts" / "install-copilot.sh"
COPILOT = ROOT / ".cache" / "copilot" / "node_modules" / ".bin" / "copilot"
PKG_CACHE = ROOT / ".cache" / "copilot" / "pkg-home"   # the client's unpacked JavaScript, shared by the tests
PINNED = re.search(r"COPILOT_VERSION:-([0-9.]+)", INSTALLER.read_text()).group(1)
E2E_MODE = os.environ.get("GITMEM_E2E", "")  # read before the isolated_env fixture clears GITMEM_*
COPILOT_TIMEOUT = 120

pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="session")
def copilot_bin() -> Path:
    installed_client("Copilot CLI", INSTALLER, COPILOT, PINNED, E2E_MODE)
    version = subprocess.run([str(COPILOT), "--version"], capture_output=True, text=True, timeout=120,
                             stdin=subprocess.DEVNULL, env={**os.environ, "COPILOT_PKG_CACHE_HOME": str(PKG_CACHE),
                                                            "COPILOT_AUTO_UPDATE": "false"})
    assert f"GitHub Copilot CLI {PINNED}" in version.stdout, version.stdout + version.stderr
    return COPILOT


@dataclass
class CopilotRun:
    stdout: str
    stderr: str
    session_id: str


@dataclass
class CopilotE2E(E2E):
    """The Claude Code harness's repository side (settle, show, the ref) with Copilot as the client:
    ``claude`` holds the copilot binary, ``model`` a :class:`ScriptedResponses`, ``home`` is COPILOT_HOME."""

    home: Path = field(default=Path("/nonexistent"))

    def env(self, **extra: str) -> dict[str, str]:
        return {**os.environ, "COPILOT_HOME": str(self.home), "COPILOT_PKG_CACHE_HOME": str(PKG_CACHE),
                "COPILOT_OFFLINE": "true", "COPILOT_AUTO_UPDATE": "false",
                "COPILOT_PROVIDER_BASE_URL": self.model.url + "/v1", "COPILOT_PROVIDER_API_KEY": self.model.api_key,
                "COPILOT_PROVIDER_WIRE_API": "responses", "COPILOT_MODEL": "claude-sonnet-4.5",
                "GITMEM_SUMMARIZER": "offline", TAG_VAR: self.tag, **extra}

    def run(self, prompt: str, *args: str, **env: str) -> CopilotRun:  # type: ignore[override]
        session_id = str(uuid.uuid4())
        proc = subprocess.Popen([str(self.claude), "-p", prompt, f"--session-id={session_id}", "--allow-all-tools",
                                 "--no-auto-update", "--disable-client-telemetry", *args],
                                cwd=self.root, env=self.env(**env), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, start_new_session=True)
        self.procs.append(proc)
        try:
            out, err = proc.communicate(timeout=COPILOT_TIMEOUT)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            out, err = proc.communicate(timeout=10)
            raise AssertionError(f"copilot did not finish in {COPILOT_TIMEOUT} s\n{out}\n{err}\n"
                                 f"unknown requests: {self.model.unknown}") from None
        assert proc.returncode == 0, f"copilot exited {proc.returncode}\n{out}\n{err}"
        return CopilotRun(out, err, session_id)


def trust_folder(home: Path, folder: Path) -> None:
    """What a person's "trust this folder" answer writes: Copilot's config.json, comments and all."""
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.json").write_text("// User settings belong in settings.json.\n// This file is managed "
                                      "automatically.\n" + json.dumps({"trustedFolders": [str(folder)]}, indent=2))


@pytest.fixture
def cp(tmp_path: Path, copilot_bin: Path, monkeypatch: pytest.MonkeyPatch):
    home = tmp_path / "copilot-home"
    monkeypatch.setenv("COPILOT_HOME", str(home))  # for gitmem's commands and Copilot alike
    root, installed = payments_repo(tmp_path / "payments", "copilot")
    assert "trusted folder" in installed  # not trusted yet: the install says what Copilot needs
    assert "gitmem/_hook.py" in (root / ".github" / "hooks" / "gitmem.json").read_text()
    trust_folder(home, root)
    model = ScriptedResponses()
    model.__enter__()
    yield from running(CopilotE2E(root=root, model=model, claude=copilot_bin, home=home))  # type: ignore[arg-type]


def brief_in(req: Request) -> tuple[int, str]:
    """(input index, the fenced gitmem brief) of the user message that holds it, or (-1, '')."""
    for i, item in enumerate(req.input):
        text = json.dumps(item.get("content"))
        if item.get("role") == "user" and "<gitmem-memory>" in text:
            body = "\n".join(c.get("text", "") for c in item["content"] if isinstance(c, dict))
            start = body.index("<gitmem-memory>")
            return i, body[start:body.index("</gitmem-memory>", start) + len("</gitmem-memory>")]
    return -1, ""


DECIDE = "E2E-COPILOT-DECIDE"
DECISION_TEXT = ("Done. We decided to use the outbox pattern for payment events because "
                 "the ledger must stay consistent.")


def test_a_copilot_session_is_recorded_and_the_next_one_receives_the_brief(cp: CopilotE2E) -> None:
    status = cp.gitmem("status")
    assert "copilot hooks: installed in .github/hooks/gitmem.json, folder trusted" in status
    cp.model.add(Script(DECIDE, (tool("bash", command="cat app.py", description="Read the app"),
                                 tool("create", path=str(cp.root / "outbox.py"), file_text="OUTBOX = []\n"),
                                 tool("bash", command="exit 3", description="Fail on purpose")), DECISION_TEXT))
    first = cp.run(f"{DECIDE} split the payment service")
    assert (cp.root / "outbox.py").read_text() == "OUTBOX = []\n"  # the tool calls really ran
    cp.settle(first.session_id)
    assert not cp.model.unscripted and not cp.model.unknown

    shown = cp.show(first.session_id)
    summary = shown["summary"]
    assert summary["agent"] == "copilot" and summary["branch"] == "main"
    assert summary["request"] == f"{DECIDE} split the payment service"
    commands = [(o.get("command"), o.get("outcome"), o.get("detail")) for o in shown["observations"]
                if o["kind"] == "command"]
    assert commands == [("cat app.py", "ok", "exit 0"), ("exit 3", "error", "exit 3")]
    assert "outbox.py" in summary["files_modified"]
    [first_req, *_] = cp.model.agent_requests()
    assert brief_in(first_req) == (-1, "")  # nothing was recorded when session 1 started

    cp.model.add(Script("E2E-COPILOT-RECALL", (tool("bash", command="cat outbox.py", description="Read"),),
                        "The outbox is in place."))
    second = cp.run("E2E-COPILOT-RECALL what is the state of the outbox?")
    requests = [r for r in cp.model.agent_requests() if "E2E-COPILOT-RECALL" in json.dumps(r.input[-3:])]
    assert requests, "no model request of session 2"
    at, brief = brief_in(requests[0])
    assert brief, f"no gitmem brief among the user messages: {requests[0].messages('user')}"
    assert "outbox pattern" in brief and first.session_id[:8] in brief
    # the brief is a user message of its own, right before the prompt, and only once
    assert "E2E-COPILOT-RECALL" in json.dumps(requests[0].input[at + 1])
    assert sum("<gitmem-memory>" in json.dumps(i) for i in requests[0].input) == 1
    cp.settle(second.session_id)
    assert cp.show(second.session_id)["summary"]["agent"] == "copilot"
    assert processes_in(cp.root) == []


def test_a_prompt_that_matches_a_recorded_title_gets_recall_lines_in_copilot(cp: CopilotE2E) -> None:
    # UserPromptSubmit: the hook answers Copilot's way (a top-level additionalContext), and the model sees it
    cp.model.add(Script(DECIDE, (tool("bash", command="cat app.py", description="Read the app"),), DECISION_TEXT))
    first = cp.run(f"{DECIDE} split the payment service")
    cp.settle(first.session_id)
    title = cp.show(first.session_id)["summary"]["title"]
    cp.model.add(Script("QZ9", (), "Noted."))
    cp.run(f"{title} QZ9")
    [request] = [r for r in cp.model.agent_requests() if "QZ9" in json.dumps(r.input[-2:])]
    said = " ".join(request.messages("user") + request.messages("developer") + request.messages("system"))
    assert "<gitmem-recall>" in said and first.session_id[:8] in said, said[-3000:]


def test_in_an_untrusted_folder_copilot_skips_the_hooks_silently_and_gitmem_status_says_so(cp: CopilotE2E) -> None:
    (cp.home / "config.json").write_text('{"trustedFolders": []}\n')
    status = json.loads(cp.gitmem("status", "--json"))["copilot_hooks"]
    assert status["installed"] is False and status["folder_trusted"] is False
    assert any("trusted folder" in p for p in status["problems"]), status
    cp.model.add(Script("E2E-COPILOT-UNTRUSTED", (tool("bash", command="cat app.py", description="Read"),), "Read."))
    run = cp.run("E2E-COPILOT-UNTRUSTED read the app")
    assert "hook" not in run.stderr.lower()   # Copilot says nothing about the hooks it skipped
    assert cp.spool_files() == [] and not cp.recorded(run.session_id)   # and gitmem got nothing


PATCH_MODEL = "gpt-5.4"   # a GPT model id: Copilot offers apply_patch (freeform) instead of edit and create
OUTBOX_PATCH = ("*** Begin Patch\n*** Update File: app.py\n@@\n def post():\n-    return 1\n+    return outbox()\n"
                "*** Add File: outbox.py\n+# payment events wait here until the ledger commits\n+OUTBOX = []\n"
                "*** End Patch\n")


def test_a_copilot_edit_made_through_apply_patch_is_recorded_for_each_file_it_touches(cp: CopilotE2E) -> None:
    cp.model.add(Script("E2E-COPILOT-PATCH", (patch(OUTBOX_PATCH), patch("*** Begin Patch\n*** Update File: "
                                                                         "gone.py\n@@\n-x\n+y\n*** End Patch\n")),
                        "Done. The app posts through the outbox."))
    run = cp.run("E2E-COPILOT-PATCH move posting to an outbox", COPILOT_MODEL=PATCH_MODEL)
    [request, *_] = cp.model.agent_requests()
    assert "apply_patch" in request.custom_tools and "edit" not in request.tool_names
    assert (cp.root / "app.py").read_text() == "def post():\n    return outbox()\n"   # the patch really applied
    cp.settle(run.session_id)
    assert not cp.model.unscripted and not cp.model.unknown

    shown = cp.show(run.session_id)
    assert shown["summary"]["agent"] == "copilot"
    assert set(shown["summary"]["files_modified"]) == {"app.py", "outbox.py"}
    edits = [(o["kind"], o["files"], o["outcome"]) for o in shown["observations"] if o.get("tool") == "apply_patch"]
    assert edits == [("edit", ["app.py"], "ok"), ("write", ["outbox.py"], "ok"), ("edit", ["gone.py"], "error")]
    assert run.session_id[:8] in cp.gitmem("why", "outbox.py")   # decisions and sessions by path see it


# -- one memory, two agents: Claude Code and Copilot in the same repository -------------------------------------


@pytest.fixture
def both(e2e: E2E, copilot_bin: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The Claude Code harness's repository (gitmem init: Claude's hooks) with `gitmem install copilot` too."""
    home = tmp_path / "copilot-home"
    monkeypatch.setenv("COPILOT_HOME", str(home))
    e2e.gitmem("install", "copilot")
    trust_folder(home, e2e.root)
    with ScriptedResponses() as model:
        # the same process tag and list: the Claude harness's teardown stops Copilot's processes too
        yield e2e, CopilotE2E(root=e2e.root, model=model, claude=copilot_bin, tag=e2e.tag,  # type: ignore[arg-type]
                              procs=e2e.procs, home=home)


def test_a_decision_made_in_claude_code_reaches_the_next_copilot_session(both) -> None:
    def brief_of(model: ScriptedResponses, marker: str) -> str:
        [request, *_] = [r for r in model.agent_requests() if marker in json.dumps(r.input)]
        return brief_in(request)[1]

    claude_decision_reaches(*both, "copilot", tool("bash", command="cat outbox.py", description="Read"), brief_of)


def test_a_decision_made_in_copilot_reaches_the_next_claude_code_session(both) -> None:
    decision_reaches_claude(*both, "copilot", tool("bash", command="cat app.py", description="Read"))
