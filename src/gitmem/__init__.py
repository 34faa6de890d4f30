"""gitmem: memory for AI coding assistants, kept in the git repository."""

__version__ = "0.1.0"
