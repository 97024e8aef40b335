"""The disbursement service's store: tables and migrations."""
