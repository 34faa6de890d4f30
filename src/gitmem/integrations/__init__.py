"""Integrations: the agents and tools gitmem plugs into (Claude Code settings, MCP, the file watcher)."""
