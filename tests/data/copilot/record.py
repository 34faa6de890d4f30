"""Record what the real GitHub Copilot CLI sends its hooks, its model and its transcript, into this folder.

Run from the worktree after ``bash scripts/install-copilot.sh``:

    .venv/bin/python tests/data/copilot/record.py

It makes a temporary git repository and COPILOT_HOME, points Copilot at the
scripted Responses API stand-in (tests/fakes/responses_api.py) on 127.0.0.1
through its BYOK settings (``COPILOT_OFFLINE=true``, ``COPILOT_PROVIDER_BASE_URL``:
no GitHub account, no network), trusts the folder (``trustedFolders`` in
``$COPILOT_HOME/config.json``) and installs two recorders in ``.github/hooks/``:
``gitmem-shape.json`` in the shape gitmem installs (Claude Code's nested groups,
PascalCase event names) and ``native.json`` in Copilot's own flat shape
(camelCase names), so one run shows both payload dialects. Then it runs a
session with tool calls, resumes it, and runs a session with a GPT model id
(``gpt-5.4``: Copilot then offers the freeform ``apply_patch`` tool) whose edits
go through ``apply_patch``. Paths and ids that differ per run are
replaced by stable placeholders; very long texts are cut (their length is kept).
The README in this folder says what was observed.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
sys.path[:0] = [str(ROOT / "tests"), str(HERE.parent)]
from fakes.responses_api import Script, ScriptedResponses, patch, tool  # noqa: E402
from record_common import app_repo, cleaner, cut, in_temp_folder, requests_of  # noqa: E402

COPILOT = ROOT / ".cache" / "copilot" / "node_modules" / ".bin" / "copilot"
PKG_CACHE = ROOT / ".cache" / "copilot" / "pkg-home"   # where the binary unpacks its JavaScript (once)
PASCAL = ("SessionStart", "UserPromptSubmit", "PreToolUse", "PostToolUse", "PostToolUseFailure", "Stop",
          "SubagentStop", "PreCompact", "SessionEnd", "ErrorOccurred")
CAMEL = ("sessionStart", "userPromptSubmitted", "preToolUse", "postToolUse", "postToolUseFailure", "agentStop",
         "subagentStop", "preCompact", "sessionEnd", "errorOccurred")
CONTEXT = "RECORDED-SESSIONSTART-CONTEXT: the memory brief would go here."
RECORDER = """import json, os, sys
data = sys.stdin.read()
with open(os.environ["RECORD_TO"], "a") as f:
    f.write(json.dumps({"file": sys.argv[1], "event": sys.argv[2], "payload": json.loads(data)}) + "\\n")
if sys.argv[2] == "SessionStart":
    print(json.dumps({"additionalContext": %r}))
""" % CONTEXT
PATCH_MODEL = "gpt-5.4"   # a GPT model id: Copilot offers ``apply_patch`` instead of ``edit``/``create``
PATCHES = (
    "*** Begin Patch\n*** Update File: app.py\n@@\n def post():\n-    return 2\n+    return 3\n"
    "*** Add File: docs/plan.md\n+# Plan\n+Retries use idempotency keys.\n*** End Patch\n",
    "*** Begin Patch\n*** Update File: docs/plan.md\n*** Move to: docs/retries.md\n@@\n # Plan\n"
    "-Retries use idempotency keys.\n+Retries use idempotency keys, kept a day.\n*** End Patch\n",
    "*** Begin Patch\n*** Delete File: docs/retries.md\n*** End Patch\n",
    "*** Begin Patch\n*** Update File: missing.py\n@@\n-x = 1\n+x = 2\n*** End Patch\n",  # fails
)


def env_for(base: Path, model: ScriptedResponses, record_to: Path) -> dict[str, str]:
    """Copilot pointed at the stand-in, offline, with its home and caches under ``base``."""
    home = base / "home"
    return {**os.environ, "HOME": str(home), "COPILOT_HOME": str(home / ".copilot"),
            "XDG_CACHE_HOME": str(base / "xdg-cache"), "XDG_CONFIG_HOME": str(base / "xdg-config"),
            "XDG_STATE_HOME": str(base / "xdg-state"), "COPILOT_PKG_CACHE_HOME": str(PKG_CACHE),
            "COPILOT_OFFLINE": "true", "COPILOT_AUTO_UPDATE": "false",
            "COPILOT_PROVIDER_BASE_URL": model.url + "/v1", "COPILOT_PROVIDER_API_KEY": model.api_key,
            "COPILOT_PROVIDER_WIRE_API": "responses", "COPILOT_MODEL": "claude-sonnet-4.5",
            "RECORD_TO": str(record_to)}


def main() -> None:
    version = subprocess.run([str(COPILOT), "--version"], capture_output=True, text=True,
                             env={**os.environ, "COPILOT_PKG_CACHE_HOME": str(PKG_CACHE)}).stdout
    version = re.search(r"(\d+\.\d+\.\d+)", version).group(1)
    in_temp_folder("copilot-record-", record, version)


def record(base: Path, version: str) -> None:
    repo, rec = base / "repo", base / "record.jsonl"
    copilot_home = base / "home" / ".copilot"
    copilot_home.mkdir(parents=True)
    app_repo(repo)
    (base / "recorder.py").write_text(RECORDER)
    hooks = repo / ".github" / "hooks"
    hooks.mkdir(parents=True)

    def command(file: str, event: str) -> str:
        return f"{sys.executable} {base / 'recorder.py'} {file} {event}"
    (hooks / "gitmem-shape.json").write_text(json.dumps({"hooks": {
        e: [{"hooks": [{"type": "command", "command": command("gitmem-shape", e), "timeout": 10}]}]
        for e in PASCAL}}, indent=2) + "\n")
    (hooks / "native.json").write_text(json.dumps({"version": 1, "hooks": {
        e: [{"type": "command", "bash": command("native", e), "timeoutSec": 10}] for e in CAMEL}}, indent=2) + "\n")
    (copilot_home / "config.json").write_text(json.dumps({"trustedFolders": [str(repo)]}, indent=2) + "\n")

    with ScriptedResponses() as model:
        env = env_for(base, model, rec)
        model.add(Script("REC-READ", (
            tool("bash", command="cat app.py", description="Show app.py"),
            tool("view", path=str(repo / "app.py")),
            tool("edit", path=str(repo / "app.py"), old_str="return 1", new_str="return 2"),
            tool("create", path=str(repo / "notes.md"), file_text="# Notes\n"),
            tool("grep", pattern="def post", output_mode="files_with_matches"),
            tool("bash", command="exit 3", description="Fail on purpose"),
            tool("view", path=str(repo / "missing.py")),
        ), "Done. app.py now returns 2."))
        model.add(Script("REC-AGAIN", (tool("bash", command="git status --short", description="Status"),),
                         "Done again."))
        model.add(Script("REC-PATCH", tuple(patch(p) for p in PATCHES), "Done: app.py returns 3."))

        def run(*args: str, **extra: str) -> None:
            proc = subprocess.run([str(COPILOT), *args, "--allow-all-tools", "--no-auto-update"], cwd=repo,
                                  env={**env, **extra},
                                  capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
            assert proc.returncode == 0, proc.stdout + proc.stderr

        run("-p", "REC-READ read and change the app")
        first = json.loads(rec.read_text().splitlines()[0])["payload"]
        sid = first.get("session_id") or first.get("sessionId")
        run(f"--resume={sid}", "-p", "REC-AGAIN show the status")
        patched = base / "record-apply_patch.jsonl"   # kept apart: events.jsonl stays the first session's
        run("-p", "REC-PATCH change the app", COPILOT_MODEL=PATCH_MODEL, RECORD_TO=str(patched))
        assert (repo / "app.py").read_text() == "def post():\n    return 3\n"
        assert model.unknown == [], model.unknown
        assert model.unscripted == [], model.unscripted
        requests = requests_of(model)

    events = [json.loads(line) for line in rec.read_text().splitlines()]
    patch_events = [json.loads(line) for line in patched.read_text().splitlines()]
    sessions = list(dict.fromkeys(e["payload"].get("session_id") or e["payload"].get("sessionId")
                                  for e in events + patch_events))
    transcript = copilot_home / "session-state" / sid / "events.jsonl"

    clean = cleaner([(str(repo), "/work/repo"), (str(copilot_home), "/home/user/.copilot"),
                     (str(base), "/tmp/record"), (sys.executable, "python3"),
                     (str(PKG_CACHE), "/home/user/.cache/copilot")], sessions)

    for shape in ("gitmem-shape", "native"):
        out = HERE / "hooks" / shape
        out.mkdir(parents=True, exist_ok=True)
        for old in out.glob("*.json"):
            old.unlink()
        seen: dict[str, int] = {}
        for e in events + patch_events:
            payload = e["payload"]
            name = e["event"] + (f"-{payload['source']}" if "source" in payload else "")
            # an apply_patch call (named "Edit" in the PascalCase dialect): every one, numbered
            is_patch = "*** Begin Patch" in str(payload.get("tool_input") or payload.get("toolArgs") or "")
            if e["file"] != shape:
                continue
            if is_patch:
                name += "-apply_patch"
            seen[name] = seen.get(name, 0) + 1
            if is_patch:
                (out / f"{name}-{seen[name]}.json").write_text(clean(json.dumps(payload, indent=2)) + "\n")
            elif seen[name] == 1:
                (out / f"{name}.json").write_text(clean(json.dumps(payload, indent=2)) + "\n")
    (HERE / "events.jsonl").write_text(clean("".join(json.dumps(e) + "\n" for e in events)))
    (HERE / "events-apply_patch.jsonl").write_text(clean("".join(json.dumps(e) + "\n" for e in patch_events)))
    (HERE / "requests.json").write_text(clean(json.dumps(cut(requests), indent=1)) + "\n")
    (HERE / "session-events.jsonl").write_text(clean("".join(json.dumps(cut(json.loads(line))) + "\n"
                                                             for line in transcript.read_text().splitlines())))
    (HERE / "VERSION").write_text(version + "\n")
    print(f"recorded copilot {version}: {len(events)} hook calls, {len(requests)} requests, transcript "
          f"{transcript.relative_to(copilot_home)}")


if __name__ == "__main__":
    main()
