"""The event bus: envelope, transactional outbox and relay, inbox consumers with a dead-letter topic."""
