"""doudi verification service."""
