"""doudi dispatch service."""
