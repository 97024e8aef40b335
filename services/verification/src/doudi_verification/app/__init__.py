"""Use-cases of the verification service; each handler owns its transaction."""
