"""Use-cases of the dispatch service; each handler owns its transaction."""
