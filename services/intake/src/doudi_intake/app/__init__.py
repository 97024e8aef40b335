"""Use-cases of the intake service; each handler owns its transaction."""
