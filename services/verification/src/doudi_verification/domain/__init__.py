"""Pure rules and state machines of the verification service (no I/O)."""
