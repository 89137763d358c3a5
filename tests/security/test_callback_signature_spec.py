"""docs/callback-signature.md: the worked example is what the implementation computes, and
the page's recipe, followed independently, gives the same signature (checklist item 32)."""

from __future__ import annotations

import hashlib
import hmac
import re
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from zentail.oauth import callback_signature

DOC = Path(__file__).parents[2] / "docs" / "callback-signature.md"
SECRET = "31408421fb39334a730fc92e41e96986b60f6522a13f631ec93afa6f6c4e0cb3"
CALLBACK = (
    "https://partner.example/oauth_callback?shop=north-store&client_id=6779ef20e75817b79602"
    "&code=ztc_N3qQkP1yB6mX0vJ8sD2fH5gL9tR4wZ7cE1aU3iO6pKy&timestamp=1764403200"
    "&hmac=4b7c1cd4bfe6c916a7252e301a23b1e8ad56f8cf50d052852b21bb02081a5739"
)
MESSAGE = (
    "client_id=6779ef20e75817b79602&code=ztc_N3qQkP1yB6mX0vJ8sD2fH5gL9tR4wZ7cE1aU3iO6pKy"
    "&shop=north-store&timestamp=1764403200"
)


def params() -> dict[str, str]:
    return dict(parse_qsl(urlsplit(CALLBACK).query))


def test_item_32_worked_example_is_on_the_page() -> None:
    text = DOC.read_text()
    assert CALLBACK in text
    assert MESSAGE in text
    assert SECRET in text


def test_item_32_worked_example_matches_the_implementation() -> None:
    assert callback_signature.signing_message(params()).decode() == MESSAGE
    assert callback_signature.sign(params(), SECRET) == params()["hmac"]
    assert callback_signature.is_valid(params(), [SECRET], now=1764403200 + 299, max_age=300)
    assert not callback_signature.is_valid(params(), [SECRET], now=1764403200 + 301, max_age=300)


def test_item_32_the_page_recipe_reproduces_the_signature() -> None:
    """Steps 1–5 of the page, written out without the implementation."""
    query = {k: v for k, v in parse_qsl(urlsplit(CALLBACK).query) if k != "hmac"}
    message = "&".join(f"{name}={query[name]}" for name in sorted(query)).encode()
    expected = hmac.new(SECRET.encode(), message, hashlib.sha256).hexdigest()
    assert re.fullmatch(r"[0-9a-f]{64}", expected)
    assert expected == params()["hmac"]
