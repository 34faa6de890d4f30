"""Replay a scenario through gitmem's real hooks, real git and the real flush worker.

Every hook event runs as Claude Code runs it: ``<python> -I -S <gitmem>/_hook.py
<Event>`` with the payload on stdin, in the actor's work tree. Payload shapes
follow the recorded Claude Code fixtures (tests/data/session-hooks.jsonl and
tests/data/capture/tools.json): PostToolUse for Read/Edit/Write/Bash/Grep/
TodoWrite with ``tool_input`` and ``tool_response``, PostToolUseFailure for a
failed command, Stop with ``last_assistant_message``. Files a tool writes are
really written; ``Commit`` really commits. After SessionEnd the flush worker
runs in the foreground (``flush.flush_now``), which also renders the brief, as
the detached worker would. Teammates are clones of one bare remote; memory
travels only by ``gitmem.team.sync.sync``.

Nothing here is mocked: git, the hooks, the summarizer chosen, the search index.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from quality import dsl

import gitmem
from gitmem.app import flush, inject
from gitmem.app.project import init_repository
from gitmem.config import load_config
from gitmem.git import Repo, discover
from gitmem.index import search
from gitmem.index.query import SearchHit
from gitmem.store import memory_ref
from gitmem.store.records import Decision, new_decision_id
from gitmem.team import sync

LAUNCHER = Path(gitmem.__file__).parent / "_hook.py"
HOOK_TIMEOUT = 120
_ENV_DROP = ("GITMEM_", "GIT_", "ANTHROPIC_", "CLAUDE")


@contextlib.contextmanager
def isolated_environment(home: Path, summarizer: str, keep: dict[str, str] | None = None) -> Iterator[None]:
    """os.environ as a fresh machine would have it (own HOME, empty global git config), restored after.

    The flush worker runs in this process, so it reads os.environ; the hooks get a copy.
    ``keep`` adds variables back (the API key for the anthropic run).
    """
    saved = dict(os.environ)
    try:
        for name in list(os.environ):
            if name.startswith(_ENV_DROP) or name.startswith("XDG_"):
                del os.environ[name]
        home.mkdir(parents=True, exist_ok=True)
        gitconfig = home / ".gitconfig-global"
        gitconfig.write_text("[init]\n\tdefaultBranch = main\n[advice]\n\tdetachedHead = false\n")
        os.environ.update({
            "HOME": str(home), "GITMEM_HOME": str(home / "gitmem-home"), "GIT_CONFIG_GLOBAL": str(gitconfig),
            "GIT_CONFIG_NOSYSTEM": "1", "GIT_TERMINAL_PROMPT": "0", "GIT_ALLOW_PROTOCOL": "file",
            "GITMEM_SUMMARIZER": summarizer, "GITMEM_SUMMARIZER_TIMEOUT_SECONDS": "120",
            **{f"XDG_{x}_HOME": str(home / f"xdg-{x.lower()}") for x in ("CONFIG", "STATE", "DATA", "CACHE")},
            **(keep or {}),
        })
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def git(cwd: Path, *args: str, env: dict[str, str] | None = None) -> str:
    proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=120,
                          env={**os.environ, **(env or {})})
    if proc.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)} failed in {cwd}: {proc.stderr.strip()}")
    return proc.stdout


@dataclass
class Printed:
    """One SessionStart hook output: the brief exactly as Claude Code receives it."""

    session: str
    actor: str
    branch: str
    text: str
    budget_chars: int


@dataclass
class World:
    """The scenario's machines: one work tree per actor, a bare remote when there are teammates."""

    base: Path
    scenario: dsl.Scenario
    roots: dict[str, Path] = field(default_factory=dict)
    sids: dict[str, str] = field(default_factory=dict)        # scenario session id -> real session id
    printed: list[Printed] = field(default_factory=list)      # every brief the SessionStart hook printed
    summarized: list[tuple[str, str]] = field(default_factory=list)  # (summarizer, fallback reason) per session
    _tool_n: int = 0
    _written: list[str] = field(default_factory=list)         # files the running session wrote, to commit

    # -- set-up ------------------------------------------------------------------------------------

    @property
    def first(self) -> str:
        return self.scenario.actors[0]

    def actor(self, name: str) -> str:
        return name or self.first

    def root(self, actor: str) -> Path:
        return self.roots[self.actor(actor)]

    def repo(self, actor: str = "") -> Repo:
        return discover(self.root(actor))

    def build(self) -> None:
        """The first actor's repository (first commit, ``gitmem init``); teammates clone it from a bare remote."""
        s = self.scenario
        first = self.base / s.actors[0]
        first.mkdir(parents=True)
        git(first, "init", "-q", "-b", "main")
        self._identity(first, s.actors[0])
        files = {"README.md": f"# {s.name}\n", **s.files}
        for rel, text in files.items():
            (first / rel).parent.mkdir(parents=True, exist_ok=True)
            (first / rel).write_text(text)
        git(first, "add", "-A")
        git(first, "commit", "-q", "-m", "Initial commit")
        self.roots[s.actors[0]] = first
        if len(s.actors) > 1:
            remote = self.base / "remote.git"
            git(self.base, "init", "-q", "--bare", "-b", "main", str(remote))
            git(first, "remote", "add", "origin", str(remote))
        init_repository(discover(first))
        self._commit_all(first, "gitmem init")
        if len(s.actors) > 1:
            git(first, "push", "-q", "-u", "origin", "main", env={sync.SYNC_ENV: "1"})
            for name in s.actors[1:]:
                git(self.base, "clone", "-q", str(self.base / "remote.git"), name)
                self.roots[name] = self.base / name
                self._identity(self.roots[name], name)
                init_repository(discover(self.roots[name]))   # local set-up only: the files came with the clone

    def _identity(self, root: Path, actor: str) -> None:
        git(root, "config", "user.name", actor.title())
        git(root, "config", "user.email", f"{actor}@example.com")

    def _commit_all(self, root: Path, message: str, *paths: str) -> None:
        git(root, "add", "-A", "--", *(paths or (".",)))
        if git(root, "diff", "--cached", "--name-only"):
            git(root, "commit", "-q", "-m", message)

    # -- hooks ---------------------------------------------------------------------------------------

    def hook(self, actor: str, event: str, payload: dict) -> bytes:
        root = self.root(actor)
        proc = subprocess.run([sys.executable, "-I", "-S", str(LAUNCHER), event], cwd=root,
                              input=json.dumps(payload).encode(), capture_output=True, timeout=HOOK_TIMEOUT,
                              env={**os.environ, "GITMEM_NO_WORKER": "1", "CLAUDE_PROJECT_DIR": str(root)})
        if proc.returncode != 0 or proc.stderr:
            raise RuntimeError(f"{event} hook failed: {proc.stderr.decode(errors='replace')}")
        return proc.stdout

    def session_start(self, actor: str, sid: str, source: str = "startup") -> str:
        """Run the SessionStart hook and return the brief it printed (the hook JSON's additionalContext)."""
        root = self.root(actor)
        out = self.hook(actor, "SessionStart", {**self._base(sid, root), "hook_event_name": "SessionStart",
                                                "source": source, "model": "claude-opus-4-5"})
        text = ""
        if out.strip():
            data = json.loads(out)["hookSpecificOutput"]
            assert data["hookEventName"] == "SessionStart"
            text = data["additionalContext"]
        repo = discover(root)
        self.printed.append(Printed(sid, self.actor(actor), repo.current_branch(), text,
                                    inject.budget_chars(load_config(root))))
        return text

    def _base(self, sid: str, root: Path) -> dict:
        return {"session_id": sid, "transcript_path": str(self.base / "home" / ".claude" / "projects" / f"{sid}.jsonl"),
                "cwd": str(root)}

    # -- a session -------------------------------------------------------------------------------------

    def run_session(self, s: dsl.Session) -> None:
        actor = self.actor(s.actor)
        root = self.root(actor)
        if s.branch:
            self.checkout(actor, s.branch)
        sid = str(uuid.uuid4())
        self.sids[s.id] = sid
        self._written = []
        self.session_start(actor, sid)
        base = self._base(sid, root)
        for turn in s.turns:
            prompt_id = str(uuid.uuid4())
            common = {**base, "prompt_id": prompt_id, "permission_mode": "default"}
            self._say(base["transcript_path"], "user", turn.prompt)
            self.hook(actor, "UserPromptSubmit", {**common, "hook_event_name": "UserPromptSubmit",
                                                  "prompt": turn.prompt})
            for tool in turn.tools:
                event, payload = self._tool_payload(actor, root, tool)
                self.hook(actor, event, {**common, "hook_event_name": event, **payload})
            self._say(base["transcript_path"], "assistant", turn.reply)
            self.hook(actor, "Stop", {**common, "hook_event_name": "Stop", "stop_hook_active": False,
                                      "last_assistant_message": turn.reply})
        self.hook(actor, "SessionEnd", {**base, "hook_event_name": "SessionEnd", "reason": "prompt_input_exit"})
        report = flush.flush_now(discover(root).common_dir)
        if report.errors:
            raise RuntimeError(f"flush failed: {report.errors}")
        summary = memory_ref.find_session(discover(root), sid).summary
        if summary is None:
            raise RuntimeError(f"session {s.id} has no summary after the flush")
        self.summarized.append((summary.summarizer, summary.fallback_reason))

    @staticmethod
    def _say(transcript: str, role: str, text: str) -> None:
        """Append a turn to the session's transcript as Claude Code writes it (the flush reads it)."""
        if not text:
            return
        path = Path(transcript)
        path.parent.mkdir(parents=True, exist_ok=True)
        now = time.time()
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now * 1000) % 1000:03d}Z"
        content = text if role == "user" else [{"type": "text", "text": text}]
        with path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps({"type": role, "timestamp": stamp, "message": {"role": role, "content": content}})
                     + "\n")

    def _tool_payload(self, actor: str, root: Path, tool: dsl.Tool) -> tuple[str, dict]:
        self._tool_n += 1
        tid = f"toolu_{self._tool_n:04d}{uuid.uuid4().hex[:16]}"
        post = {"tool_use_id": tid, "duration_ms": 25}
        if isinstance(tool, dsl.Read):
            path = root / tool.path
            content = path.read_text() if path.exists() else ""
            lines = content.count("\n") + (0 if content.endswith("\n") or not content else 1)
            return "PostToolUse", {**post, "tool_name": "Read", "tool_input": {"file_path": str(path)},
                                   "tool_response": {"type": "text", "file": {
                                       "filePath": str(path), "content": content, "numLines": lines,
                                       "startLine": 1, "totalLines": lines}}}
        if isinstance(tool, dsl.Write):
            path = root / tool.path
            old = path.read_text() if path.exists() else None
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(tool.content)
            self._written.append(tool.path)
            patch = [] if old is None else [{"oldStart": 1, "oldLines": old.count("\n"), "newStart": 1,
                                             "newLines": tool.content.count("\n"),
                                             "lines": [f"-{l}" for l in old.splitlines()]
                                             + [f"+{l}" for l in tool.content.splitlines()]}]
            return "PostToolUse", {**post, "tool_name": "Write",
                                   "tool_input": {"file_path": str(path), "content": tool.content},
                                   "tool_response": {"type": "create" if old is None else "update",
                                                     "filePath": str(path), "content": tool.content,
                                                     "structuredPatch": patch, "originalFile": old,
                                                     "userModified": False}}
        if isinstance(tool, dsl.Edit):
            path = root / tool.path
            old = path.read_text()
            if tool.old and tool.old not in old:
                raise ValueError(f"{tool.path}: {tool.old!r} not found for an Edit")
            new = old.replace(tool.old, tool.new, 1) if tool.old else old + tool.new
            path.write_text(new)
            self._written.append(tool.path)
            lines = [f"-{l}" for l in tool.old.splitlines()] + [f"+{l}" for l in tool.new.splitlines()]
            return "PostToolUse", {**post, "tool_name": "Edit",
                                   "tool_input": {"file_path": str(path), "old_string": tool.old,
                                                  "new_string": tool.new, "replace_all": False},
                                   "tool_response": {"filePath": str(path), "oldString": tool.old,
                                                     "newString": tool.new, "originalFile": old,
                                                     "structuredPatch": [{"oldStart": 1, "oldLines": 1,
                                                                          "newStart": 1, "newLines": 1,
                                                                          "lines": lines}],
                                                     "userModified": False, "replaceAll": False}}
        if isinstance(tool, dsl.Bash):
            tin = {"command": tool.command, "description": tool.command[:60]}
            if tool.exit:
                output = "\n".join(x for x in (tool.stdout, tool.stderr) if x)
                return "PostToolUseFailure", {"tool_use_id": tid, "tool_name": "Bash", "tool_input": tin,
                                              "error": f"Exit code {tool.exit}\n{output}".rstrip(),
                                              "is_interrupt": False}
            return "PostToolUse", {**post, "tool_name": "Bash", "tool_input": tin,
                                   "tool_response": {"stdout": tool.stdout, "stderr": tool.stderr,
                                                     "interrupted": False, "isImage": False,
                                                     "noOutputExpected": False}}
        if isinstance(tool, dsl.Grep):
            return "PostToolUse", {**post, "tool_name": "Grep",
                                   "tool_input": {"pattern": tool.pattern, "path": str(root / tool.path)},
                                   "tool_response": {"mode": "files_with_matches", "filenames": list(tool.matches),
                                                     "numFiles": len(tool.matches),
                                                     "totalFiles": len(tool.matches)}}
        if isinstance(tool, dsl.Todo):
            status = {"done": "completed", "doing": "in_progress", "open": "pending"}
            todos = [{"content": text, "status": status[st], "activeForm": text} for st, text in tool.items]
            return "PostToolUse", {**post, "tool_name": "TodoWrite", "tool_input": {"todos": todos},
                                   "tool_response": {"oldTodos": [], "newTodos": todos}}
        if isinstance(tool, dsl.Commit):
            files = list(dict.fromkeys(self._written))
            if not files:
                raise ValueError(f"Commit {tool.message!r}: the session wrote no file")
            git(root, "add", "-A", "--", *files)
            out = git(root, "commit", "-q", "-m", tool.message)
            self._written = []
            command = f"git add {' '.join(files)} && git commit -m {json.dumps(tool.message)}"
            return "PostToolUse", {**post, "tool_name": "Bash",
                                   "tool_input": {"command": command, "description": "Commit the change"},
                                   "tool_response": {"stdout": out, "stderr": "", "interrupted": False,
                                                     "isImage": False, "noOutputExpected": False}}
        raise TypeError(f"unknown tool {tool!r}")

    # -- what people do ---------------------------------------------------------------------------------

    def checkout(self, actor: str, branch: str) -> None:
        root = self.root(actor)
        exists = subprocess.run(["git", "rev-parse", "--verify", "--quiet", f"refs/heads/{branch}"], cwd=root,
                                capture_output=True, timeout=60).returncode == 0
        git(root, "checkout", "-q", *(() if exists else ("-b",)), branch)

    def decision_files(self, actor: str) -> list[tuple[Path, Decision]]:
        folder = self.root(actor) / ".gitmem" / "decisions"
        return [(p, Decision.from_text(p.read_text(), str(p))) for p in sorted(folder.glob("*.md"))]

    def _find(self, actor: str, title: str) -> list[tuple[Path, Decision]]:
        found = [(p, d) for p, d in self.decision_files(actor) if re.search(title, d.title, re.IGNORECASE)]
        if not found:
            raise LookupError(f"no decision file titled like {title!r} in {self.root(actor)}")
        return found

    def write_decision(self, path: Path, d: Decision) -> None:
        # A new file moved over the old one, as an editor or `gitmem decisions` writes it.
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(d.to_text())
        os.replace(tmp, path)

    def step(self, step: dsl.Step) -> None:
        if isinstance(step, dsl.Session):
            self.run_session(step)
            return
        actor = self.actor(step.actor)
        root = self.root(actor)
        with self.human_pace(actor):
            if isinstance(step, dsl.Checkout):
                self.checkout(actor, step.branch)
            elif isinstance(step, dsl.Merge):
                git(root, "merge", "-q", "--no-ff", "-m", f"Merge {step.branch}", step.branch)
            elif isinstance(step, dsl.CommitAll):
                self._commit_all(root, step.message)
            elif isinstance(step, dsl.Touch):
                for rel in step.files:
                    path = root / rel
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_text((path.read_text() if path.exists() else "") + "# work in progress\n")
            elif isinstance(step, dsl.Decide):
                self.decide(actor, step)
            elif isinstance(step, dsl.Review):
                self.review(actor, step)
            elif isinstance(step, dsl.Push):
                git(root, "push", "-q", "-u", "origin", "HEAD", env={sync.SYNC_ENV: "1"})
            elif isinstance(step, dsl.Pull):
                git(root, "pull", "-q", "--no-rebase", "origin", discover(root).current_branch(),
                    env={sync.SYNC_ENV: "1"})
            elif isinstance(step, dsl.Sync):
                result = sync.sync(discover(root), "origin")
                if result.error:
                    raise RuntimeError(f"gitmem sync failed: {result.error}")
            else:
                raise TypeError(f"unknown step {step!r}")

    @contextlib.contextmanager
    def human_pace(self, actor: str) -> Iterator[None]:
        """People act after the flush that rendered the brief, never inside the same clock tick: the hook
        compares modification times, which the kernel keeps at a few-millisecond granularity."""
        time.sleep(0.02)
        yield

    def decide(self, actor: str, step: dsl.Decide) -> None:
        root = self.root(actor)
        date = time.strftime("%Y-%m-%d")
        author = f"{actor.title()} <{actor}@example.com>"
        supersedes = tuple(d.id for t in step.supersedes for _, d in self._find(actor, t))
        body = f"\n## Decision\n\n{step.decision}\n"
        if step.rationale:
            body += f"\n## Rationale\n\n{step.rationale}\n"
        d = Decision(id=new_decision_id(step.title, date, (author,)), title=step.title, status=step.status,
                     date=date, authors=(author,), supersedes=supersedes, files=step.files, body=body)
        slug = re.sub(r"[^a-z0-9]+", "-", step.title.lower()).strip("-")[:50]
        self.write_decision(root / ".gitmem" / "decisions" / f"{date}-{slug}.md", d)
        for path, old in [(p, o) for t in step.supersedes for p, o in self._find(actor, t)]:
            self.write_decision(path, _replace(old, status="superseded"))
        self._commit_all(root, f"Decision: {step.title}", ".gitmem/decisions")

    def review(self, actor: str, step: dsl.Review) -> None:
        root = self.root(actor)
        for path, d in self._find(actor, step.title):
            self.write_decision(path, _replace(d, status=step.status))
            if step.superseded_by:
                for new_path, new in self._find(actor, step.superseded_by):
                    status = "accepted" if new.status == "proposed" else new.status
                    self.write_decision(new_path, _replace(new, status=status,
                                                           supersedes=tuple(dict.fromkeys((*new.supersedes, d.id)))))
        self._commit_all(root, f"Review: {step.title} -> {step.status}", ".gitmem/decisions")

    # -- probes ------------------------------------------------------------------------------------------

    @contextlib.contextmanager
    def in_play(self, actor: str, branch: str, files: tuple[str, ...]) -> Iterator[None]:
        """Check ``branch`` out and change ``files`` in the work tree for the probe; put it all back after."""
        root = self.root(actor)
        before = discover(root).current_branch()
        with self.human_pace(actor):
            self.checkout(actor, branch)
            created, changed = [], {}
            for rel in files:
                path = root / rel
                if path.exists():
                    changed[path] = path.read_text()
                    path.write_text(changed[path] + "\n# work in progress\n")
                else:
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_text("# work in progress\n")
                    created.append(path)
        try:
            yield
        finally:
            for path, text in changed.items():
                path.write_text(text)
            for path in created:
                path.unlink()
            self.checkout(actor, before)

    def brief(self, probe: dsl.Brief, n: int) -> str:
        actor = self.actor(probe.actor)
        with self.in_play(actor, probe.branch, probe.files):
            return self.session_start(actor, str(uuid.uuid4()))

    def search(self, probe: dsl.Search, limit: int = 5, lexical: bool = False) -> list[SearchHit]:
        """What `gitmem search <query>` (``lexical``: `--lexical`) lists first: the same function, the same
        arguments, top ``limit``."""
        return search.search(self.repo(probe.actor), probe.query, limit=limit, lexical=lexical)

    def cleanup(self) -> None:
        shutil.rmtree(self.base, ignore_errors=True)


def _replace(d: Decision, **changes) -> Decision:
    return dataclasses.replace(d, **changes)
