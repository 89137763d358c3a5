"""Grant handlers, one module per grant type (RFC 6749 §4)."""
