"""Store: records and their text form, kept in the memory ref ``refs/notes/gitmem``."""
