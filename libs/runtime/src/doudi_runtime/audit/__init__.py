"""The audit trail: append-only, hash-chained records of every state change, and the API auditors read."""
