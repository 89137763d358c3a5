"""Operations: metrics (Prometheus), the access log with request ids, readiness, and the
background purge.

Wired into the application by three lines of ``zentail.app``: the routes
(:data:`routes.router`), the outermost middleware
(:class:`middleware.ObservabilityMiddleware`) and the lifespan
(:func:`lifecycle.running`)."""

from zentail.observability import lifecycle, middleware, routes

__all__ = ["lifecycle", "middleware", "routes"]
