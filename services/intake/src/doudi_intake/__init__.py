"""doudi intake service."""
