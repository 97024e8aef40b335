"""Authorisation: principals, declarative per-service policies, and the lookups they use."""
