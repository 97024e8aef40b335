"""Pure rules and state machines of the eligibility service (no I/O)."""
