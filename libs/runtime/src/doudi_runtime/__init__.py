"""doudi package."""
