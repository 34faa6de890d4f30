"""Running ``gitmem`` with stderr on a terminal (a pty), to see what it draws there and only there."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def gitmem_on(cwd: Path, *args: str, tty: bool) -> tuple[int, bytes, str]:
    """``gitmem <args>`` in a subprocess: (exit code, stderr, stdout), stderr a terminal (a pty) when ``tty``."""
    import os
    import pty

    argv = [sys.executable, "-m", "gitmem", *args]
    if not tty:
        proc = subprocess.run(argv, cwd=cwd, capture_output=True, timeout=120)
        return proc.returncode, proc.stderr, proc.stdout.decode()
    main, child = pty.openpty()
    try:
        proc = subprocess.run(argv, cwd=cwd, stderr=child, stdout=subprocess.PIPE, timeout=120,
                              env={**os.environ, "COLUMNS": "100"})
        os.close(child)
        chunks = []
        while True:
            try:
                chunk = os.read(main, 65536)
            except OSError:   # EIO: the terminal's other side is closed and drained
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(main)
    return proc.returncode, b"".join(chunks), proc.stdout.decode()
