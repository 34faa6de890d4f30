"""The application layer: the jobs a command or a worker runs, composed from the parts."""
