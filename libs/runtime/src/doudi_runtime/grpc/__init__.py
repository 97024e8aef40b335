"""gRPC glue every doudi service shares: server, interceptor chain, client channels, call context."""
