"""Refs: reading, listing, moving and deleting them (rev-parse, for-each-ref, update-ref, reflog)."""

from __future__ import annotations
