"""doudi eligibility service."""
