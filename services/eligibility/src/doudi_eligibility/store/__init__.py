"""The eligibility service's store: tables and migrations."""
