"""Stand-ins for the services gitmem talks to: real servers and executables, not mocks."""
