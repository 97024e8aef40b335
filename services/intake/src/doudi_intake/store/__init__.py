"""The intake service's store: tables and migrations."""
