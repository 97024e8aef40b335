"""State machines as pure code: the six-step procedure (§5.1.7, §7.2) and the entitlement lifecycle (§7.3)."""
