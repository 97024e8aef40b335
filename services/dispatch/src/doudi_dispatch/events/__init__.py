"""The dispatch service's events: domain events <-> protos, outbox publishing, inbox consumers."""
