"""What the recorders of real agent clients share (tests/data/<agent>/record.py, run by hand outside pytest):
a temporary folder for one recording, the repository the client works in, the stand-in's requests as data, and
how a recording is made stable (per-run paths and ids replaced by placeholders, very long strings cut)."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any, Callable, Iterable

LONG = 1500


def in_temp_folder(prefix: str, record: Callable[[Path, str], None], version: str) -> None:
    """``record(base, version)`` in a fresh temporary folder, removed afterwards whatever happens."""
    base = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        record(base, version)
    finally:
        shutil.rmtree(base, ignore_errors=True)


def app_repo(repo: Path) -> None:
    """A git repository at ``repo`` with app.py committed on main."""
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    (repo / "app.py").write_text("def post():\n    return 1\n")
    subprocess.run(["git", "-C", str(repo), "add", "."], check=True)
    subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm",
                    "init"], check=True)


def requests_of(model: Any, drop_headers: Iterable[str] = ()) -> list[dict[str, Any]]:
    """The requests the stand-in received, as data (the tools by name)."""
    dropped = set(drop_headers)
    return [{"method": r.method, "path": r.path, "headers": {k: v for k, v in r.headers.items() if k not in dropped},
             "body": dict(r.body, tools=r.tool_names) if r.tool_names else r.body} for r in model.requests]


def cut(value: Any) -> Any:
    """``value`` with every string longer than ``LONG`` cut to its head (its length kept)."""
    if isinstance(value, str) and len(value) > LONG:
        return value[:200] + f"... [{len(value)} characters in all, cut by record.py]"
    if isinstance(value, dict):
        return {k: cut(v) for k, v in value.items()}
    if isinstance(value, list):
        return [cut(v) for v in value]
    return value


def cleaner(paths: list[tuple[str, str]], sessions: list[str], *, short_ids: bool = False, port: bool = True,
            before: Callable[[str], str] = lambda text: text) -> Callable[[str], str]:
    """A function that makes a recording stable: each (path, placeholder) replaced in order, ``before`` applied,
    the n-th session id replaced by ``00000000-...-00n`` (``short_ids``: its first 8 characters too, by
    ``0000000n``), and with ``port`` the stand-in's loopback port by ``PORT``."""
    def clean(text: str) -> str:
        for path, placeholder in paths:
            text = text.replace(path, placeholder)
        text = before(text)
        for n, sid in enumerate(sessions, 1):
            text = text.replace(sid, f"00000000-0000-0000-0000-00000000000{n}")
            if short_ids:
                text = text.replace(sid[:8], f"0000000{n}")
        return re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:PORT", text) if port else text
    return clean
