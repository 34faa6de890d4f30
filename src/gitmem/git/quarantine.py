"""A quarantine for objects a fetch brings: kept only when the merge that needs them succeeds."""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import tempfile
from pathlib import Path
from typing import Iterator

from gitmem.errors import WriteInterrupted
from gitmem.git.repo import GIT_TIMEOUT_SECONDS, Repo

logger = logging.getLogger(__name__)


class Quarantine:
    """Objects written through ``repo`` land in a private folder under ``objects/`` that gc never looks in.

    Loose objects are unreachable until a ref points at them, so a ``git gc --prune=now`` running meanwhile
    deletes them (a merge commit or tree missing under the ref). ``keep`` moves them into a pack with a
    ``.keep`` file, which gc neither repacks nor prunes; the ``.keep`` goes when the ``with`` block ends,
    after the caller moved its ref. This is git's own quarantine of a push (receive-pack), done by hand.
    """

    def __init__(self, real: Repo, folder: Path) -> None:
        self.folder = folder
        self._real = real
        self._keeps: list[Path] = []
        objects = real.common_dir / "objects"
        self.repo = Repo(real.root, real.git_dir, real.common_dir, real.env + (
            ("GIT_OBJECT_DIRECTORY", str(folder)),
            ("GIT_ALTERNATE_OBJECT_DIRECTORIES", os.pathsep.join(
                [str(objects), *(v for k, v in real.env if k == "GIT_ALTERNATE_OBJECT_DIRECTORIES")]))))

    def _written(self) -> list[str]:
        oids = []
        for sub in sorted(self.folder.iterdir()):
            if len(sub.name) == 2 and sub.is_dir():
                oids += [sub.name + f.name for f in sub.iterdir() if len(f.name) in (38, 62)]
        return oids

    def keep(self) -> None:
        """Move what was written so far into a kept pack of the repository (WriteInterrupted: retry).

        One ``pack-objects`` writes the pack and its index inside the quarantine; the ``.keep`` is created
        before the pack is moved in and the index moves last (git sees a pack by its index), so there is no
        moment where gc could repack or prune it."""
        oids = self._written()
        if not oids:
            return
        staging = self.folder / "pack"
        staging.mkdir(exist_ok=True)
        proc = self.repo.git_bytes("pack-objects", "-q", str(staging / "gitmem"),
                                   input=("\n".join(oids) + "\n").encode(), check=False)
        name = proc.stdout.decode("ascii", "replace").strip()
        written = {f.name.rpartition(".")[2]: f for f in staging.glob(f"gitmem-{name}.*")} if name else {}
        if proc.returncode != 0 or "pack" not in written or "idx" not in written:
            raise WriteInterrupted(["git", "pack-objects", str(staging / "gitmem")], proc.returncode,
                                   proc.stderr.decode("utf-8", "replace"))
        packs = self._real.common_dir / "objects" / "pack"
        keep = packs / f"pack-{name}.keep"
        keep.write_text("gitmem: until its ref update\n", encoding="utf-8")
        self._keeps.append(keep)
        for ext in sorted(written, key=lambda e: e == "idx"):   # the index last
            os.replace(written[ext], packs / f"pack-{name}.{ext}")
        for sub in self.folder.iterdir():
            if len(sub.name) == 2 and sub.is_dir():
                shutil.rmtree(sub, ignore_errors=True)

    def release(self) -> None:
        for keep in self._keeps:
            keep.unlink(missing_ok=True)
        self._keeps.clear()
        shutil.rmtree(self.folder, ignore_errors=True)


@contextlib.contextmanager
def quarantine(repo: Repo) -> Iterator[Quarantine]:
    """A ``Quarantine`` for objects written before a ref update; its packs are unkept on the way out."""
    objects = repo.common_dir / "objects"
    q = Quarantine(repo, Path(tempfile.mkdtemp(prefix="incoming-gitmem-", dir=objects)))
    try:
        yield q
    finally:
        q.release()


def missing_objects(repo: Repo, rev: str, timeout: float = GIT_TIMEOUT_SECONDS) -> str | None:
    """Why ``rev`` and the history and trees under it cannot be read in full (None when they can).

    ``rev-list --objects`` walks every commit, tree and blob reachable from ``rev`` (what `git fsck`
    would check for one ref) and fails on the first one missing or corrupt.
    """
    proc = repo.git_bytes("rev-list", "--objects", "--no-object-names", rev, "--", check=False, timeout=timeout)
    if proc.returncode == 0:
        return None
    lines = proc.stderr.decode("utf-8", "replace").strip().splitlines()
    return lines[0] if lines else f"git rev-list exited {proc.returncode}"
