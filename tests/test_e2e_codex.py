"""End to end: the real Codex CLI, `gitmem install codex`, a scripted Responses API on 127.0.0.1.

Each test makes a fresh repository, runs the venv's `gitmem init` and `gitmem install codex` with CODEX_HOME in a
temporary folder, and runs the pinned Codex CLI (`scripts/install-codex.sh` puts it in `.cache/codex/`) as
`codex exec --json`, pointed at :mod:`fakes.responses_api` through a custom model provider, with analytics,
update checks, apps and plugins off (with those off it makes no other connection: tests/data/codex/README.md).
What gitmem recorded is read back through the store and `gitmem show`; what the model received from the
requests the stand-in recorded. Processes are tracked and stopped as in tests/test_e2e_claude.py. The last two
tests run both real clients in one repository: what one agent's session decided, the other's next session is told.

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
from fakes.responses_api import Request, Script, ScriptedResponses, patch, tool
from test_e2e_claude import (E2E, TAG_VAR, claude_bin, e2e, installed_client, processes_in)  # noqa: F401

ROOT = Path(__file__).resolve().parents[1]
INSTALLER = ROOT / "scripts" / "install-codex.sh"
CODEX = ROOT / ".cache" / "codex" / "node_modules" / ".bin" / "codex"
PINNED = re.search(r"CODEX_VERSION:-([0-9.]+)", INSTALLER.read_text()).group(1)
E2E_MODE = os.environ.get("GITMEM_E2E", "")  # read before the isolated_env fixture clears GITMEM_*
QUIET = ["-c", "analytics.enabled=false", "-c", "check_for_update_on_startup=false",
         "--disable", "apps", "--disable", "plugins", "--disable", "remote_plugin"]
CODEX_TIMEOUT = 120

pytestmark = pytest.mark.timeout(240)


@pytest.fixture(scope="session")
def codex_bin() -> Path:
    installed_client("Codex CLI", INSTALLER, CODEX, PINNED, E2E_MODE)
    version = subprocess.run([str(CODEX), "--version"], capture_output=True, text=True, timeout=60,
                             stdin=subprocess.DEVNULL, env={**os.environ, "CODEX_HOME": "/nonexistent"})
    assert version.stdout.strip() == f"codex-cli {PINNED}", version.stdout + version.stderr
    return CODEX


@dataclass
class CodexRun:
    stdout: str
    stderr: str
    session_id: str
    result: str


@dataclass
class CodexE2E(E2E):
    """The Claude Code harness's repository side (settle, show, the ref) with Codex as the client:
    ``claude`` holds the codex binary, ``model`` a :class:`ScriptedResponses`, ``home`` is CODEX_HOME."""

    home: Path = field(default=Path("/nonexistent"))

    def env(self, **extra: str) -> dict[str, str]:
        return {**os.environ, "CODEX_HOME": str(self.home), "CODEX_STANDIN_KEY": self.model.api_key,
                "GITMEM_SUMMARIZER": "offline", TAG_VAR: self.tag, **extra}

    def start(self, prompt: str, *args: str, **env: str) -> subprocess.Popen:
        proc = subprocess.Popen([str(self.claude), "exec", "--json", *self.model.provider_config(), *QUIET, *args,
                                 prompt], cwd=self.root, env=self.env(**env), stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
        self.procs.append(proc)
        return proc

    def finish(self, proc: subprocess.Popen) -> CodexRun:  # type: ignore[override]
        out, err = self.wait(proc, "codex", CODEX_TIMEOUT)
        events = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
        [thread] = [e["thread_id"] for e in events if e.get("type") == "thread.started"]
        texts = [e["item"]["text"] for e in events
                 if e.get("type") == "item.completed" and e["item"].get("type") == "agent_message"]
        return CodexRun(out, err, thread, texts[-1] if texts else "")

    def run(self, prompt: str, *args: str, **env: str) -> CodexRun:  # type: ignore[override]
        return self.finish(self.start(prompt, *args, **env))


@pytest.fixture
def cx(tmp_path: Path, codex_bin: Path, monkeypatch: pytest.MonkeyPatch):
    home = tmp_path / "codex-home"
    monkeypatch.setenv("CODEX_HOME", str(home))  # for gitmem's commands and Codex alike
    root, _ = payments_repo(tmp_path / "payments", "codex")
    assert "gitmem/_hook.py" in (root / ".codex" / "hooks.json").read_text()
    model = ScriptedResponses()
    model.__enter__()
    yield from running(CodexE2E(root=root, model=model, claude=codex_bin, home=home))


def brief_in(req: Request) -> str:
    """The gitmem brief as the model received it: a developer message holding the fenced text."""
    for text in req.messages("developer"):
        if "<gitmem-memory>" in text:
            start = text.index("<gitmem-memory>")
            return text[start:text.index("</gitmem-memory>", start) + len("</gitmem-memory>")]
    return ""


DECIDE = "E2E-CODEX-DECIDE"
DECISION_TEXT = ("Done. We decided to use the outbox pattern for payment events because "
                 "the ledger must stay consistent.")


def test_a_codex_session_is_recorded_and_the_next_one_receives_the_brief(cx: CodexE2E) -> None:
    cx.model.add(Script(DECIDE, (tool("exec_command", cmd="cat app.py"),
                                 tool("exec_command", cmd="printf 'OUTBOX = []\\n' > outbox.py")), DECISION_TEXT))
    # --trust: the person trusts the project (Codex loads .codex/ only then); gitmem trusted its own hooks
    first = cx.run(f"{DECIDE} split the payment service", "--trust")
    assert first.result == DECISION_TEXT
    assert (cx.root / "outbox.py").read_text() == "OUTBOX = []\n"  # the tool calls really ran
    cx.settle(first.session_id)
    assert not cx.model.unscripted and not cx.model.unknown

    shown = cx.show(first.session_id)
    summary = shown["summary"]
    assert summary["request"] == f"{DECIDE} split the payment service"
    assert summary["agent"] == "codex" and summary["branch"] == "main"
    commands = [o.get("command") for o in shown["observations"] if o["kind"] == "command"]
    assert commands == ["cat app.py", "printf 'OUTBOX = []\\n' > outbox.py"]
    [decision] = summary["decisions"]
    assert "outbox pattern" in decision["decision"] and decision["rationale"] == "the ledger must stay consistent"
    [first_req, *_] = cx.model.agent_requests(DECIDE)
    assert "outbox pattern" not in brief_in(first_req)  # nothing was recorded when session 1 started

    cx.model.add(Script("E2E-CODEX-RECALL", (tool("exec_command", cmd="cat outbox.py"),), "The outbox is in place."))
    second = cx.run("E2E-CODEX-RECALL what is the state of the outbox?")
    assert second.session_id != first.session_id
    requests = cx.model.agent_requests("E2E-CODEX-RECALL")
    assert requests and all(r.headers.get("session-id") == second.session_id for r in requests)
    brief = brief_in(requests[0])
    assert brief, f"no gitmem brief among the developer messages: {requests[0].messages('developer')}"
    assert "outbox pattern" in brief and "ledger must stay consistent" in brief
    assert first.session_id[:8] in brief
    # the brief is a developer message of its own, placed before the prompt
    items = requests[0].input
    at = next(i for i, it in enumerate(items) if it.get("role") == "developer" and "<gitmem-memory>" in json.dumps(it))
    assert items[at + 1]["role"] == "user" and "E2E-CODEX-RECALL" in json.dumps(items[at + 1])
    cx.settle(second.session_id)
    assert processes_in(cx.root) == []


MID_DECISION = ("Plan: we decided to keep the ledger append-only instead of updating rows because audits "
                "replay it.")


def test_the_codex_transcript_gives_the_summary_every_reply_and_each_commands_exit_code(cx: CodexE2E) -> None:
    # Codex's hooks carry neither: PostToolUse has a command's output alone, Stop the last reply alone
    cx.model.add(Script("E2E-CODEX-TRANSCRIPT", (tool("exec_command", cmd="cat app.py; exit 3"),
                                                 tool("exec_command", cmd="cat app.py")), "Done. It reads fine."))
    cx.model.preambles["E2E-CODEX-TRANSCRIPT"] = MID_DECISION
    run = cx.run("E2E-CODEX-TRANSCRIPT check the app", "--trust")
    cx.settle(run.session_id)
    shown = cx.show(run.session_id)
    commands = [(o["command"], o.get("outcome"), o.get("detail", "")[:6]) for o in shown["observations"]
                if o["kind"] == "command"]
    assert commands == [("cat app.py; exit 3", "error", "exit 3"), ("cat app.py", "ok", "exit 0")]
    [decision] = shown["summary"]["decisions"]
    assert "append-only" in decision["decision"] and decision["rationale"] == "audits replay it"
    assert shown["summary"]["agent"] == "codex"


def test_a_prompt_that_matches_a_recorded_title_gets_recall_lines_in_codex(cx: CodexE2E) -> None:
    # UserPromptSubmit additionalContext reaches Codex's model as it does Claude Code's
    cx.model.add(Script(DECIDE, (tool("exec_command", cmd="cat app.py"),), DECISION_TEXT))
    first = cx.run(f"{DECIDE} split the payment service", "--trust")
    cx.settle(first.session_id)
    title = cx.show(first.session_id)["summary"]["title"]
    cx.model.add(Script("QZ9", (), "Noted."))
    cx.run(f"{title} QZ9")
    [request] = cx.model.agent_requests("QZ9")
    said = " ".join(request.messages("developer") + request.messages("user"))
    assert "<gitmem-recall>" in said and first.session_id[:8] in said, said[-3000:]


def test_untrusted_hooks_are_skipped_silently_and_gitmem_status_says_so(cx: CodexE2E) -> None:
    config = cx.home / "config.toml"
    trusted = config.read_text()
    config.write_text(f'[projects."{cx.root}"]\ntrust_level = "trusted"\n')  # the project, not the hooks
    status = json.loads(cx.gitmem("status", "--json"))["codex_hooks"]
    assert status["installed"] is False and status["trusted"] == []
    assert any("skip gitmem's SessionStart" in p for p in status["problems"]), status

    cx.model.add(Script("E2E-CODEX-UNTRUSTED", (tool("exec_command", cmd="cat app.py"),), "Read it."))
    run = cx.run("E2E-CODEX-UNTRUSTED read the app")
    assert run.result == "Read it."
    said = run.stderr.replace(str(cx.home.parent), "<tmp>").lower()
    assert "hook" not in said, said  # Codex says nothing about the hooks it skipped
    assert cx.spool_files() == [] and not cx.recorded(run.session_id)

    cx.gitmem("install", "codex")
    assert set(trusted.splitlines()) <= set(config.read_text().splitlines())
    assert json.loads(cx.gitmem("status", "--json"))["codex_hooks"]["installed"] is True
    cx.model.add(Script("E2E-CODEX-TRUSTED", (tool("exec_command", cmd="cat app.py"),), "Read it again."))
    again = cx.run("E2E-CODEX-TRUSTED read the app")
    cx.settle(again.session_id)
    assert [o.get("command") for o in cx.show(again.session_id)["observations"] if o["kind"] == "command"] \
        == ["cat app.py"]


PATCH_MODEL = "gpt-5.5"   # a model in Codex's catalog: offered apply_patch (freeform), unlike gpt-standin
OUTBOX_PATCH = ("*** Begin Patch\n*** Update File: app.py\n@@\n def post():\n-    return 1\n+    return outbox()\n"
                "*** Add File: outbox.py\n+# payment events wait here until the ledger commits\n+OUTBOX = []\n"
                "*** End Patch\n")


def test_a_codex_edit_made_through_apply_patch_is_recorded_for_each_file_it_touches(cx: CodexE2E) -> None:
    cx.model.add(Script("E2E-CODEX-PATCH", (patch(OUTBOX_PATCH),), "Done. The app posts through the outbox."))
    run = cx.run("E2E-CODEX-PATCH move posting to an outbox", "--trust", "-c", f'model="{PATCH_MODEL}"')
    [request, *_] = cx.model.agent_requests("E2E-CODEX-PATCH")
    assert "apply_patch" in request.custom_tools   # offered as a freeform tool, and called as one
    assert (cx.root / "app.py").read_text() == "def post():\n    return outbox()\n"   # the patch really applied
    assert (cx.root / "outbox.py").read_text().endswith("OUTBOX = []\n")
    cx.settle(run.session_id)
    assert not cx.model.unscripted and not cx.model.unknown

    shown = cx.show(run.session_id)
    assert shown["summary"]["agent"] == "codex"
    assert set(shown["summary"]["files_modified"]) == {"app.py", "outbox.py"}
    edits = [(o["kind"], o["tool"], o["files"], o["outcome"]) for o in shown["observations"]
             if o.get("tool") == "apply_patch"]
    assert edits == [("edit", "apply_patch", ["app.py"], "ok"), ("write", "apply_patch", ["outbox.py"], "ok")]
    assert "ledger commits" in json.dumps(shown["observations"])   # the comment the patch added, as for an Edit
    assert run.session_id[:8] in cx.gitmem("why", "app.py")       # decisions and sessions by path see it


# -- one memory, two agents: Claude Code and Codex in the same repository ---------------------------------------


@pytest.fixture
def both(e2e: E2E, codex_bin: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The Claude Code harness's repository (gitmem init: Claude's hooks) with `gitmem install codex` too."""
    home = tmp_path / "codex-home"
    monkeypatch.setenv("CODEX_HOME", str(home))
    e2e.gitmem("install", "codex")
    with ScriptedResponses() as model:
        # the same process tag and list: the Claude harness's teardown stops Codex's processes too
        yield e2e, CodexE2E(root=e2e.root, model=model, claude=codex_bin, tag=e2e.tag, procs=e2e.procs, home=home)


def test_a_decision_made_in_claude_code_reaches_the_next_codex_session(both) -> None:
    claude_decision_reaches(*both, "codex", tool("exec_command", cmd="cat outbox.py"),
                            lambda model, marker: brief_in(model.agent_requests(marker)[0]), "--trust")


def test_a_decision_made_in_codex_reaches_the_next_claude_code_session(both) -> None:
    decision_reaches_claude(*both, "codex", tool("exec_command", cmd="cat app.py"), "--trust")
