"""doudi disbursement service."""
