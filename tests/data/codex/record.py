"""Record what the real Codex CLI sends its hooks, its model and its transcript, into this folder.

Run from the worktree after ``bash scripts/install-codex.sh``:

    .venv/bin/python tests/data/codex/record.py

It makes a temporary git repository and CODEX_HOME, points Codex at the
scripted Responses API stand-in (tests/fakes/responses_api.py) on 127.0.0.1,
installs a recorder for every hook event in the project's ``.codex/hooks.json``,
trusts the project and each hook the way ``[hooks.state]`` expects (hash
computed here, then checked against ``codex app-server``'s ``hooks/list``), and
runs four ``codex exec`` sessions: a plain one, a resumed one, one whose
context is compacted, and one with a model Codex knows (``gpt-5.5``: it is offered
the freeform ``apply_patch`` tool) whose edits go through ``apply_patch``.
Paths and ids that differ per run are replaced by stable placeholders; very long model instructions are cut (their length is kept).
The README in this folder says what was observed.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import select
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
sys.path[:0] = [str(ROOT / "tests"), str(HERE.parent)]
from fakes.responses_api import Script, ScriptedResponses, patch, tool  # noqa: E402
from record_common import app_repo, cleaner, cut, in_temp_folder, requests_of  # noqa: E402

CODEX = ROOT / ".cache" / "codex" / "node_modules" / ".bin" / "codex"
EVENTS = {"SessionStart": "session_start", "UserPromptSubmit": "user_prompt_submit", "PreToolUse": "pre_tool_use",
          "PostToolUse": "post_tool_use", "PreCompact": "pre_compact", "PostCompact": "post_compact",
          "Stop": "stop", "SessionEnd": "session_end"}
QUIET = ["-c", "analytics.enabled=false", "-c", "check_for_update_on_startup=false",
         "--disable", "apps", "--disable", "plugins", "--disable", "remote_plugin"]
CONTEXT = "RECORDED-SESSIONSTART-CONTEXT: the memory brief would go here."
RECORDER = """import json, os, sys
data = sys.stdin.read()
with open(os.environ["RECORD_TO"], "a") as f:
    f.write(json.dumps({"event": sys.argv[1], "payload": json.loads(data)}) + "\\n")
if sys.argv[1] == "SessionStart":
    print(json.dumps({"hookSpecificOutput": {"hookEventName": "SessionStart", "additionalContext": %r}}))
""" % CONTEXT
PATCH_MODEL = "gpt-5.5"   # in Codex's bundled model catalog: ``apply_patch_tool_type: freeform``
PATCHES = (
    "*** Begin Patch\n*** Update File: app.py\n@@\n def post():\n-    return 1\n+    return 2\n"
    "*** Add File: notes.md\n+# Notes\n+Payments are retried.\n*** End Patch\n",
    "*** Begin Patch\n*** Update File: notes.md\n*** Move to: docs/notes.md\n@@\n # Notes\n"
    "-Payments are retried.\n+Payments are retried with idempotency keys.\n*** End Patch\n",
    "*** Begin Patch\n*** Delete File: docs/notes.md\n*** End Patch\n",
    "*** Begin Patch\n*** Update File: missing.py\n@@\n-x = 1\n+x = 2\n*** End Patch\n",  # fails
)


def trust_hash(event_label: str, command: str, timeout: int) -> str:
    """Codex's trusted_hash of one command hook: sha256 of the compact, key-sorted JSON of its identity."""
    identity = {"event_name": event_label,
                "hooks": [{"type": "command", "command": command, "timeout": timeout, "async": False}]}
    return "sha256:" + hashlib.sha256(json.dumps(identity, sort_keys=True, separators=(",", ":"))
                                      .encode()).hexdigest()


def hooks_list(env: dict, repo: Path) -> dict:
    """``hooks/list`` through ``codex app-server`` (JSON-RPC lines on stdio)."""
    proc = subprocess.Popen([str(CODEX), "app-server"], cwd=repo, env=env, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        def send(msg: dict) -> None:
            proc.stdin.write(json.dumps(msg) + "\n")
            proc.stdin.flush()

        def answer(want: int) -> dict:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                if select.select([proc.stdout], [], [], 1)[0]:
                    msg = json.loads(proc.stdout.readline())
                    if msg.get("id") == want:
                        return msg
            raise TimeoutError("codex app-server did not answer")
        send({"id": 1, "method": "initialize", "params": {"clientInfo": {"name": "gitmem-recorder", "version": "0"}}})
        answer(1)
        send({"method": "initialized"})
        send({"id": 2, "method": "hooks/list", "params": {"cwds": [str(repo)]}})
        return answer(2)["result"]
    finally:
        proc.stdin.close()
        proc.terminate()
        proc.wait(10)


def main() -> None:
    version = subprocess.run([str(CODEX), "--version"], capture_output=True, text=True).stdout.split()[-1]
    in_temp_folder("codex-record-", record, version)


def record(base: Path, version: str) -> None:
    home, repo, rec = base / "codex-home", base / "repo", base / "record.jsonl"
    home.mkdir()
    app_repo(repo)
    (base / "recorder.py").write_text(RECORDER)
    commands = {e: f"{sys.executable} {base / 'recorder.py'} {e}" for e in EVENTS}
    (repo / ".codex").mkdir()
    hooks_file = repo / ".codex" / "hooks.json"
    hooks_file.write_text(json.dumps({"hooks": {e: [{"hooks": [{"type": "command", "command": c}]}]
                                                for e, c in commands.items()}}, indent=2) + "\n")
    config = [f'[projects."{repo}"]\ntrust_level = "trusted"\n']
    for event, label in EVENTS.items():
        timeout = 1 if event == "SessionEnd" else 600  # observed: SessionEnd hooks get (and hash) 1 second
        config.append(f'[hooks.state."{hooks_file}:{label}:0:0"]\n'
                      f'trusted_hash = "{trust_hash(label, commands[event], timeout)}"\n')
    (home / "config.toml").write_text("\n".join(config))
    env = {**os.environ, "CODEX_HOME": str(home), "HOME": str(base), "CODEX_STANDIN_KEY": "test-key",
           "RECORD_TO": str(rec)}
    listed = hooks_list(env, repo)
    statuses = {h["eventName"]: h["trustStatus"] for h in listed["data"][0]["hooks"]}
    assert set(statuses.values()) == {"trusted"}, statuses

    with ScriptedResponses() as model:
        model.add(Script("REC-READ", (tool("exec_command", cmd="cat app.py"),), "Done. app.py returns 1."))
        model.add(Script("REC-AGAIN", (tool("exec_command", cmd="git status --short"),), "Done again."))
        model.add(Script("REC-COMPACT", (tool("exec_command", cmd="ls"), tool("exec_command", cmd="cat app.py")),
                         "Done after compaction."))
        model.add(Script("REC-PATCH", tuple(patch(p) for p in PATCHES), "Done: app.py returns 2."))

        def run(*args: str) -> None:
            proc = subprocess.run([str(CODEX), "exec", *model.provider_config(), *QUIET, *args], cwd=repo, env=env,
                                  capture_output=True, text=True, timeout=180, stdin=subprocess.DEVNULL)
            assert proc.returncode == 0, proc.stdout + proc.stderr

        run("REC-READ read the app")
        run("resume", "--last", "REC-AGAIN show the status")
        run("-c", "model_auto_compact_token_limit=5000", "REC-COMPACT list and read")
        run("-c", f'model="{PATCH_MODEL}"', "REC-PATCH change the app")
        assert (repo / "app.py").read_text() == "def post():\n    return 2\n"
        assert model.unknown == [], model.unknown
        requests = requests_of(model)

    events = [json.loads(line) for line in rec.read_text().splitlines()]
    sessions = list(dict.fromkeys(e["payload"]["session_id"] for e in events))
    transcripts = sorted((home / "sessions").rglob("*.jsonl"))

    clean = cleaner([(str(repo), "/work/repo"), (str(home), "/home/user/.codex"), (str(base), "/tmp/record"),
                     (sys.executable, "python3")], sessions, port=False,
                    before=lambda text: re.sub(r'(installation[_-]id\\?": ?\\?")[0-9a-f-]{36}',
                                               r"\g<1>00000000-0000-0000-0000-0000000000ff", text))

    out = HERE / "hooks"
    out.mkdir(exist_ok=True)
    seen: dict[str, int] = {}
    for e in events:
        payload = e["payload"]
        name = e["event"] + (f"-{payload['source']}" if "source" in payload else "")
        tool_name = payload.get("tool_name")
        if tool_name not in (None, "Bash"):   # the patch session's calls: every one, numbered
            name += f"-{tool_name}"
        seen[name] = seen.get(name, 0) + 1
        if tool_name not in (None, "Bash"):
            (out / f"{name}-{seen[name]}.json").write_text(clean(json.dumps(payload, indent=2)) + "\n")
        elif seen[name] == 1:
            (out / f"{name}.json").write_text(clean(json.dumps(payload, indent=2)) + "\n")
    (HERE / "events.jsonl").write_text(clean("".join(json.dumps(e) + "\n" for e in events)))
    (HERE / "hooks-list.json").write_text(clean(json.dumps(listed, indent=2)) + "\n")
    (HERE / "requests.json").write_text(clean(json.dumps(cut(requests), indent=1)) + "\n")
    first = transcripts[0]
    (HERE / "rollout.jsonl").write_text(clean("".join(json.dumps(cut(json.loads(line))) + "\n"
                                                      for line in first.read_text().splitlines())))
    (HERE / "VERSION").write_text(version + "\n")
    print(f"recorded codex {version}: {len(events)} hook events, {len(requests)} requests, "
          f"{len(transcripts)} transcripts ({first.relative_to(home)})")


if __name__ == "__main__":
    main()
