"""Persistence: models, engine and sessions, tenancy scoping and migrations."""
