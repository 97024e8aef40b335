"""Pure rules and state machines of the disbursement service (no I/O)."""
