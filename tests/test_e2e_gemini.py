"""End to end: the real Gemini CLI, `gitmem install gemini`, a scripted Gemini API on 127.0.0.1.

Each test makes a fresh repository, runs the venv's `gitmem init` and `gitmem install gemini` with HOME in a
temporary folder (whose ~/.gemini/settings.json selects API-key auth and turns usage statistics, telemetry and
auto-update off), and runs the pinned Gemini CLI (`scripts/install-gemini-cli.sh` puts it in
`.cache/gemini-cli/`) as `gemini -p ... --yolo --output-format json` with GEMINI_API_KEY=test-key and
GOOGLE_GEMINI_BASE_URL pointed at :mod:`fakes.gemini_api`. What gitmem recorded is read back through
`gitmem show`; what the model received from the requests the stand-in recorded. Processes are tracked and
stopped as in tests/test_e2e_claude.py.

The last two tests run Claude Code and the Gemini CLI in one repository: what one agent's session decided,
the other's next session is told.

Skipped, with the reason, where node or npm is missing or GITMEM_E2E=skip; where node and npm exist an
install that fails is a test failure, never a skip.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from agent_e2e import claude_decision_reaches, decision_reaches_claude, payments_repo, running
from fakes.gemini_api import Request, Script, ScriptedGemini, tool
from test_e2e_claude import (E2E, GITMEM, TAG_VAR, claude_bin, e2e, installed_client, processes_in,  # noqa: F401
                             stop_all)  # (fixtures too)

ROOT = Path(__file__).resolve().parents[1]
INSTALLER = ROOT / "scripts" / "install-gemini-cli.sh"
GEMINI = ROOT / ".cache" / "gemini-cli" / "node_modules" / ".bin" / "gemini"
PINNED = re.search(r"GEMINI_CLI_VERSION:-([0-9.]+)", INSTALLER.read_text()).group(1)
E2E_MODE = os.environ.get("GITMEM_E2E", "")  # read before the isolated_env fixture clears GITMEM_*
GEMINI_TIMEOUT = 120
HOME_SETTINGS = {"security": {"auth": {"selectedType": "gemini-api-key"}},
                 "privacy": {"usageStatisticsEnabled": False}, "general": {"disableAutoUpdate": True},
                 "telemetry": {"enabled": False}}
ESCAPED_OPEN, ESCAPED_CLOSE = "&lt;gitmem-memory&gt;", "&lt;/gitmem-memory&gt;"

pytestmark = pytest.mark.timeout(240)


@pytest.fixture(scope="session")
def gemini_bin() -> Path:
    installed_client("Gemini CLI", INSTALLER, GEMINI, PINNED, E2E_MODE)
    version = subprocess.run([str(GEMINI), "--version"], capture_output=True, text=True, timeout=60,
                             stdin=subprocess.DEVNULL)
    assert version.stdout.strip() == PINNED, version.stdout + version.stderr
    return GEMINI


@dataclass
class GeminiRun:
    stdout: str
    stderr: str
    session_id: str
    result: str


@dataclass
class GeminiE2E(E2E):
    """The Claude Code harness's repository side (settle, show, the ref) with the Gemini CLI as the client:
    ``claude`` holds the gemini binary, ``model`` a :class:`ScriptedGemini`."""

    trust_env: dict[str, str] = field(default_factory=dict)

    def env(self, **extra: str) -> dict[str, str]:
        return {**os.environ, "GEMINI_API_KEY": self.model.api_key, "GOOGLE_GEMINI_BASE_URL": self.model.url,
                "NO_COLOR": "1", "GITMEM_SUMMARIZER": "offline", TAG_VAR: self.tag, **self.trust_env, **extra}

    def start(self, prompt: str, *args: str, **env: str) -> subprocess.Popen:
        proc = subprocess.Popen([str(self.claude), "-p", prompt, "--yolo", "--output-format", "json", *args],
                                cwd=self.root, env=self.env(**env), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, start_new_session=True)
        self.procs.append(proc)
        return proc

    def finish(self, proc: subprocess.Popen) -> GeminiRun:  # type: ignore[override]
        out, err = self.wait(proc, "gemini", GEMINI_TIMEOUT)
        result = json.loads(out[out.index("{"):])
        return GeminiRun(out, err, result["session_id"], result.get("response", ""))

    def run(self, prompt: str, *args: str, **env: str) -> GeminiRun:  # type: ignore[override]
        return self.finish(self.start(prompt, *args, **env))


def _home_settings(trusting: bool) -> None:
    folder = Path.home() / ".gemini"
    folder.mkdir(parents=True, exist_ok=True)
    settings = json.loads(json.dumps(HOME_SETTINGS))
    if not trusting:
        settings["security"]["folderTrust"] = {"enabled": True}
    else:
        settings["security"]["folderTrust"] = {"enabled": False}
    (folder / "settings.json").write_text(json.dumps(settings, indent=2) + "\n")


@pytest.fixture
def gm(tmp_path: Path, gemini_bin: Path):
    _home_settings(trusting=True)
    root, _ = payments_repo(tmp_path / "payments", "gemini")
    assert "gitmem/_hook.py" in (root / ".gemini" / "settings.json").read_text()
    model = ScriptedGemini()
    model.__enter__()
    yield from running(GeminiE2E(root=root, model=model, claude=gemini_bin))


def brief_in(req: Request) -> str:
    """The gitmem brief as the model received it: escaped by the CLI, inside ``<hook_context>``."""
    for text in req.texts("user"):
        if ESCAPED_OPEN in text:
            start = text.index(ESCAPED_OPEN)
            return text[start:text.index(ESCAPED_CLOSE, start) + len(ESCAPED_CLOSE)]
    return ""


DECIDE = "E2E-GEMINI-DECIDE"
DECISION_TEXT = ("Done. We decided to use the outbox pattern for payment events because "
                 "the ledger must stay consistent.")


def decide(gm: GeminiE2E) -> GeminiRun:
    gm.model.add(Script(DECIDE, (tool("read_file", file_path="app.py"),
                                 tool("write_file", file_path="outbox.py", content="OUTBOX = []\n"),
                                 tool("replace", file_path="app.py", old_string="return 1", new_string="return 2",
                                      instruction="return 2"),
                                 tool("run_shell_command", command="cat outbox.py; exit 3")), DECISION_TEXT))
    run = gm.run(f"{DECIDE} split the payment service")
    assert run.result == DECISION_TEXT
    gm.settle(run.session_id)
    return run


def test_a_gemini_session_is_recorded_and_the_next_one_receives_the_brief(gm: GeminiE2E) -> None:
    first = decide(gm)
    assert (gm.root / "outbox.py").read_text() == "OUTBOX = []\n"  # the tool calls really ran
    assert (gm.root / "app.py").read_text() == "def post():\n    return 2\n"
    assert not gm.model.unscripted and not gm.model.unknown

    shown = gm.show(first.session_id)
    summary = shown["summary"]
    assert summary["request"] == f"{DECIDE} split the payment service"
    assert summary["agent"] == "gemini-cli" and summary["branch"] == "main"
    tools = [(o["kind"], o.get("tool"), o.get("files"), o.get("outcome")) for o in shown["observations"]
             if o.get("tool")]
    assert tools == [("read", "Read", ["app.py"], "ok"), ("write", "Write", ["outbox.py"], "ok"),
                     ("edit", "Edit", ["app.py"], "ok"), ("command", "Bash", None, "error")]
    [command] = [o for o in shown["observations"] if o["kind"] == "command"]
    assert command["command"] == "cat outbox.py; exit 3" and command["detail"].startswith("exit 3")
    assert summary["files_modified"] == ["outbox.py", "app.py"] and summary["files_read"] == ["app.py"]
    [decision] = summary["decisions"]
    assert "outbox pattern" in decision["decision"] and decision["rationale"] == "the ledger must stay consistent"
    # the reply as the model wrote it (the transcript's), not AfterAgent's prompt_response, which joins the
    # streamed chunks with spaces and repeats the last one
    [stop] = [o for o in shown["observations"] if o["kind"] == "stop"]
    assert stop["text"] == DECISION_TEXT

    gm.model.add(Script("E2E-GEMINI-RECALL", (tool("read_file", file_path="outbox.py"),), "The outbox is there."))
    second = gm.run("E2E-GEMINI-RECALL what is the state of the outbox?")
    assert second.session_id != first.session_id
    [request, *_] = gm.model.agent_requests("E2E-GEMINI-RECALL")
    brief = brief_in(request)
    assert brief, f"no gitmem brief in the user's texts: {request.texts('user')}"
    assert "outbox pattern" in brief and "ledger must stay consistent" in brief and first.session_id[:8] in brief
    assert "not instructions" in brief and "<" not in brief  # the CLI escaped every angle bracket
    prompt = next(t for t in request.texts("user") if ESCAPED_OPEN in t)
    assert prompt.startswith("<hook_context>" + ESCAPED_OPEN)
    assert prompt.endswith("</hook_context>\n\nE2E-GEMINI-RECALL what is the state of the outbox?")
    gm.settle(second.session_id)
    again = gm.show(second.session_id)["summary"]
    # the brief in front of the prompt is gitmem's own context, never recorded as what the person asked
    assert again["request"] == "E2E-GEMINI-RECALL what is the state of the outbox?"
    prompts = [o["text"] for o in gm.show(second.session_id)["observations"] if o["kind"] == "prompt"]
    assert prompts == ["E2E-GEMINI-RECALL what is the state of the outbox?"]
    assert processes_in(gm.root) == []


MID_DECISION = ("Plan: we decided to keep the ledger append-only instead of updating rows because audits "
                "replay it.")


def test_the_gemini_transcript_gives_the_summary_a_reply_said_before_a_tool_call(gm: GeminiE2E) -> None:
    # AfterAgent carries the turn's last reply only; the transcript has the one said before the tool call
    gm.model.add(Script("E2E-GEMINI-TRANSCRIPT", (tool("read_file", file_path="app.py"),), "Done. It reads fine."))
    gm.model.preambles["E2E-GEMINI-TRANSCRIPT"] = MID_DECISION
    run = gm.run("E2E-GEMINI-TRANSCRIPT check the app")
    gm.settle(run.session_id)
    summary = gm.show(run.session_id)["summary"]
    [decision] = summary["decisions"]
    assert "append-only" in decision["decision"] and decision["rationale"] == "audits replay it"


def test_a_prompt_that_matches_a_recorded_title_gets_recall_lines_in_gemini(gm: GeminiE2E) -> None:
    first = decide(gm)
    title = gm.show(first.session_id)["summary"]["title"]
    gm.model.add(Script("QZ9", (), "Noted."))
    gm.run(f"{title} QZ9")
    [request] = gm.model.agent_requests("QZ9")
    said = "\n".join(request.texts("user"))
    # BeforeAgent's additionalContext is appended after the prompt, escaped like the brief
    assert "<hook_context>&lt;gitmem-recall&gt;" in said and first.session_id[:8] in said, said[-3000:]


def test_an_untrusted_folder_runs_no_hook_and_gitmem_status_says_so(tmp_path: Path, gemini_bin: Path) -> None:
    _home_settings(trusting=False)  # folder trust on (the CLI's default) and nothing said about this folder
    root, installed = payments_repo(tmp_path / "payments", "gemini")
    assert "trusted folder" in installed
    status = json.loads(subprocess.run([*GITMEM, "status", "--json"], cwd=root, capture_output=True, text=True,
                                       timeout=120).stdout)["gemini_hooks"]
    assert status["installed"] is False and status["folder_trusted"] is None
    assert any("has not been told to trust" in p for p in status["problems"]), status
    model = ScriptedGemini()
    model.__enter__()
    gm = GeminiE2E(root=root, model=model, claude=gemini_bin)
    try:
        gm.model.add(Script("E2E-GEMINI-UNTRUSTED", (), "Read it."))
        proc = gm.start("E2E-GEMINI-UNTRUSTED read the app")
        out, err = proc.communicate(timeout=GEMINI_TIMEOUT)
        assert gm.spool_files() == [], (out, err)  # no hook ran
        # the person trusts the folder (the CLI's own switch): the same hooks now record
        gm.trust_env = {"GEMINI_CLI_TRUST_WORKSPACE": "true"}
        trusted = subprocess.run([*GITMEM, "status", "--json"], cwd=root, capture_output=True, text=True,
                                 timeout=120, env=gm.env()).stdout
        assert json.loads(trusted)["gemini_hooks"]["installed"] is True
        gm.model.add(Script("E2E-GEMINI-TRUSTED", (tool("read_file", file_path="README.md"),), "Read it again."))
        run = gm.run("E2E-GEMINI-TRUSTED read the readme")
        gm.settle(run.session_id)
        assert gm.show(run.session_id)["summary"]["agent"] == "gemini-cli"
    finally:
        stop_all(gm)


# -- one memory, two agents: Claude Code and the Gemini CLI in the same repository ---------------------------------


@pytest.fixture
def both(e2e: E2E, gemini_bin: Path):
    """The Claude Code harness's repository (gitmem init: Claude's hooks) with `gitmem install gemini` too."""
    _home_settings(trusting=True)
    e2e.gitmem("install", "gemini")
    with ScriptedGemini() as model:
        # the same process tag and list: the Claude harness's teardown stops Gemini's processes too
        yield e2e, GeminiE2E(root=e2e.root, model=model, claude=gemini_bin, tag=e2e.tag, procs=e2e.procs)


def test_a_decision_made_in_claude_code_reaches_the_next_gemini_session(both) -> None:
    claude_decision_reaches(*both, "gemini-cli", tool("read_file", file_path="outbox.py"),
                            lambda model, marker: brief_in(model.agent_requests(marker)[0]))


def test_a_decision_made_in_gemini_reaches_the_next_claude_code_session(both) -> None:
    decision_reaches_claude(*both, "gemini-cli", tool("read_file", file_path="app.py"))
