"""A ref's history: rev-list and log over commits."""

from __future__ import annotations
