"""The care service's store: tables and migrations."""
