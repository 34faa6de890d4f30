"""Compress: one summarizer call per session (offline extractor, Anthropic API, claude CLI); the same thing said again."""
