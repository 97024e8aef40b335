"""Use-cases of the eligibility service; each handler owns its transaction."""
