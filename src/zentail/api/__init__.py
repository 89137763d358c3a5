"""The Open API v1: account-scoped resources behind bearer tokens."""
