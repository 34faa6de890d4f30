"""Memory quality benchmark: scripted scenarios replayed through the real hooks, scored (see README.md)."""
