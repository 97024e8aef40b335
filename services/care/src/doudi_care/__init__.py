"""doudi care service."""
