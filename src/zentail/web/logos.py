"""App logos: the uploaded image from the database, or a generated placeholder."""

from __future__ import annotations

import hashlib
from html import escape

from starlette.responses import Response

from zentail.storage.models import App

PLACEHOLDER_COLOURS = ("#3b5bdb", "#0c8599", "#2b8a3e", "#e8590c", "#c2255c", "#6741d9")
# An image never runs script or loads anything, even opened on its own (an SVG could).
LOGO_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; sandbox",
    "Cache-Control": "private, max-age=300",
}


def initials(name: str) -> str:
    words = [word for word in name.split() if word[:1].isalnum()]
    return "".join(word[0] for word in words[:2]).upper() or "?"


def placeholder_svg(name: str) -> str:
    """A square tile with the app's initials, coloured by its name."""
    colour = PLACEHOLDER_COLOURS[hashlib.sha256(name.encode()).digest()[0] % 6]
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="96" height="96" viewBox="0 0 96 96">'
        f'<rect width="96" height="96" rx="16" fill="{colour}"/>'
        '<text x="48" y="50" dy=".35em" text-anchor="middle" fill="#fff" '
        'font-family="system-ui, sans-serif" font-size="38" font-weight="600">'
        f"{escape(initials(name))}</text></svg>"
    )


def logo_response(app: App) -> Response:
    if app.logo and app.logo_content_type:
        return Response(app.logo, media_type=app.logo_content_type, headers=LOGO_HEADERS)
    return Response(placeholder_svg(app.name), media_type="image/svg+xml", headers=LOGO_HEADERS)
