"""Shared by the benchmark scripts: one way to time a whole command."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path


def timed(argv: list[str], stdin: bytes, cwd: Path, env: dict[str, str]) -> float:
    """Wall time of one run of ``argv`` (its output discarded); raises if it fails."""
    start = time.perf_counter()
    subprocess.run(argv, input=stdin, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   check=True)
    return time.perf_counter() - start
