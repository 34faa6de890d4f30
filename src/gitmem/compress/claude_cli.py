"""The ``claude`` command run headless for one summary: isolated, bounded, one at a time.

Uses the person's existing Claude Code login (no API key). ``run_claude``
raises ``SummarizeError`` for every failure; it never leaves anything behind.

Invariants:
- Isolated: the child runs in a fresh temporary directory (removed after),
  with every ``GIT_*`` variable and Claude Code's own session markers
  removed, ``GITMEM_DISABLE=1`` (gitmem's hook records nothing of it) and
  settings that turn all hooks off and load no MCP server.
- Bounded: the child has the caller's deadline; at the deadline, and also
  when it exits, its whole process group is killed, so no grandchild it
  started outlives it (one that left the group with setsid could).
- One per repository: ``<common-dir>/gitmem/claude.lock`` is held while the
  child runs; a second caller waits for it, but never past its deadline.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Mapping

from gitmem import fence, switches
from gitmem.errors import SummarizeError
from gitmem.lock_wait import lock_before

logger = logging.getLogger(__name__)

LOCK_FILE = "claude.lock"
LOCK_WAIT_SECONDS = 60.0
_DROPPED_ENV = ("CLAUDECODE", "CLAUDE_PROJECT_DIR", "CLAUDE_CODE_ENTRYPOINT")  # "you are inside Claude Code"


@dataclass(frozen=True, slots=True)
class ClaudeResult:
    data: Any              # the JSON object the model replied with
    model: str
    tokens_in: int
    tokens_out: int
    cost_usd: float | None = None


@contextlib.contextmanager
def repository_lock(state_dir: Path | None, deadline: float) -> Iterator[None]:
    """Hold ``state_dir/claude.lock``; wait at most until the deadline (and LOCK_WAIT_SECONDS)."""
    if state_dir is None:
        yield
        return
    state_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(state_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)  # close-on-exec: the child never holds it
    try:
        if not lock_before(fd, min(deadline, time.monotonic() + LOCK_WAIT_SECONDS)):
            raise SummarizeError("another claude summarizer is still running in this repository")
        yield
    finally:
        os.close(fd)


def child_env(env: Mapping[str, str]) -> dict[str, str]:
    out = {k: v for k, v in env.items() if not k.startswith("GIT_") and k not in _DROPPED_ENV}
    out[switches.DISABLE] = "1"
    return out


def claude_argv(exe: str, model: str) -> list[str]:
    settings = {"disableAllHooks": True, "hooks": {}}
    return [exe, "-p", "--output-format", "json", "--model", model, "--max-turns", "1",
            "--settings", json.dumps(settings), "--strict-mcp-config"]


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def run_claude(prompt: str, model: str, deadline: float, env: Mapping[str, str], budget_seconds: int) -> ClaudeResult:
    """Send ``prompt`` on stdin to ``claude -p --output-format json`` and read its JSON reply."""
    exe = shutil.which("claude", path=env.get("PATH"))
    if not exe:
        raise SummarizeError("the `claude` command is not on PATH")
    with tempfile.TemporaryDirectory(prefix="gitmem-claude-", ignore_cleanup_errors=True) as cwd:
        try:
            proc = subprocess.Popen(claude_argv(exe, model), cwd=cwd, env=child_env(env), stdin=subprocess.PIPE,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
        except OSError as exc:
            raise SummarizeError(f"cannot run {exe}: {exc.strerror or exc}") from None
        try:
            out, err = proc.communicate(prompt.encode("utf-8"), timeout=max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            _kill_group(proc.pid)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.communicate(timeout=5)
            raise SummarizeError(f"claude gave no answer within {budget_seconds}s; stopped it") from None
        finally:
            _kill_group(proc.pid)  # whatever it left running in its group
            if proc.returncode is None:
                proc.kill()
                proc.wait()
    return parse_result(out, err, proc.returncode, model)


def json_in(text: str) -> Any:
    """The JSON object in a model's text reply (tolerates a code fence or words around it)."""
    text = text.strip()
    try:
        return json.loads(text)
    except ValueError:
        pass
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end <= start:
        raise SummarizeError(f"the reply holds no JSON object: {fence.one_line(text, 120)!r}")
    try:
        return json.loads(text[start:end + 1])
    except ValueError as exc:  # JSONDecodeError, or another ValueError (an integer of over 4,300 digits)
        reason = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
        raise SummarizeError(f"the reply's JSON is invalid ({reason})") from None


def _count(usage: Mapping[str, Any], *keys: str) -> int:
    total = 0
    for key in keys:
        value = usage.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            total += int(value)
    return total


def parse_result(out: bytes, err: bytes, returncode: int | None, model: str) -> ClaudeResult:
    """The reply in ``claude -p --output-format json`` output: ``result`` (text) or ``structured_output``."""
    text = out.decode("utf-8", "replace").strip()
    try:
        result = json.loads(text)
    except ValueError:
        tail = fence.one_line(err.decode("utf-8", "replace")[-300:] or text[:200], 200)
        raise SummarizeError(f"claude exited {returncode} without a JSON result: {tail!r}") from None
    if isinstance(result, list):  # some versions print every message; the result is the last one
        result = next((m for m in reversed(result) if isinstance(m, dict) and m.get("type") == "result"), None)
    if not isinstance(result, dict):
        raise SummarizeError("claude printed JSON that is not a result object")
    if result.get("is_error") or result.get("subtype", "success") != "success":
        raise SummarizeError(f"claude reported an error ({result.get('subtype', 'error')}): "
                             f"{fence.one_line(str(result.get('result', '')), 160)}")
    usage = result.get("usage")
    if not isinstance(usage, dict):
        usage = {}
    models = result.get("modelUsage")
    used = next(iter(models), "") if isinstance(models, dict) and models else ""
    cost = result.get("total_cost_usd")
    data = result.get("structured_output")
    if not isinstance(data, dict):
        reply = result.get("result")
        if not isinstance(reply, str):
            raise SummarizeError("claude's result has no text")
        data = json_in(reply)
    return ClaudeResult(data=data, model=used or model,
                        tokens_in=_count(usage, "input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens"),
                        tokens_out=_count(usage, "output_tokens"),
                        cost_usd=float(cost) if isinstance(cost, (int, float)) else None)
