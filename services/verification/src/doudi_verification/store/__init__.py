"""The verification service's store: tables and migrations."""
