"""Pure rules and state machines of the dispatch service (no I/O)."""
