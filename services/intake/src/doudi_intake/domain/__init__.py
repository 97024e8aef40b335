"""Pure rules and state machines of the intake service (no I/O)."""
