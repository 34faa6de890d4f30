"""Compress: one summarizer call per session (offline extractor, Anthropic API, the claude CLI)."""
