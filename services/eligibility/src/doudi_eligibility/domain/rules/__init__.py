"""Programme rules (DOMAIN §5): pure functions from facts and parameters to explained decisions."""
