"""The work tree seen through git: ignored files, tracked files, status (never changed by gitmem)."""

from __future__ import annotations
