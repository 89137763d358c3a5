"""Every parser of client input, fed arbitrary input (property-based, hypothesis): it
answers with a value or with its one documented refusal, never another exception, and what
it accepts is what the contract says."""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import re

from hypothesis import example, given
from hypothesis import strategies as st

from zentail.api import timestamps
from zentail.domain.errors import InvalidInput
from zentail.logging import MASK, redact_target
from zentail.oauth.client_auth import parse_basic
from zentail.oauth.errors import InvalidClient
from zentail.observability import request_id

# Header values arrive decoded as latin-1: any code point below 256.
LATIN1_TEXT = st.text(alphabet=st.characters(max_codepoint=255))
BASE64URL = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


@given(LATIN1_TEXT)
def test_any_authorization_header_is_credentials_or_invalid_client(header: str) -> None:
    try:
        client_id, secret = parse_basic(header)
    except InvalidClient:
        return
    assert client_id
    assert isinstance(secret, str)


@given(LATIN1_TEXT)
def test_any_basic_payload_is_credentials_or_invalid_client(payload: str) -> None:
    with contextlib.suppress(InvalidClient):
        parse_basic(f"Basic {payload}")


@given(st.text(min_size=1), st.text())
def test_basic_credentials_round_trip(client_id: str, secret: str) -> None:
    raw = f"{client_id.replace(':', '')}:{secret}".encode()
    header = "Basic " + base64.b64encode(raw).decode()
    try:
        parsed = parse_basic(header)
    except InvalidClient:
        assert not client_id.replace(":", "")
        return
    assert parsed[0]


@given(st.text())
def test_any_text_is_a_utc_timestamp_in_range_or_invalid_input(text: str) -> None:
    try:
        parsed = timestamps.parse(text, "ts")
    except InvalidInput as error:
        assert error.field == "ts"  # noqa: PT017 - hypothesis cannot use pytest.raises here
        return
    assert parsed.tzinfo is dt.UTC
    assert timestamps.EARLIEST <= parsed <= timestamps.LATEST


EDGE_DAYS = st.one_of(
    st.datetimes(min_value=dt.datetime(1, 1, 1), max_value=dt.datetime(1, 1, 3)),
    st.datetimes(min_value=dt.datetime(9999, 12, 29), max_value=dt.datetime(9999, 12, 31, 23, 59)),
)


@given(
    st.one_of(
        EDGE_DAYS,
        st.datetimes(min_value=dt.datetime(1, 1, 1), max_value=dt.datetime(9999, 12, 31, 23, 59)),
    ),
    st.integers(min_value=-(24 * 60 - 1), max_value=24 * 60 - 1),
)
@example(dt.datetime(1, 1, 1), 60)
@example(dt.datetime(9999, 12, 31, 23, 59), -60)
def test_every_representable_instant_parses_exactly_and_the_rest_is_refused(
    local: dt.datetime, offset_minutes: int
) -> None:
    sign = "-" if offset_minutes < 0 else "+"
    hours, minutes = divmod(abs(offset_minutes), 60)
    text = local.strftime("%Y-%m-%dT%H:%M:%S") + f".{local.microsecond:06d}"
    text = text.rjust(len("0001-01-01T00:00:00.000000"), "0") + f"{sign}{hours:02d}:{minutes:02d}"
    instant_minutes = offset_minutes  # local = utc + offset
    try:
        expected = (local - dt.timedelta(minutes=instant_minutes)).replace(tzinfo=dt.UTC)
    except OverflowError:
        expected = None
    try:
        parsed = timestamps.parse(text, "ts")
    except InvalidInput:
        assert expected is None or not timestamps.EARLIEST <= expected <= timestamps.LATEST
        return
    assert parsed == expected


@given(st.sampled_from(["ztk_", "ztc_"]), BASE64URL, st.sampled_from(["path", "query", "name"]))
def test_a_credential_anywhere_in_the_target_is_not_logged(
    prefix: str, body: str, where: str
) -> None:
    credential = prefix + body
    target = {
        "path": f"/v1/salesOrder/{credential}",
        "query": f"/v1/salesOrder?status=PENDING&q={credential}",
        "name": f"/v1/warehouses?{credential}=1",
    }[where]
    logged = redact_target(target)
    assert credential not in logged
    assert prefix not in logged
    assert MASK in logged


# No "%" in the noise: "%" before the run would make its first digits an escape, so the value
# sent would not hold the run at all.
@given(
    st.text(alphabet="0123456789abcdef", min_size=32),
    st.text(st.characters(blacklist_characters="%"), max_size=20),
)
def test_long_hex_runs_are_masked_wherever_they_appear(secret: str, noise: str) -> None:
    logged = redact_target(f"/x/{secret}?a={noise}{secret}")
    assert secret not in logged


@given(st.binary(max_size=300))
def test_any_request_id_header_is_used_only_when_sane(raw: bytes) -> None:
    chosen = request_id.from_header(raw)
    assert re.fullmatch(r"[A-Za-z0-9\-_.:/+=@]{1,128}", chosen)
    if chosen != raw.decode("latin-1"):
        assert re.fullmatch(r"[0-9a-f]{32}", chosen)


def test_a_sane_request_id_is_kept() -> None:
    assert request_id.from_header(b"3f2c-req.42") == "3f2c-req.42"
    assert request_id.from_header(b"a b") != "a b"
    assert request_id.from_header(b"x" * 129) != "x" * 129
