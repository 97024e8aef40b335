"""The eligibility service's gRPC API: proto <-> command, validation, errors; no logic."""
