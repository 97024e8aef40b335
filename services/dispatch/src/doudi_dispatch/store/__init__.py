"""The dispatch service's store: tables and migrations."""
