"""Operations: metrics (Prometheus), the access log with request ids, readiness, and the
background purge. ``install(app)`` wires them into the application."""
