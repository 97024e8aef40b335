"""Pure rules and state machines of the care service (no I/O)."""
