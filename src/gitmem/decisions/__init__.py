"""Decisions: files in ``.gitmem/decisions/`` that people own, and their life."""
