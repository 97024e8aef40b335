"""Use-cases of the care service; each handler owns its transaction."""
