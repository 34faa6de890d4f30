"""View: the memory as one self-contained HTML page (timeline, decisions, files, activity), built from reads only."""
