"""Operations: metrics (Prometheus), the access log with request ids, readiness, and the
background purge.

Wired into the application by three lines of ``zentail.app``: the routes
(:data:`routes.router`), the outermost middleware
(:class:`middleware.ObservabilityMiddleware`) and the lifespan (:func:`lifecycle.running`).
The package imports none of its modules itself: :mod:`zentail.observability.metrics` is used
from low layers (the limiter), while the others depend on the platform.
"""
