"""The care service's gRPC API: proto <-> command, validation, errors; no logic."""
