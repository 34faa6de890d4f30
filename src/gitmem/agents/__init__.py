"""The coding agents gitmem records and briefs besides Claude Code: one module per agent, what they share apart."""
