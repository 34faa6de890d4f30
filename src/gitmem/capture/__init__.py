"""Capture: the hook's spool read back and compacted into observations and session facts."""
