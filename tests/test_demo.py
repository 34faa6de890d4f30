"""`make demo` runs the whole capture loop offline; keep it working."""

from __future__ import annotations

import subprocess
import sys


def test_demo_replays_a_recorded_session_into_memory(tmp_path) -> None:
    proc = subprocess.run([sys.executable, "-m", "gitmem.app.demo"], capture_output=True, text=True, timeout=180,
                          cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    assert "Split the payment service" in out                       # the summary, via `gitmem show`
    assert "[REDACTED:" in out and "in the ref: False" in out       # the fake key never reached the ref
    assert "?? .gitmem/decisions/" in out                           # a proposed decision in the work tree
    assert "claude hooks: installed" in out
    assert "<gitmem-memory>" in out and "outbox pattern" in out.split("<gitmem-memory>", 1)[1]  # the brief
    assert "$ gitmem search outbox" in out and "decision" in out.split("$ gitmem search outbox", 1)[1]
