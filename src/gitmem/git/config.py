"""Repository configuration: reading and writing git config keys, remotes and the hooks folder."""

from __future__ import annotations
