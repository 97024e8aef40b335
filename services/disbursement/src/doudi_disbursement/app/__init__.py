"""Use-cases of the disbursement service; each handler owns its transaction."""
