"""The server-rendered platform UI: login, app catalog, Install, API access, staff console."""
