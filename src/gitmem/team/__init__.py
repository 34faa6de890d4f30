"""Team: sharing the memory ref with remotes: set-up, fetch, merge, push."""
