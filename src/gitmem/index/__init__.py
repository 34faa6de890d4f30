"""Index: the search index built from the memory ref and the decision files, and its queries."""
